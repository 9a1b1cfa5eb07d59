"""Find registered images (logos of figurative marks, views of designs) in listing images.

Every registered image is stored as 64-bit phash and dhash values of several
*variants*: the eight turns and mirrors of the whole image (a counterfeit
listing flips or rotates the brand's picture), the image with its plain border
trimmed, a grid of nine 90 % windows (a listing crops the picture) and its four
quarters (stickers over corners). A listing image is hashed as a few *views*
(whole, trimmed of a plain border, centre windows that cut away padding, its
quarters) and each view is compared with every stored variant it can line up
with at once: XOR and ``np.bitwise_count`` over numpy ``uint64`` slices, no
Python loop per stored hash. A stored variant matches a view when both its
phash and its dhash are within the thresholds below; the best match per right
is returned with the evidence (registered image, variant, view, distances).

Whole-image turns and mirrors are the "whole-image" method; crop windows, the
trimmed and inner views and quarters are the "crop-resistant" method (a tile
scheme: imagehash.crop_resistant_hash segments the picture in pure Python,
~280 ms a 512 px image here, too slow to run on every listing image).

Hashes are computed here in batches from one small grayscale copy as
``imagehash.phash`` / ``imagehash.dhash`` compute them (8 x 8, MSB first, the
integers of the hex strings ``listings.matching.images.image_hashes`` stores):
bit for bit for the original and the mirror (but for a coefficient tied with
the median, 4 hashes in 2,400 here: the low DCT is two small products, not
scipy's transform), a few dhash bits apart for the turns (tests hold both). The small copies of all windows of an image are made
in two matrix products with Pillow's own LANCZOS weights and rounding (the
same pixels as one ``Image.resize`` per window, several times faster), and a
listing or registered image is decoded straight to gray (``decode_small_gray``).
"""

from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from PIL import Image

from listings.matching.images import HASH_SIZE, decode_small_gray, decode_small_with_gray

KINDS = ("phash", "dhash")

# Distances (bits of 64) at or under which a stored variant matches a listing
# view. Measured with bench/image_quality.py (docs/benchmarks.md, "Image
# matching") on 300 synthetic logos and design views under 12 transforms, and
# 10,000,000 unrelated (listing, registered image) pairs against 10,000
# registered images: 1.7 false matches in 100,000 pairs, recall 97-100 % for
# photometric edits and overlays, 100 % for turns and mirrors. Both kinds must
# agree: phash (DCT) and dhash (gradients) fail on different images, so
# requiring both cuts false matches far more than it costs recall.
PHASH_MAX_DISTANCE = 12
DHASH_MAX_DISTANCE = 14
# The sum of both distances, tighter than the two bounds together: a pair near
# both limits at once is more often two different logos of the same style (the
# closest unrelated pairs in the bench sum to 19-21; copies under a photometric
# change sum to 9 or less in 95 % of cases).
COMBINED_MAX_DISTANCE = 18
# Crop-resistant matches (a crop window, a trimmed or inner view) line up a few
# pixels off, which dhash (neighbour comparisons) feels far more than phash:
# true pairs had phash <= 8 but dhash up to 20. Unrelated pairs that came
# closest had phash 6-12 with dhash 13-18, so the phash bound is tighter.
CROP_PHASH_MAX_DISTANCE = 8
CROP_DHASH_MAX_DISTANCE = 16
CROP_COMBINED_MAX_DISTANCE = 18
# Bits added to a crop-resistant match's distance when choosing a right's best
# match: a copy under a photometric change lines up with the crop windows
# nearly as well as with the whole image (a few bits apart in the bench), a
# real crop lines up with its window by ~10 bits better than with the whole.
CROP_RANK_PENALTY = 6
# Each of at least QUARTERS_MIN_MATCHES quarters must be this close. A quarter
# is a quarter of the bits' worth of picture, so its bounds are the crop
# bounds tightened; with them quarters took overlay recall from 88.5 to 97 %
# and made 7 of the 20 false matches in 1,200,000 unrelated pairs (those score
# at most 0.5, see _match).
QUARTER_PHASH_MAX_DISTANCE = 8
QUARTER_DHASH_MAX_DISTANCE = 12
QUARTER_COMBINED_MAX_DISTANCE = 16
QUARTERS_MIN_MATCHES = 2

# Side of the grayscale copy every hash is computed from. imagehash resizes to
# 32 x 32 (phash) and 9 x 8 (dhash) whatever the input; from 128 pixels the
# bits differ from those computed at 512 by a bit or two, a 90 % window still
# has ~115 pixels to resize from, and the 31 resizes of a registered image cost
# about a quarter of what they cost at 256.
WORK_SIDE = 128
# A JPEG is decoded at the DCT scale (1/2, 1/4, 1/8) that keeps at least this
# many pixels a side and used as it is when that is no more than WORK_SIDE: an
# 800-pixel listing photo is decoded at 1/8 to 100 pixels, which saves its
# LANCZOS resize to 128 and a third of the resampling products. phash and dhash
# see 32 x 32 and 9 x 8 pixels; 96 still leaves a quarter 48 pixels to resize
# from (bench/image_quality.py measured recall and false matches with it).
MIN_WORK_SIDE = 96
_PHASH_SIDE = HASH_SIZE * 4  # imagehash's highfreq_factor

# A view whose grayscale standard deviation is under this carries no shape (a
# blank image, a flat crop): its hashes are near-constant and would match
# every other flat picture. 4 grey levels: JPEG noise on a flat colour is ~1.
MIN_CONTRAST = 4.0

# Border trimming: the border is worth trimming when this share of its pixels
# is within TRIM_TOLERANCE grey levels of its median (JPEG ringing and noise
# stay within ~20 levels on a flat background at quality 50). 0.4: a picture
# pasted off-centre on a canvas leaves two of four sides plain, or more.
TRIM_TOLERANCE = 24
TRIM_PLAIN_SHARE = 0.4
# A row or column with no more than this share of non-background pixels is
# border: JPEG speckle, not content.
TRIM_NOISE_SHARE = 0.02
# A trimmed box smaller than this share of either side is a speck, not content.
TRIM_MIN_SHARE = 0.1

# 90 % windows at offsets 0, 5 % and 10 % on each axis: a listing cropped by
# up to 10 % of each side lands within 2.5 % of one of them.
CROP_SCALE = 0.9
_CROP_POSITIONS = {
    "top-left": (0.0, 0.0),
    "top": (0.5, 0.0),
    "top-right": (1.0, 0.0),
    "left": (0.0, 0.5),
    "centre": (0.5, 0.5),
    "right": (1.0, 0.5),
    "bottom-left": (0.0, 1.0),
    "bottom": (0.5, 1.0),
    "bottom-right": (1.0, 1.0),
}
# Centre windows of a listing image that cut away 10 % and 20 % padding that
# is not a plain colour (a photo behind the picture): 1 / 1.1 and 1 / 1.2.
LISTING_INNER_SCALES = (0.91, 0.83)


def _identity(a: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    return a


def _mirror(a: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    return a[..., ::-1]


def _rot(k: int, *, mirrored: bool) -> Callable[[npt.NDArray[np.float32]], npt.NDArray[np.float32]]:
    # np.rot90 turns counter-clockwise, as PIL's Transpose.ROTATE_90 does.
    def turn(a: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        return np.rot90(_mirror(a) if mirrored else a, k, axes=(-2, -1))

    return turn


# The eight turns and mirrors of a picture. "rot90" is the registered image
# turned 90 degrees counter-clockwise (PIL's Transpose.ROTATE_90); "mirror-rotN"
# is mirrored left-right first, then turned. Those that swap width and height
# take their dhash from the 8 x 9 copy (see _hashes).
_DIHEDRAL: dict[str, tuple[Callable[[npt.NDArray[np.float32]], npt.NDArray[np.float32]], bool]] = {
    "original": (_identity, False),
    "mirror": (_mirror, False),
    "rot90": (_rot(1, mirrored=False), True),
    "rot180": (_rot(2, mirrored=False), False),
    "rot270": (_rot(3, mirrored=False), True),
    "mirror-rot90": (_rot(1, mirrored=True), True),
    "mirror-rot180": (_rot(2, mirrored=True), False),
    "mirror-rot270": (_rot(3, mirrored=True), True),
}
# Quarters of the picture, each matched with the same quarter of the listing
# image: an overlay (a price sticker, a watermark) in one or two corners
# leaves the other quarters intact. A quarter alone is weak evidence (a
# quarter of a logo is often a plain ground and one shape), so a match needs
# QUARTERS_MIN_MATCHES of them from the same registered image.
_QUARTERS = {
    "top-left": (0.0, 0.0),
    "top-right": (1.0, 0.0),
    "bottom-left": (0.0, 1.0),
    "bottom-right": (1.0, 1.0),
}
QUARTER_VARIANTS = tuple(f"quarter-{p}" for p in _QUARTERS)
CROP_VARIANTS = (
    ("trim",)
    + tuple(f"crop-{round(CROP_SCALE * 100)}-{p}" for p in _CROP_POSITIONS)
    + QUARTER_VARIANTS
)
VARIANTS = tuple(_DIHEDRAL) + CROP_VARIANTS
_FIRST_CROP_VARIANT = len(_DIHEDRAL)
LISTING_VIEWS = (
    ("whole", "trimmed")
    + tuple(f"inner-{round(s * 100)}" for s in LISTING_INNER_SCALES)
    + QUARTER_VARIANTS
)
# Which stored variants each listing view is compared with. The whole listing
# image meets every variant (a listing that is a crop of the registered picture
# meets a crop window); a trimmed or inner view meets only the variants it can
# line up with (padding cut away -> the original or its trimmed content; an
# overlay near the edges cut away -> the centre window). Fewer comparisons per
# pair of images is fewer chances of a false match.
_VIEW_VARIANTS = {
    "whole": tuple(v for v in VARIANTS if v not in QUARTER_VARIANTS),
    "trimmed": ("original", "trim"),
    LISTING_VIEWS[2]: ("original", f"crop-{round(CROP_SCALE * 100)}-centre"),
    LISTING_VIEWS[3]: ("original",),
    **{quarter: (quarter,) for quarter in QUARTER_VARIANTS},
}


@dataclass(frozen=True)
class _Bounds:
    """The distances at or under which a stored row matches a listing view."""

    phash: int
    dhash: int
    combined: int
    # Added to the summed distance when choosing a right's best match.
    rank_penalty: int = 0
    quarter: bool = False


_WHOLE_BOUNDS = _Bounds(PHASH_MAX_DISTANCE, DHASH_MAX_DISTANCE, COMBINED_MAX_DISTANCE)
_CROP_BOUNDS = _Bounds(
    CROP_PHASH_MAX_DISTANCE,
    CROP_DHASH_MAX_DISTANCE,
    CROP_COMBINED_MAX_DISTANCE,
    rank_penalty=CROP_RANK_PENALTY,
)
_QUARTER_BOUNDS = _Bounds(
    QUARTER_PHASH_MAX_DISTANCE,
    QUARTER_DHASH_MAX_DISTANCE,
    QUARTER_COMBINED_MAX_DISTANCE,
    quarter=True,
)


def _view_bounds(view: str, variant: int) -> _Bounds:
    """Bounds for a listing view against a stored variant: the whole listing image
    against a whole-image variant is whole-image matching, a quarter against its
    quarter is quarter matching, anything else crop-resistant."""
    if view in QUARTER_VARIANTS:
        return _QUARTER_BOUNDS
    if view == "whole" and variant < _FIRST_CROP_VARIANT:
        return _WHOLE_BOUNDS
    return _CROP_BOUNDS


@dataclass
class _Found:
    """Stored rows that matched listing views: per row its (kinds) distances, view and key."""

    rows: npt.NDArray[np.intp]
    distances: npt.NDArray[np.uint8]
    views: npt.NDArray[np.uint8]
    keys: npt.NDArray[np.uint8]

    @classmethod
    def concatenate(cls, parts: list["_Found"]) -> "_Found":
        if not parts:
            return cls(
                np.zeros(0, np.intp),
                np.zeros((len(KINDS), 0), np.uint8),
                np.zeros(0, np.uint8),
                np.zeros(0, np.uint8),
            )
        return cls(
            np.concatenate([p.rows for p in parts]),
            np.concatenate([p.distances for p in parts], axis=1),
            np.concatenate([p.views for p in parts]),
            np.concatenate([p.keys for p in parts]),
        )

    @classmethod
    def best_per_row(cls, parts: list["_Found"]) -> "_Found":
        """Keep each row once: its lowest key, the earliest part among equal keys."""
        found = cls.concatenate(parts)
        order = np.lexsort((np.arange(found.rows.size), found.keys, found.rows))
        return found.take(order[np.unique(found.rows[order], return_index=True)[1]])

    def take(self, which: npt.NDArray[Any]) -> "_Found":
        return _Found(
            self.rows[which], self.distances[:, which], self.views[which], self.keys[which]
        )


@dataclass(frozen=True)
class RegisteredImage:
    """A picture registered with a right: encoded bytes or an already decoded image."""

    right_id: int
    image_id: int
    data: bytes | Image.Image


@dataclass(frozen=True)
class ImageMatch:
    """The best match of a listing image for one right; ``evidence`` is JSON-serialisable."""

    right_id: int
    image_id: int
    score: float
    evidence: dict[str, Any] = field(default_factory=dict)


Box = tuple[float, float, float, float]


def _work_gray(image: bytes | Image.Image) -> Image.Image:
    # Gray first, then resized, from bytes and from a decoded image alike.
    gray = (
        decode_small_gray(image, max_side=WORK_SIDE, min_side=MIN_WORK_SIDE)
        if isinstance(image, bytes)
        else image.convert("L")
    )
    if max(gray.size) > WORK_SIDE:
        # convert() already copied, so thumbnail() does not touch the caller's image.
        gray.thumbnail((WORK_SIDE, WORK_SIDE), Image.Resampling.LANCZOS)
    return gray


def _trim_box(gray: Image.Image) -> Box | None:
    """Return the box inside a plain border (trimmed twice: padding around a margin), or None.

    The border may be plain on some sides only (a picture pasted against one
    edge of a padded canvas): the background is the border's median and each
    side is trimmed of the rows or columns that are nearly all background.
    """
    pixels = np.asarray(gray, dtype=np.int16)
    x0, y0, x1, y1 = 0, 0, pixels.shape[1], pixels.shape[0]
    for _ in range(2):
        inner = pixels[y0:y1, x0:x1]
        ring = np.concatenate([inner[0], inner[-1], inner[1:-1, 0], inner[1:-1, -1]])
        # int(np.median(ring)) and the means below, without numpy's Python
        # wrappers (the same values: sums of integers divided by the count).
        half = ring.size // 2
        middle = np.partition(ring, (half - 1, half))
        background = (
            int(middle[half]) if ring.size % 2 else (int(middle[half - 1]) + int(middle[half])) // 2
        )
        plain = np.count_nonzero(np.abs(ring - background) <= TRIM_TOLERANCE)
        if plain / ring.size < TRIM_PLAIN_SHARE:
            break
        content = np.abs(inner - background) > TRIM_TOLERANCE
        rows = (content.sum(axis=1) / content.shape[1] > TRIM_NOISE_SHARE).nonzero()[0]
        cols = (content.sum(axis=0) / content.shape[0] > TRIM_NOISE_SHARE).nonzero()[0]
        if rows.size == 0 or cols.size == 0:
            return None
        box = (x0 + int(cols[0]), y0 + int(rows[0]), x0 + int(cols[-1]) + 1, y0 + int(rows[-1]) + 1)
        if box == (x0, y0, x1, y1):
            break
        x0, y0, x1, y1 = box
    width, height = gray.size
    if (x0, y0, x1, y1) == (0, 0, width, height):
        return None
    if (x1 - x0) < TRIM_MIN_SHARE * width or (y1 - y0) < TRIM_MIN_SHARE * height:
        return None
    return (float(x0), float(y0), float(x1), float(y1))


def _window(gray: Image.Image, scale: float, ax: float, ay: float) -> Box:
    width, height = gray.size
    w, h = width * scale, height * scale
    x0, y0 = (width - w) * ax, (height - h) * ay
    return (x0, y0, x0 + w, y0 + h)


# Pillow's fixed-point resampling (libImaging/Resample.c, 8 bits a pixel):
# weights scaled by 2**22 and truncated to integers, a sum started at 2**21 and
# shifted right by 22 bits, clipped to 0..255 after each of the two passes.
_PRECISION_BITS = 22
_LANCZOS_SUPPORT = 3.0

# One axis of one window: (input side, span start, span stop, output side).
_Span = tuple[int, float, float, int]
# Pillow's integer weights of a span: the first input pixel with a non-zero
# weight and the (output side, input pixels from there) matrix.
_Weights = tuple[int, npt.NDArray[np.float64]]
# Most spans recur (the windows of every image of a given size); a trimmed
# box's do not. 2,048 matrices of at most 32 x 128 float64 is 64 MiB at most,
# ~10 MiB in practice (each matrix keeps only its non-zero columns).
_WEIGHTS_CACHED = 2048
_weights_cache: OrderedDict[_Span, _Weights] = OrderedDict()


def _weights(spans: list[_Span]) -> list[_Weights]:
    """Return Pillow's LANCZOS weights of each span, from the cache or computed in one batch."""
    cache = _weights_cache
    missing = [span for span in dict.fromkeys(spans) if span not in cache]
    for span, computed in zip(missing, _lanczos_weights(missing) if missing else [], strict=True):
        cache[span] = computed
    found = []
    for span in spans:
        cache.move_to_end(span)
        found.append(cache[span])
    while len(cache) > _WEIGHTS_CACHED:
        cache.popitem(last=False)
    return found


def _lanczos_weights(spans: list[_Span]) -> list[_Weights]:
    """Return Pillow's integer LANCZOS weights of every span, all computed in one pass.

    Each row (one output pixel of one span) is computed as ``precompute_coeffs``
    and ``normalize_coeffs_8bpc`` compute it (the box in C floats, the sums in
    order), so that ``_resample`` returns Pillow's pixels bit for bit; a batch
    of a trimmed view's four spans costs about what one span cost alone.
    """
    in_sizes = np.array([s[0] for s in spans], dtype=np.int64)
    starts = np.array([s[1] for s in spans], dtype=np.float32)
    stops = np.array([s[2] for s in spans], dtype=np.float32)
    out_sizes = np.array([s[3] for s in spans], dtype=np.int64)
    scale = (stops - starts).astype(np.float64) / out_sizes
    filterscale = np.maximum(scale, 1.0)
    support = _LANCZOS_SUPPORT * filterscale
    ksize = int(np.ceil(support).max()) * 2 + 1
    # One row per output pixel of every span.
    owner = np.repeat(np.arange(len(spans)), out_sizes)
    pixel = np.arange(owner.size) - np.repeat(np.cumsum(out_sizes) - out_sizes, out_sizes)
    centres = starts.astype(np.float64)[owner] + (pixel + 0.5) * scale[owner]
    row_support = support[owner]
    # C's (int) truncates toward zero, as astype does.
    first = np.maximum((centres - row_support + 0.5).astype(np.int64), 0)
    count = np.minimum((centres + row_support + 0.5).astype(np.int64), in_sizes[owner]) - first
    taps = np.arange(ksize)
    x = ((taps[None, :] + first[:, None]) - centres[:, None] + 0.5) * (
        1.0 / filterscale[owner][:, None]
    )
    valid = taps[None, :] < count[:, None]
    # sin() is most of the cost (~8 ns a value): only the taps in use are filtered.
    x = x[valid]
    weights = np.zeros(valid.shape)
    weights[valid] = np.where((x >= -3.0) & (x < 3.0), _sinc(x) * _sinc(x / 3), 0.0)
    # Summed tap by tap, in C's order: accumulate adds left to right (sum() would
    # pair); the zeros past a row's own taps add nothing.
    total = np.add.accumulate(weights, axis=1)[:, -1]
    weights = weights / np.where(total != 0.0, total, 1.0)[:, None]
    fixed = np.trunc(weights * (1 << _PRECISION_BITS) + np.where(weights < 0, -0.5, 0.5))
    # Each span's matrix keeps the columns from its first to its last tap.
    ends = np.where(count > 0, first + count, 0)
    lows = np.minimum.reduceat(
        np.where(count > 0, first, in_sizes[owner]), np.cumsum(out_sizes) - out_sizes
    )
    highs = np.maximum.reduceat(ends, np.cumsum(out_sizes) - out_sizes)
    lows = np.minimum(lows, highs)
    columns = first[:, None] + taps[None, :] - lows[owner][:, None]
    matrix = np.zeros((owner.size, max(1, int((highs - lows).max()))))
    rows = np.broadcast_to(np.arange(owner.size)[:, None], valid.shape)
    matrix[rows[valid], columns[valid]] = fixed[valid]
    out: list[_Weights] = []
    row = 0
    for i, size in enumerate(out_sizes.tolist()):
        part = np.ascontiguousarray(matrix[row : row + size, : int(highs[i] - lows[i])])
        part.flags.writeable = False
        out.append((int(lows[i]), part))
        row += size
    return out


def _sinc(x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(x == 0.0, 1.0, np.sin(x * np.pi) / (x * np.pi))


def _clip8(sums: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Round Pillow's fixed-point sums to 8-bit pixels, in place."""
    # The sums are integers below 2**40: exact in float64, as is the scaling by 2**-22.
    sums += 1 << (_PRECISION_BITS - 1)
    sums *= 1.0 / (1 << _PRECISION_BITS)
    np.floor(sums, out=sums)
    return np.clip(sums, 0.0, 255.0, out=sums)


def _resample(
    pixels: npt.NDArray[np.uint8], boxes: list[Box | None], size: tuple[int, int]
) -> npt.NDArray[np.float32]:
    """Return ``gray.resize(size, LANCZOS, box=box)`` for every box at once, as (boxes, h, w)."""
    return np.stack(_resample_windows(pixels, [(box, size) for box in boxes]))


def _resample_windows(
    pixels: npt.NDArray[np.uint8], windows: list[tuple[Box | None, tuple[int, int]]]
) -> list[npt.NDArray[np.float32]]:
    """Return ``gray.resize(size, LANCZOS, box=box)`` of every (box, size), as (h, w) arrays.

    Pillow resizes one window per call (~0.1 ms each, 31 calls a registered
    image); here each pass is a matrix product with the same integer weights
    and rounding, so the pixels are Pillow's bit for bit (the tests compare
    them; the integer products and sums are exact in float64). The first pass
    is made once per distinct span and output side on its axis (the nine crop
    windows have three, the four quarters two), and every product covers only
    the pixels with a non-zero weight: a quarter's columns, not the image's.
    """
    height, width = pixels.shape
    source = pixels.astype(np.float64)
    # Per window: whether the first pass runs along x, its first-pass key and
    # the spans of both axes (weights fetched in one batch).
    plans: list[tuple[bool, tuple[float, float, int]]] = []
    spans: list[_Span] = []
    for box, (out_w, out_h) in windows:
        x0, y0, x1, y1 = (0.0, 0.0, float(width), float(height)) if box is None else box
        # Pillow resamples along the axis that shrinks less first (ImagingResampleInner).
        along_x = not ((height - out_h) > 0 and (height - out_h) > (width - out_w) * 2)
        plans.append((along_x, (x0, x1, out_w) if along_x else (y0, y1, out_h)))
        spans += [(width, x0, x1, out_w), (height, y0, y1, out_h)]
    weights = _weights(spans)
    # First pass: per distinct key, over the rows (columns) the windows sharing
    # it need on the other axis.
    reach: dict[tuple[bool, tuple[float, float, int]], tuple[int, int]] = {}
    for i, plan in enumerate(plans):
        low, matrix = weights[2 * i + 1] if plan[0] else weights[2 * i]
        held = reach.get(plan)
        high = low + matrix.shape[1]
        reach[plan] = (low, high) if held is None else (min(held[0], low), max(held[1], high))
    firsts: dict[tuple[bool, tuple[float, float, int]], npt.NDArray[np.float64]] = {}
    for i, plan in enumerate(plans):
        if plan in firsts:
            continue
        low, high = reach[plan]
        if plan[0]:
            x_low, x_matrix = weights[2 * i]
            cut = source[low:high, x_low : x_low + x_matrix.shape[1]]
            firsts[plan] = _product(cut, x_matrix.T)
        else:
            y_low, y_matrix = weights[2 * i + 1]
            cut = source[y_low : y_low + y_matrix.shape[1], low:high]
            firsts[plan] = _product(y_matrix, cut)
    firsts = dict(zip(firsts, _clip_all(list(firsts.values())), strict=True))
    # Second pass: one product a window.
    smalls: list[npt.NDArray[np.float64]] = []
    for i, plan in enumerate(plans):
        first = firsts[plan]
        low = reach[plan][0]
        if plan[0]:
            y_low, y_matrix = weights[2 * i + 1]
            cut = first[y_low - low : y_low - low + y_matrix.shape[1]]
            smalls.append(_product(y_matrix, cut))
        else:
            x_low, x_matrix = weights[2 * i]
            cut = first[:, x_low - low : x_low - low + x_matrix.shape[1]]
            smalls.append(_product(cut, x_matrix.T))
    return [s.astype(np.float32) for s in _clip_all(smalls)]


def _clip_all(arrays: list[npt.NDArray[np.float64]]) -> list[npt.NDArray[np.float64]]:
    """``_clip8`` every array in one pass over their concatenation; return the clipped arrays."""
    flat = _clip8(np.concatenate([a.reshape(-1) for a in arrays]))
    out = []
    start = 0
    for a in arrays:
        out.append(flat[start : start + a.size].reshape(a.shape))
        start += a.size
    return out


# OpenBLAS runs a matrix product on the calling thread up to 65536 x 4
# multiply-adds (interface/gemm.c, GEMM_MULTITHREAD_THRESHOLD) and on all cores
# above. A worker process per core must stay on its own thread: two processes'
# BLAS threads sharing two cores made hashing a registered image three times
# slower (12 instead of 4.2 ms a picture, measured side by side on 2 cores).
_SINGLE_THREAD_PRODUCT = 65536 * 4


def _product(a: npt.NDArray[np.float64], b: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Return ``a @ b``, cut in bands of ``a``'s rows small enough for BLAS to run each
    on the calling thread."""
    m, k = a.shape
    n = b.shape[1]
    band = max(1, _SINGLE_THREAD_PRODUCT // max(1, k * n))
    if band >= m:
        return a @ b
    out = np.empty((m, n))
    for i in range(0, m, band):
        np.matmul(a[i : i + band], b, out=out[i : i + band])
    return out


def _pack(bits: npt.NDArray[np.bool_]) -> npt.NDArray[np.uint64]:
    """Pack (..., 8, 8) bits row-major, most significant first, into uint64 (imagehash's order)."""
    flat = bits.reshape(*bits.shape[:-2], 64)
    packed = np.packbits(flat, axis=-1)  # (..., 8) bytes, big-endian bit order
    return np.ascontiguousarray(packed).view(">u8")[..., 0].astype(np.uint64)


# The first HASH_SIZE rows of the unnormalised DCT-II of a _PHASH_SIDE-point
# signal, as scipy.fft.dct computes it (2 * sum x[n] cos(pi k (2n + 1) / 2N)):
# phash keeps only the low 8 x 8 coefficients, so two small products replace a
# full 32 x 32 transform of each square.
_DCT_LOW = 2.0 * np.cos(
    np.pi
    * np.arange(HASH_SIZE)[:, None]
    * (2 * np.arange(_PHASH_SIDE)[None, :] + 1)
    / (2 * _PHASH_SIDE)
)


def _phash(squares: npt.NDArray[np.float32]) -> npt.NDArray[np.uint64]:
    """phash of a stack of 32 x 32 grayscale arrays, as imagehash.phash computes it."""
    low = _DCT_LOW @ squares.astype(np.float64) @ _DCT_LOW.T
    # The median of 64 values, as np.median takes it: the mean of the middle two.
    half = HASH_SIZE * HASH_SIZE // 2
    middle = np.partition(low.reshape(*low.shape[:-2], -1), (half - 1, half), axis=-1)
    median = middle[..., half - 1 : half + 1].sum(axis=-1) / 2
    return _pack(low > median[..., None, None])


def _dhash(wides: npt.NDArray[np.float32]) -> npt.NDArray[np.uint64]:
    """dhash of a stack of 8 x 9 (rows x columns) grayscale arrays, as imagehash.dhash does."""
    return _pack(wides[..., :, 1:] > wides[..., :, :-1])


def _hashes(
    gray: Image.Image, boxes: Mapping[str, Box | None], *, dihedral: bool
) -> tuple[list[str], npt.NDArray[np.uint64]]:
    """Return the names of the views with shape and their (len(KINDS), n) hashes.

    With ``dihedral``, the whole image (box None under "original") also yields
    its seven turns and mirrors, taken from the same small copies.
    """
    pixels = np.asarray(gray, dtype=np.uint8)
    listed = list(boxes.items())
    # Every small copy in one batch: the 32 x 32 squares (phash), the 9 x 8
    # copies (dhash) and, for the turns, the whole image's 8 x 9. A flat
    # window's dhash copy is made and dropped: rarer than a batch saved.
    square_side, wide, tall = (
        (_PHASH_SIDE, _PHASH_SIDE),
        (HASH_SIZE + 1, HASH_SIZE),
        (HASH_SIZE, HASH_SIZE + 1),
    )
    windows = [(box, square_side) for _, box in listed] + [(box, wide) for _, box in listed]
    if dihedral and None in boxes.values():
        windows.append((None, tall))
    smalls = _resample_windows(pixels, windows)
    all_squares = np.stack(smalls[: len(listed)])
    # The same float32 sums as each square's own std() (numpy reduces the two
    # contiguous axes as one), in one call.
    contrast = all_squares.std(axis=(1, 2))
    names: list[str] = []
    squares: list[npt.NDArray[np.float32]] = []
    wides: list[npt.NDArray[np.float32]] = []
    for i, (name, box) in enumerate(listed):
        if contrast[i] < MIN_CONTRAST:
            continue
        square, wide_copy = all_squares[i], smalls[len(listed) + i]
        if dihedral and box is None:
            for variant, (transform, swaps) in _DIHEDRAL.items():
                names.append(variant)
                squares.append(transform(square))
                wides.append(transform(smalls[-1] if swaps else wide_copy))
        else:
            names.append(name)
            squares.append(square)
            wides.append(wide_copy)
    if not names:
        return [], np.zeros((len(KINDS), 0), dtype=np.uint64)
    return names, np.stack([_phash(np.stack(squares)), _dhash(np.stack(wides))])


def registered_variant_hashes(image: bytes | Image.Image) -> dict[str, dict[str, int]]:
    """Return {variant: {kind: 64-bit hash}} of one registered image (for tests and tools)."""
    names, hashes = _registered(image)
    return {
        name: {kind: int(hashes[k, i]) for k, kind in enumerate(KINDS)}
        for i, name in enumerate(names)
    }


def registered_hashes(
    image: bytes | Image.Image,
) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.uint64]]:
    """Return one registered image's variants (indexes into VARIANTS) and their (kinds, n) hashes.

    The pair is what ``ImageIndex.from_hashes`` takes: compute it once when the
    image is registered and store it, so building an index decodes nothing.
    """
    names, hashes = _registered(image)
    return np.array([VARIANTS.index(n) for n in names], dtype=np.uint8), hashes


def _registered(image: bytes | Image.Image) -> tuple[list[str], npt.NDArray[np.uint64]]:
    gray = _work_gray(image)
    boxes: dict[str, Box | None] = {"original": None, "trim": _trim_box(gray)}
    if boxes["trim"] is None:
        del boxes["trim"]
    for position, (ax, ay) in _CROP_POSITIONS.items():
        boxes[f"crop-{round(CROP_SCALE * 100)}-{position}"] = _window(gray, CROP_SCALE, ax, ay)
    for quarter, (ax, ay) in zip(QUARTER_VARIANTS, _QUARTERS.values(), strict=True):
        boxes[quarter] = _window(gray, 0.5, ax, ay)
    return _hashes(gray, boxes, dihedral=True)


def listing_view_hashes(image: bytes | Image.Image) -> tuple[list[str], npt.NDArray[np.uint64]]:
    """Return the names of a listing image's views and their (len(KINDS), n) hashes."""
    gray = _work_gray(image)
    boxes: dict[str, Box | None] = {"whole": None}
    trimmed = _trim_box(gray)
    if trimmed is not None:
        boxes["trimmed"] = trimmed
    for scale in LISTING_INNER_SCALES:
        boxes[f"inner-{round(scale * 100)}"] = _window(gray, scale, 0.5, 0.5)
    for quarter, (ax, ay) in zip(QUARTER_VARIANTS, _QUARTERS.values(), strict=True):
        boxes[quarter] = _window(gray, 0.5, ax, ay)
    return _hashes(gray, boxes, dihedral=False)


def listing_decode(
    data: bytes, *, max_side: int, resample: Image.Resampling = Image.Resampling.LANCZOS
) -> tuple[Image.Image, list[str], npt.NDArray[np.uint64]]:
    """Decode a listing image once: return it in RGB within ``max_side`` (for a
    thumbnail), its views' names and their hashes.

    The views are hashed from the gray image ``decode_small_with_gray`` derives
    from the same decode, which matches the engine's own (``listing_view_hashes``
    of the bytes) within a gray level or two: on the end-to-end bench's 800-px JPEGs
    93 % of view hashes are the same bit for bit, the rest move as a JPEG
    re-encode moves them (see docs/benchmarks.md, "Image matching").
    ``max_side`` must be at least MIN_WORK_SIDE.
    """
    image, gray = decode_small_with_gray(
        data,
        max_side=max_side,
        gray_max_side=WORK_SIDE,
        gray_min_side=MIN_WORK_SIDE,
        resample=resample,
    )
    views, hashes = listing_view_hashes(gray)
    return image, views, hashes


class ImageIndex:
    """Hashes of every variant of every registered image, in parallel numpy arrays.

    Row ``i`` is one variant of one registered image: ``hashes[:, i]`` holds its
    phash and dhash (one contiguous uint64 array per kind, so each kind is
    scanned at memory speed), ``right_ids[i]``, ``image_ids[i]`` and
    ``variants[i]`` (an index into VARIANTS) say which.
    """

    def __init__(
        self,
        hashes: npt.NDArray[np.uint64],
        right_ids: npt.NDArray[np.int64],
        image_ids: npt.NDArray[np.int64],
        variants: npt.NDArray[np.uint8],
    ) -> None:
        self._set(hashes, right_ids, image_ids, variants)

    def _set(
        self,
        hashes: npt.NDArray[np.uint64],
        right_ids: npt.NDArray[np.int64],
        image_ids: npt.NDArray[np.int64],
        variants: npt.NDArray[np.uint8],
    ) -> None:
        n = right_ids.shape[0]
        if hashes.shape != (len(KINDS), n) or image_ids.shape != (n,) or variants.shape != (n,):
            raise ValueError("hashes must be (kinds, rows) and the id arrays (rows,)")
        # Rows sorted by variant, so the rows a listing view meets are a few
        # contiguous slices (see _VIEW_VARIANTS) scanned without copying.
        order = np.argsort(variants, kind="stable")
        self.hashes = np.ascontiguousarray(hashes[:, order], dtype=np.uint64)
        self.right_ids = np.ascontiguousarray(right_ids[order], dtype=np.int64)
        self.image_ids = np.ascontiguousarray(image_ids[order], dtype=np.int64)
        self.variants = np.ascontiguousarray(variants[order], dtype=np.uint8)
        self._crop = self.variants >= _FIRST_CROP_VARIANT
        # A dense number per registered image, to count its matching quarters.
        self._image_number = (
            np.unique(self.right_ids * (2**31) + self.image_ids, return_inverse=True)[1]
            .reshape(-1)
            .astype(np.int32)
        )
        starts = np.searchsorted(self.variants, np.arange(len(VARIANTS) + 1)).tolist()
        self._parts: dict[str, list[tuple[slice, _Bounds]]] = {}
        for view, allowed in _VIEW_VARIANTS.items():
            parts: list[tuple[slice, _Bounds]] = []
            for index in sorted(VARIANTS.index(v) for v in allowed):
                start, stop = starts[index], starts[index + 1]
                bounds = _view_bounds(view, index)
                if parts and parts[-1][0].stop == start and parts[-1][1] == bounds:
                    parts[-1] = (slice(parts[-1][0].start, stop), bounds)
                elif stop > start:
                    parts.append((slice(start, stop), bounds))
            self._parts[view] = parts

    @classmethod
    def build(cls, images: Iterable[RegisteredImage]) -> "ImageIndex":
        """Decode and hash every registered image's variants into a new index."""
        return cls.empty().add(images)

    @classmethod
    def from_hashes(
        cls,
        rows: Iterable[tuple[int, int, npt.NDArray[np.uint8], npt.NDArray[np.uint64]]],
    ) -> "ImageIndex":
        """Build an index from stored ``(right_id, image_id, variants, hashes)`` of
        ``registered_hashes``: no decoding, arrays concatenated."""
        hashes, rights, ids, variants = [], [], [], []
        for right_id, image_id, image_variants, image_hashes in rows:
            if image_hashes.shape != (len(KINDS), image_variants.shape[0]):
                raise ValueError(f"image {image_id}: hashes do not match its variants")
            hashes.append(image_hashes)
            variants.append(image_variants)
            rights.append(np.full(image_variants.shape[0], right_id, dtype=np.int64))
            ids.append(np.full(image_variants.shape[0], image_id, dtype=np.int64))
        if not hashes:
            return cls.empty()
        return cls(
            np.concatenate(hashes, axis=1),
            np.concatenate(rights),
            np.concatenate(ids),
            np.concatenate(variants),
        )

    @classmethod
    def empty(cls) -> "ImageIndex":
        return cls(
            np.zeros((len(KINDS), 0), dtype=np.uint64),
            np.zeros(0, dtype=np.int64),
            np.zeros(0, dtype=np.int64),
            np.zeros(0, dtype=np.uint8),
        )

    def __len__(self) -> int:
        """Return the number of registered images (not of stored variants)."""
        if self.right_ids.size == 0:
            return 0
        pairs = np.stack([self.right_ids, self.image_ids], axis=1)
        return int(np.unique(pairs, axis=0).shape[0])

    @property
    def nbytes(self) -> int:
        """Return the memory the index's arrays take, the derived ones included."""
        arrays = (self.hashes, self.right_ids, self.image_ids, self.variants)
        return int(sum(a.nbytes for a in arrays) + self._crop.nbytes + self._image_number.nbytes)

    def add(self, images: Iterable[RegisteredImage]) -> "ImageIndex":
        """Hash ``images`` into the index, replacing any stored under the same (right, image)."""
        hashes, rights, ids, variants = [], [], [], []
        for registered in images:
            names, image_hashes = _registered(registered.data)
            hashes.append(image_hashes)
            rights.append(np.full(len(names), registered.right_id, dtype=np.int64))
            ids.append(np.full(len(names), registered.image_id, dtype=np.int64))
            variants.append(np.array([VARIANTS.index(n) for n in names], dtype=np.uint8))
        if not hashes:
            return self
        new_rights, new_ids = np.concatenate(rights), np.concatenate(ids)
        replaced = np.isin(
            self.right_ids * (2**31) + self.image_ids, new_rights * (2**31) + new_ids
        )
        keep = ~replaced
        self._set(
            np.concatenate([self.hashes[:, keep], *hashes], axis=1),
            np.concatenate([self.right_ids[keep], new_rights]),
            np.concatenate([self.image_ids[keep], new_ids]),
            np.concatenate([self.variants[keep], *variants]),
        )
        return self

    def remove(self, right_id: int) -> None:
        """Forget every image registered for ``right_id``."""
        keep = self.right_ids != right_id
        self._set(
            self.hashes[:, keep], self.right_ids[keep], self.image_ids[keep], self.variants[keep]
        )

    def to_arrays(self) -> dict[str, npt.NDArray[Any]]:
        """Return the index as plain arrays for ``np.savez`` (no pickled objects)."""
        return {
            "hashes": self.hashes,
            "right_ids": self.right_ids,
            "image_ids": self.image_ids,
            "variants": self.variants,
            "kinds": np.array(KINDS),
            "variant_names": np.array(VARIANTS),
        }

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, npt.NDArray[Any]]) -> "ImageIndex":
        """Load an index saved by ``to_arrays``; refuse one built with other kinds or variants."""
        if (
            tuple(arrays["kinds"].tolist()) != KINDS
            or tuple(arrays["variant_names"].tolist()) != VARIANTS
        ):
            raise ValueError("the arrays were built with other hash kinds or variants: rebuild")
        return cls(arrays["hashes"], arrays["right_ids"], arrays["image_ids"], arrays["variants"])

    def search(self, listing_image: bytes | Image.Image, *, limit: int = 5) -> list[ImageMatch]:
        """Return the best match per right for ``listing_image``, best first, at most ``limit``."""
        views, query = listing_view_hashes(listing_image)
        return self.search_hashes(views, query, limit=limit)

    def search_hashes(
        self, views: list[str], query: npt.NDArray[np.uint64], *, limit: int = 5
    ) -> list[ImageMatch]:
        """Search with hashes from ``listing_view_hashes`` (computed once, searched in many indexes)."""
        if self.right_ids.shape[0] == 0 or not views:
            return []
        # Per listing view (up to 8), one vectorised pass over the phash of the
        # stored rows it can meet (about 1.3 x all rows in total); only the
        # few rows within the phash bound go on to dhash, sums and keys.
        found: list[_Found] = []
        quarters_found: list[_Found] = []
        for v, view in enumerate(views):
            for part, bounds in self._parts[view]:
                phash = np.bitwise_count(self.hashes[0, part] ^ query[0, v])
                near = np.flatnonzero(phash <= bounds.phash)
                if near.size == 0:
                    continue
                rows = near + part.start
                distances = np.stack(
                    [phash[near], np.bitwise_count(self.hashes[1, rows] ^ query[1, v])]
                )
                total = distances.sum(axis=0, dtype=np.uint8)
                ok = (distances[1] <= bounds.dhash) & (total <= bounds.combined)
                if ok.any():
                    key = total[ok] + np.uint8(bounds.rank_penalty)
                    (quarters_found if bounds.quarter else found).append(
                        _Found(rows[ok], distances[:, ok], np.full(key.size, v, np.uint8), key)
                    )
        # Per stored row, the best view: the lowest key (the summed distance,
        # plus CROP_RANK_PENALTY when the match is crop-resistant, so a right's
        # whole-image match, the stronger evidence, wins unless a crop window
        # or trimmed view lines up clearly better), the earlier view among equals.
        best = _Found.best_per_row(found)
        quarters_matched = np.zeros(best.rows.size, dtype=np.intp)
        if quarters_found:
            # Quarters count only when enough of one registered image's match,
            # and rank after any other match (key 128 and up). A quarter view
            # meets only its own quarter's rows, which no other view meets.
            quarters = _Found.best_per_row(quarters_found)
            numbers = self._image_number[quarters.rows]
            counts = np.bincount(numbers)[numbers]
            enough = counts >= QUARTERS_MIN_MATCHES
            quarters = quarters.take(enough)
            quarters.keys = quarters.distances.sum(axis=0, dtype=np.uint8) + np.uint8(128)
            best = _Found.concatenate([best, quarters])
            quarters_matched = np.concatenate([quarters_matched, counts[enough]])
        if best.rows.size == 0:
            return []
        # Best row per right: sort by (right, key, row), keep each right's
        # first; then order the rights by score, best first.
        order = np.lexsort((best.rows, best.keys, self.right_ids[best.rows]))
        firsts = order[np.unique(self.right_ids[best.rows[order]], return_index=True)[1]]
        matches = [
            self._match(
                int(best.rows[i]),
                views[best.views[i]],
                best.distances[:, i],
                int(quarters_matched[i]),
            )
            for i in firsts
        ]
        matches.sort(key=lambda match: -match.score)
        return matches[:limit]

    def _match(
        self, row: int, view: str, distances: npt.NDArray[np.uint8], quarters: int
    ) -> ImageMatch:
        variant = VARIANTS[self.variants[row]]
        crop = view != "whole" or self._crop[row]
        # The share of the 128 hash bits that agree: 1.0 is the same picture,
        # 0.5 is what two unrelated pictures average. A match by quarters is
        # scaled by the share of quarters that matched (2 of 4 scores <= 0.5).
        score = 1.0 - int(distances.sum()) / (64 * len(KINDS))
        evidence: dict[str, Any] = {
            "method": "crop-resistant" if crop else "whole-image",
            "registered_image": int(self.image_ids[row]),
            "variant": variant,
            "listing_view": view,
            "distances": {kind: int(d) for kind, d in zip(KINDS, distances, strict=True)},
        }
        if quarters:
            score *= quarters / len(QUARTER_VARIANTS)
            evidence["quarters_matched"] = quarters
        return ImageMatch(
            right_id=int(self.right_ids[row]),
            image_id=int(self.image_ids[row]),
            score=round(score, 4),
            evidence=evidence,
        )
