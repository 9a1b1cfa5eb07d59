"""Listing image intake decodes once: the thumbnail's RGB image and the engine's gray one."""

import io

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter

from listings.matching.image_index import (
    MIN_WORK_SIDE,
    WORK_SIDE,
    listing_decode,
    listing_view_hashes,
)
from listings.matching.images import decode_small, decode_small_gray, decode_small_with_gray


def photo(side: int, seed: int = 0) -> Image.Image:
    """A blurred product-like shot: shapes of several colours and some noise."""
    rng = np.random.default_rng(seed)
    im = Image.new("RGB", (side, side), (230, 225, 210))
    draw = ImageDraw.Draw(im)
    for _ in range(6):
        x0, x1 = sorted(rng.integers(0, side, 2).tolist())
        y0, y1 = sorted(rng.integers(0, side, 2).tolist())
        colour = tuple(rng.integers(0, 200, 3).tolist())
        draw.ellipse([x0, y0, x1, y1], fill=colour)
    noise = rng.integers(-12, 13, (side, side, 3))
    pixels = np.clip(np.asarray(im, np.int16) + noise, 0, 255).astype(np.uint8)
    return Image.fromarray(pixels).filter(ImageFilter.GaussianBlur(2))


def encoded(im: Image.Image, fmt: str, **params) -> bytes:
    buffer = io.BytesIO()
    im.save(buffer, fmt, **params)
    return buffer.getvalue()


def one_decode(data: bytes) -> tuple[Image.Image, Image.Image]:
    return decode_small_with_gray(
        data, max_side=160, gray_max_side=WORK_SIDE, gray_min_side=MIN_WORK_SIDE
    )


def levels(a: Image.Image, b: Image.Image) -> int:
    return int(np.abs(np.asarray(a, np.int16) - np.asarray(b, np.int16)).max())


def test_an_800_px_jpeg_decoded_once_gives_the_engines_gray_within_a_level():
    # given an 800-pixel colour JPEG (a listing photo's usual size)
    data = encoded(photo(800), "JPEG", quality=85)
    # when it is decoded once for the thumbnail and the engine
    image, gray = one_decode(data)
    # then the gray image is the engine's own 1/8-scale decode within one gray
    # level, and the RGB image is decode_small's bit for bit
    engine = decode_small_gray(data, max_side=WORK_SIDE, min_side=MIN_WORK_SIDE)
    assert gray.mode == "L"
    assert gray.size == engine.size == (100, 100)
    assert levels(gray, engine) <= 1
    assert image.mode == "RGB"
    assert image.size == (160, 160)
    assert levels(image, decode_small(data, max_side=160)) == 0


def test_a_large_jpeg_at_the_same_draft_scale_gives_the_engines_gray_bit_for_bit():
    # given a 2400-pixel JPEG, decoded at 1/8 for the thumbnail and the engine alike
    data = encoded(photo(2400, seed=1), "JPEG", quality=90)
    # when it is decoded once
    _, gray = one_decode(data)
    # then the gray image is exactly the engine's
    engine = decode_small_gray(data, max_side=WORK_SIDE, min_side=MIN_WORK_SIDE)
    assert gray.size == engine.size == (128, 128)
    assert levels(gray, engine) == 0


def test_a_png_decoded_once_gives_both_images_bit_for_bit():
    # given a PNG with transparency (no draft mode: decoded in full either way)
    im = photo(300, seed=2).convert("RGBA")
    im.paste((0, 0, 0, 0), (0, 0, 60, 60))
    data = encoded(im, "PNG")
    # when it is decoded once
    image, gray = one_decode(data)
    # then both images are exactly what the two separate decodes give
    assert levels(gray, decode_small_gray(data, max_side=WORK_SIDE, min_side=MIN_WORK_SIDE)) == 0
    assert levels(image, decode_small(data, max_side=160)) == 0
    assert image.getpixel((0, 0)) == (255, 255, 255)


def test_a_rotated_jpeg_decoded_once_is_upright_in_both_images():
    # given a 1600 x 800 JPEG whose EXIF says "rotate 90 degrees"
    exif = Image.Exif()
    exif[0x0112] = 6
    data = encoded(photo(800, seed=3).resize((1600, 800)), "JPEG", exif=exif)
    # when it is decoded once
    image, gray = one_decode(data)
    # then both are portrait, and the gray one is the engine's within a level
    engine = decode_small_gray(data, max_side=WORK_SIDE, min_side=MIN_WORK_SIDE)
    assert image.size == (80, 160)
    assert gray.size == engine.size == (64, 128)
    assert levels(gray, engine) <= 1


@pytest.mark.parametrize(
    ("label", "picture"),
    [
        ("smaller than the engine's side", photo(60, seed=4)),
        ("a wide banner", photo(1000, seed=5).resize((1000, 300))),
        ("odd sides", photo(801, seed=6).resize((801, 613))),
        ("grayscale", photo(800, seed=7).convert("L")),
        ("CMYK", photo(800, seed=8).convert("CMYK")),
    ],
)
def test_other_jpegs_decoded_once_match_the_two_decodes(label, picture):
    # given a JPEG of another size or colour space
    data = encoded(picture, "JPEG")
    # when it is decoded once
    image, gray = one_decode(data)
    # then both images have the two decodes' sizes, the RGB one bit for bit,
    # the gray within a level (two where a LANCZOS resize to 128 px follows:
    # its negative lobes can add up two neighbours' differences)
    engine = decode_small_gray(data, max_side=WORK_SIDE, min_side=MIN_WORK_SIDE)
    colour = decode_small(data, max_side=160)
    assert gray.size == engine.size, label
    assert levels(gray, engine) <= 2, label
    assert image.size == colour.size, label
    assert levels(image, colour) == 0, label


def test_a_gray_image_finer_than_the_decode_is_refused():
    # given a JPEG
    data = encoded(photo(800), "JPEG")
    # when the gray image is asked at least 200 pixels a side from a 160-pixel decode
    # then it is refused, naming both sides
    with pytest.raises(ValueError, match="gray_min_side 200 exceeds max_side 160"):
        decode_small_with_gray(data, max_side=160, gray_max_side=256, gray_min_side=200)


def test_listing_views_from_one_decode_are_the_engines_views_with_near_hashes():
    # given listing photos of 800 pixels
    for seed in range(4):
        data = encoded(photo(800, seed=seed), "JPEG", quality=85)
        # when they are decoded once for intake, and hashed by the engine from the bytes
        _, views, hashes = listing_decode(data, max_side=160)
        engine_views, engine_hashes = listing_view_hashes(data)
        # then the views are the same and the whole picture's hashes a few bits apart
        # at most (a re-encoded copy is ~4-10 bits from its source; matching allows 12)
        assert views == engine_views
        assert np.bitwise_count(hashes[:, 0] ^ engine_hashes[:, 0]).max() <= 4
