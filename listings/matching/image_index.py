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
bit for bit for the original and the mirror, a few dhash bits apart for the
turns (tests hold both).
"""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.fft
from PIL import Image

from listings.matching.images import HASH_SIZE, decode_small

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
    if isinstance(image, bytes):
        image = decode_small(image, max_side=WORK_SIDE)
    gray = image.convert("L")
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
        background = int(np.median(ring))
        if np.mean(np.abs(ring - background) <= TRIM_TOLERANCE) < TRIM_PLAIN_SHARE:
            break
        content = np.abs(inner - background) > TRIM_TOLERANCE
        rows = np.flatnonzero(content.mean(axis=1) > TRIM_NOISE_SHARE)
        cols = np.flatnonzero(content.mean(axis=0) > TRIM_NOISE_SHARE)
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


def _small(gray: Image.Image, size: tuple[int, int], box: Box | None) -> npt.NDArray[np.float32]:
    # resize(box=...) resamples the window straight from the source, as crop() + resize() would.
    return np.asarray(gray.resize(size, Image.Resampling.LANCZOS, box=box), dtype=np.float32)


def _pack(bits: npt.NDArray[np.bool_]) -> npt.NDArray[np.uint64]:
    """Pack (..., 8, 8) bits row-major, most significant first, into uint64 (imagehash's order)."""
    flat = bits.reshape(*bits.shape[:-2], 64)
    packed = np.packbits(flat, axis=-1)  # (..., 8) bytes, big-endian bit order
    return np.ascontiguousarray(packed).view(">u8")[..., 0].astype(np.uint64)


def _phash(squares: npt.NDArray[np.float32]) -> npt.NDArray[np.uint64]:
    """phash of a stack of 32 x 32 grayscale arrays, as imagehash.phash computes it."""
    dct = scipy.fft.dct(scipy.fft.dct(squares.astype(np.float64), axis=-2), axis=-1)
    low = np.asarray(dct)[..., :HASH_SIZE, :HASH_SIZE]
    median = np.median(low.reshape(*low.shape[:-2], -1), axis=-1)
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
    names: list[str] = []
    squares: list[npt.NDArray[np.float32]] = []
    wides: list[npt.NDArray[np.float32]] = []
    for name, box in boxes.items():
        square = _small(gray, (_PHASH_SIDE, _PHASH_SIDE), box)
        if float(square.std()) < MIN_CONTRAST:
            continue
        wide = _small(gray, (HASH_SIZE + 1, HASH_SIZE), box)
        if dihedral and box is None:
            tall = _small(gray, (HASH_SIZE, HASH_SIZE + 1), box)
            for variant, (transform, swaps) in _DIHEDRAL.items():
                names.append(variant)
                squares.append(transform(square))
                wides.append(transform(tall if swaps else wide))
        else:
            names.append(name)
            squares.append(square)
            wides.append(wide)
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
        self._slices: dict[str, list[slice]] = {}
        for view, allowed in _VIEW_VARIANTS.items():
            slices: list[slice] = []
            for index in sorted(VARIANTS.index(v) for v in allowed):
                start, stop = starts[index], starts[index + 1]
                if slices and slices[-1].stop == start:
                    slices[-1] = slice(slices[-1].start, stop)
                elif stop > start:
                    slices.append(slice(start, stop))
            self._slices[view] = slices

    @classmethod
    def build(cls, images: Iterable[RegisteredImage]) -> "ImageIndex":
        """Decode and hash every registered image's variants into a new index."""
        return cls.empty().add(images)

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
        n = self.right_ids.shape[0]
        if n == 0 or not views:
            return []
        # Per stored row (slices below are views into these arrays), the best view's key: its summed distance, plus
        # CROP_RANK_PENALTY when the match is crop-resistant, so a right's
        # whole-image match (the stronger evidence) wins unless a crop window or
        # trimmed view lines up clearly better.
        best_key = np.full(n, 255, dtype=np.uint8)
        best_view = np.zeros(n, dtype=np.uint8)
        best = np.zeros((len(KINDS), n), dtype=np.uint8)
        quarter_ok = np.zeros(n, dtype=np.bool_)
        quarter_view = np.zeros(n, dtype=np.uint8)
        quarter = np.zeros((len(KINDS), n), dtype=np.uint8)
        # Per listing view (up to 8), one vectorised pass over the stored rows it
        # can meet (about 1.3 x all rows in total); no loop per row.
        for v, view in enumerate(views):
            for part in self._slices[view]:
                distances = np.bitwise_count(self.hashes[:, part] ^ query[:, v : v + 1])
                total = distances.sum(axis=0, dtype=np.uint8)
                if view in QUARTER_VARIANTS:
                    ok = (
                        (distances[0] <= QUARTER_PHASH_MAX_DISTANCE)
                        & (distances[1] <= QUARTER_DHASH_MAX_DISTANCE)
                        & (total <= QUARTER_COMBINED_MAX_DISTANCE)
                    )
                    quarter_ok[part] = ok
                    quarter_view[part][ok] = v
                    quarter[:, part][:, ok] = distances[:, ok]
                    continue
                crop = self._crop[part] if view == "whole" else np.ones(total.size, np.bool_)
                ok = np.where(
                    crop,
                    (distances[0] <= CROP_PHASH_MAX_DISTANCE)
                    & (distances[1] <= CROP_DHASH_MAX_DISTANCE)
                    & (total <= CROP_COMBINED_MAX_DISTANCE),
                    (distances[0] <= PHASH_MAX_DISTANCE)
                    & (distances[1] <= DHASH_MAX_DISTANCE)
                    & (total <= COMBINED_MAX_DISTANCE),
                )
                key = total + crop.astype(np.uint8) * np.uint8(CROP_RANK_PENALTY)
                better = ok & (key < best_key[part])
                best_key[part][better] = key[better]
                best_view[part][better] = v
                best[:, part][:, better] = distances[:, better]
        quarters_matched = np.zeros(n, dtype=np.intp)
        if quarter_ok.any():
            # Quarters count only when enough of one registered image's match, and
            # only for a right that nothing else matched (key 128 and up).
            counts = np.bincount(self._image_number[quarter_ok])
            numbers = np.minimum(self._image_number, counts.size - 1)
            quarter_ok &= counts[numbers] >= QUARTERS_MIN_MATCHES
            quarters_matched[quarter_ok] = counts[numbers[quarter_ok]]
            key = quarter.sum(axis=0, dtype=np.uint8) + np.uint8(128)
            better = quarter_ok & (key < best_key)
            best_key[better] = key[better]
            best_view[better] = quarter_view[better]
            best[:, better] = quarter[:, better]
        rows = np.flatnonzero(best_key != 255)
        if rows.size == 0:
            return []
        # Best row per right: sort by (right, key), keep each right's first; then
        # order the rights by score, best first.
        rows = rows[np.lexsort((best_key[rows], self.right_ids[rows]))]
        firsts = rows[np.unique(self.right_ids[rows], return_index=True)[1]]
        matches = [
            self._match(int(i), views[best_view[i]], best[:, i], int(quarters_matched[i]))
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
