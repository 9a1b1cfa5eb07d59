"""Decode listing and right images small, hash them perceptually, make thumbnails.

Perceptual hashes survive re-encoding, resizing and small edits, so a copy of a
registered product photo is found by Hamming distance between hashes even when
its bytes differ. Hashes are 64-bit and stored as 16 hex digits (``str()`` of
an ``imagehash.ImageHash``).
"""

import io

import imagehash
from PIL import Image, ImageOps

# Every hash the engine stores for an image, by name. phash (DCT) is robust to
# scaling and compression; dhash (gradients) is cheap and complements it on
# crops and brightness changes; colorhash separates pictures with the same
# shapes in different colours (binbits=3 gives 14 * 3 = 42 bits). phash_mirror
# is the phash of the left-right mirror: counterfeit listings often flip the
# brand's photo, which moves the phash ~30 of 64 bits away.
HASH_NAMES = ("phash", "phash_mirror", "dhash", "colorhash")
# 8 x 8 = 64-bit hashes: the size imagehash's own benchmarks tune thresholds for.
HASH_SIZE = 8
# Thumbnails are JPEG: one is made for every listing image, and encoding a
# 160-pixel photo costs 0.13 ms as JPEG against 0.9 ms as WebP (method 2) or
# 2.1 ms (WebP's default method 4), for ~4 KB instead of ~2.3 KB (measured on
# noisy 800-px shots decoded small): CPU, not storage, bounds intake.
THUMBNAIL_FORMAT = "JPEG"
THUMBNAIL_EXTENSION = ".jpg"
THUMBNAIL_CONTENT_TYPE = "image/jpeg"
# Thumbnails stored before, by extension, for serving them with the right type.
THUMBNAIL_CONTENT_TYPES = {".jpg": "image/jpeg", ".webp": "image/webp"}


def decode_small(
    data: bytes, *, max_side: int = 512, resample: Image.Resampling = Image.Resampling.LANCZOS
) -> Image.Image:
    """Decode ``data`` to an upright RGB image no larger than ``max_side`` on either side.

    ``resample`` is the filter of the final resize; for a thumbnail from a
    draft decode at most twice its size, BILINEAR looks the same as LANCZOS
    at half the cost.

    JPEG is decoded in draft mode (DCT scaling by 1/2, 1/4 or 1/8), so a
    4000-pixel photo costs a fraction of a full decode. Transparent pixels are
    put on white, as a shop page shows them. Callers check the pixel count
    before: this function trusts Pillow's own decompression-bomb guard only.
    """
    return _decode(data, "RGB", max_side, resample=resample)


def decode_small_gray(
    data: bytes, *, max_side: int = 128, min_side: int | None = None
) -> Image.Image:
    """Decode ``data`` as ``decode_small`` does, but to grayscale ("L").

    For perceptual hashes, which see only gray levels. A colour JPEG is decoded
    straight to its luma channel (no chroma upsampling or colour conversion)
    and the resize runs on one band instead of three: about half the cost of
    ``decode_small(...).convert("L")`` for an 800-pixel JPEG. The gray levels
    differ from that by a level or so (luma as the JPEG stored it, and rounding
    after the resize instead of before the conversion).

    With ``min_side``, a JPEG is decoded at the smallest DCT scale that keeps
    both sides at least ``min_side`` pixels and is resized only if it is still
    larger than ``max_side``: an 800-pixel JPEG is decoded at 1/8 to 100 pixels
    and not resized at all, instead of decoded at 1/4 and resized to 128.
    """
    return _decode(data, "L", max_side, min_side)


def decode_small_with_gray(
    data: bytes,
    *,
    max_side: int,
    gray_max_side: int,
    gray_min_side: int,
    resample: Image.Resampling = Image.Resampling.LANCZOS,
) -> tuple[Image.Image, Image.Image]:
    """Decode ``data`` once; return ``decode_small``'s RGB image and ``decode_small_gray``'s gray one.

    The two functions each pay a JPEG's full entropy decoding, whatever the
    scale: for an 800-pixel photo ~0.3 ms of the ~0.8 a small RGB decode
    costs. Here a JPEG is decoded once, in RGB at the RGB image's draft scale
    (the RGB image is ``decode_small``'s bit for bit). The gray image is its
    conversion to luma, box-reduced by the ratio of the draft scale
    ``decode_small_gray`` would pick to this one: the mean of an 8 x 8 block
    is its DCT's DC term, so a 1/4-scale decode reduced by 2 gives the
    1/8-scale luma within a gray level of rounding, two where a resize to
    ``gray_max_side`` follows (bit for bit when both scales are the same, and
    for formats without draft mode, but for the luma of a saturated colour
    that RGB clips). Decoding in YCbCr to keep the
    stored luma cost more: Pillow's own YCbCr -> RGB conversion is slower
    than libjpeg's. ``gray_min_side`` must not exceed ``max_side``: the gray
    image cannot be finer than the decode.
    """
    if gray_min_side > max_side:
        raise ValueError(f"gray_min_side {gray_min_side} exceeds max_side {max_side}")
    with Image.open(io.BytesIO(data)) as opened:
        reduce_by = 1
        if opened.format == "JPEG":
            stored_size = opened.size
            drafted = opened.draft("RGB", (max_side, max_side))
            if drafted is not None:
                scale = round(stored_size[0] / drafted[1][2])
                gray_side = min(gray_min_side, gray_max_side)
                reduce_by = max(1, _draft_scale(stored_size, gray_side) // scale)
        opened.load()
        upright = ImageOps.exif_transpose(opened) or opened
        image = _on_white(upright, "RGB")
        gray = _on_white(upright, "L")
    if reduce_by > 1:
        gray = gray.reduce(reduce_by)
    gray.thumbnail((gray_max_side, gray_max_side), Image.Resampling.LANCZOS)
    image.thumbnail((max_side, max_side), resample)
    return image, gray


def _draft_scale(size: tuple[int, int], side: int) -> int:
    # The DCT scale JpegImageFile.draft picks for a requested (side, side):
    # 1 for a picture smaller than that.
    ratio = min(size[0] // side, size[1] // side)
    return next((s for s in (8, 4, 2) if ratio >= s), 1)


def _decode(
    data: bytes,
    mode: str,
    max_side: int,
    min_side: int | None = None,
    *,
    resample: Image.Resampling = Image.Resampling.LANCZOS,
) -> Image.Image:
    with Image.open(io.BytesIO(data)) as opened:
        if opened.format == "JPEG":
            # draft() picks the largest scale that keeps the image >= the requested size.
            draft_side = max_side if min_side is None else min(min_side, max_side)
            opened.draft(mode, (draft_side, draft_side))
        opened.load()
        upright = ImageOps.exif_transpose(opened) or opened
        image = _on_white(upright, mode)
    image.thumbnail((max_side, max_side), resample)
    return image


def _on_white(image: Image.Image, mode: str) -> Image.Image:
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background.convert(mode) if mode != "RGB" else background
    return image.convert(mode)


def image_hashes(image: Image.Image) -> dict[str, str]:
    """Return the perceptual hashes of ``image`` as hex strings, keyed by HASH_NAMES."""
    return {
        "phash": str(imagehash.phash(image, hash_size=HASH_SIZE)),
        "phash_mirror": str(
            imagehash.phash(image.transpose(Image.Transpose.FLIP_LEFT_RIGHT), hash_size=HASH_SIZE)
        ),
        "dhash": str(imagehash.dhash(image, hash_size=HASH_SIZE)),
        "colorhash": str(imagehash.colorhash(_small_copy(image, 128), binbits=3)),
    }


def _small_copy(image: Image.Image, side: int) -> Image.Image:
    # colorhash is a histogram of hue and saturation fractions, which barely change
    # with scale: on 128 pixels it costs a fraction of the ~13 ms it takes at 512
    # (measured with bench/image_hashing.py).
    small = image.copy()
    small.thumbnail((side, side), Image.Resampling.BILINEAR)
    return small


def hamming(a: str, b: str) -> int:
    """Return the number of differing bits between two hex hashes of the same length."""
    if len(a) != len(b):
        raise ValueError(f"hashes of different lengths: {len(a)} and {len(b)} hex digits")
    return (int(a, 16) ^ int(b, 16)).bit_count()


def phash_distance(a: dict[str, str], b: dict[str, str]) -> int:
    """Return the phash distance of two images' hashes, a mirrored copy counting as the same."""
    return min(hamming(a["phash"], b["phash"]), hamming(a["phash"], b["phash_mirror"]))


def thumbnail(image: Image.Image, *, size: tuple[int, int] = (160, 160)) -> bytes:
    """Return JPEG bytes of ``image`` fitted within ``size``, for lists and evidence pages."""
    small = image.copy()
    small.thumbnail(size, Image.Resampling.LANCZOS)
    if small.mode != "RGB":
        small = small.convert("RGB")
    buffer = io.BytesIO()
    # Quality 80 keeps a 160-pixel product photo recognisable at a few KB.
    small.save(buffer, THUMBNAIL_FORMAT, quality=80)
    return buffer.getvalue()
