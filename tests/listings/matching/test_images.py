"""The image half of the matching engine: decoding small, perceptual hashes, thumbnails."""

import io
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from listings.matching.images import (
    HASH_NAMES,
    decode_small,
    decode_small_gray,
    hamming,
    image_hashes,
    phash_distance,
    thumbnail,
)

ROOT = Path(__file__).resolve().parents[3]


def product_photo(*, size: int = 1000, variant: int = 0) -> Image.Image:
    """A picture with enough structure for perceptual hashes: shapes of two colours."""
    im = Image.new("RGB", (size, size), (255, 255, 255))
    draw = ImageDraw.Draw(im)
    s = size / 1000
    if variant == 0:
        draw.ellipse([100 * s, 200 * s, 700 * s, 900 * s], fill=(200, 0, 0))
        draw.rectangle([600 * s, 50 * s, 950 * s, 400 * s], fill=(0, 0, 200))
    else:
        for i in range(0, 1000, 125):
            draw.rectangle([i * s, 0, (i + 60) * s, size], fill=(20, 120, 20))
        draw.ellipse([300 * s, 300 * s, 500 * s, 500 * s], fill=(240, 200, 0))
    return im


def encoded(im: Image.Image, fmt: str, **params) -> bytes:
    buffer = io.BytesIO()
    im.save(buffer, fmt, **params)
    return buffer.getvalue()


def test_the_library_imports_without_django():
    # given an environment where Django is not configured
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    code = "import sys, listings.matching.images; assert 'django' not in sys.modules, 'django'"
    # when the library is imported in a fresh interpreter
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    # then it imports and Django was never loaded
    assert result.returncode == 0, result.stderr


def test_a_large_jpeg_is_decoded_small_and_upright():
    # given a 2000 x 1000 JPEG whose EXIF says "rotate 90 degrees"
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90 CW to display
    data = encoded(product_photo(size=1000).resize((2000, 1000)), "JPEG", exif=exif)
    # when it is decoded small
    image = decode_small(data, max_side=512)
    # then it is RGB, at most 512 on its long side, and portrait as displayed
    assert image.mode == "RGB"
    assert image.size == (256, 512)


def test_a_transparent_png_is_put_on_white():
    # given a fully transparent PNG
    data = encoded(Image.new("RGBA", (40, 40), (0, 0, 0, 0)), "PNG")
    # when it is decoded
    image = decode_small(data)
    # then the transparent pixels are white, not black
    assert image.getpixel((20, 20)) == (255, 255, 255)


def test_a_jpeg_decoded_gray_is_small_upright_and_closer_to_the_picture_than_the_colour_decode():
    # given a 2000 x 1000 colour JPEG whose EXIF says "rotate 90 degrees"
    exif = Image.Exif()
    exif[0x0112] = 6
    picture = product_photo(size=1000).resize((2000, 1000))
    data = encoded(picture, "JPEG", exif=exif)
    # when it is decoded gray, and in colour then converted
    gray = decode_small_gray(data, max_side=128)
    converted = decode_small(data, max_side=128).convert("L")
    # then it is one band and portrait, and its gray levels are at least as
    # close to the picture's as the converted colour decode's (no chroma fringes)
    assert gray.mode == "L"
    assert gray.size == converted.size == (64, 128)
    truth = picture.convert("L").transpose(Image.Transpose.ROTATE_270)
    truth.thumbnail((128, 128), Image.Resampling.LANCZOS)
    error = np.abs(np.asarray(gray, np.int16) - np.asarray(truth, np.int16)).mean()
    converted_error = np.abs(np.asarray(converted, np.int16) - np.asarray(truth, np.int16)).mean()
    assert error <= converted_error
    assert error < 1.0


def test_a_jpeg_decoded_gray_with_a_minimum_side_is_not_resized_twice():
    # given an 800-pixel colour JPEG, a listing photo's usual size
    picture = product_photo(size=800)
    data = encoded(picture, "JPEG")
    # when it is decoded gray for hashing, at least 96 and at most 128 pixels a side
    gray = decode_small_gray(data, max_side=128, min_side=96)
    # then it is the 1/8 DCT scale, 100 pixels, close to the picture at that size
    assert gray.mode == "L"
    assert gray.size == (100, 100)
    truth = picture.convert("L").resize((100, 100), Image.Resampling.LANCZOS)
    assert np.abs(np.asarray(gray, np.int16) - np.asarray(truth, np.int16)).mean() < 3.0


def test_a_transparent_png_decoded_gray_is_white():
    # given a fully transparent PNG
    data = encoded(Image.new("RGBA", (40, 40), (0, 0, 0, 0)), "PNG")
    # when it is decoded gray
    image = decode_small_gray(data)
    # then the transparent pixels are white, not black
    assert image.mode == "L"
    assert image.getpixel((20, 20)) == 255


def test_hashes_are_64_bit_hex_strings():
    # given a decoded image
    image = decode_small(encoded(product_photo(), "PNG"))
    # when it is hashed
    hashes = image_hashes(image)
    # then every named hash is there and the perceptual ones are 16 hex digits
    assert set(hashes) == set(HASH_NAMES)
    for name in ("phash", "phash_mirror", "dhash"):
        assert len(hashes[name]) == 16
        int(hashes[name], 16)


def test_a_resized_recompressed_copy_is_near_and_an_unrelated_image_is_far():
    # given a registered photo, a smaller JPEG copy of it, and an unrelated picture
    original = image_hashes(decode_small(encoded(product_photo(), "PNG")))
    copy = image_hashes(
        decode_small(encoded(product_photo().resize((300, 300)), "JPEG", quality=70))
    )
    unrelated = image_hashes(decode_small(encoded(product_photo(variant=1), "PNG")))
    # when their phashes are compared
    # then the copy is within a few bits and the unrelated picture is far away
    assert hamming(original["phash"], copy["phash"]) <= 4
    assert hamming(original["phash"], unrelated["phash"]) >= 20


def test_a_mirrored_copy_is_near_through_the_mirror_hash():
    # given a photo and its left-right mirror, re-encoded as JPEG
    original = image_hashes(decode_small(encoded(product_photo(), "PNG")))
    flipped = product_photo().transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    mirrored = image_hashes(decode_small(encoded(flipped, "JPEG", quality=85)))
    # when the distance is taken as the engine does
    distance = phash_distance(mirrored, original)
    # then the mirror is recognised although its plain phash is far
    assert hamming(original["phash"], mirrored["phash"]) >= 20
    assert distance <= 4


def test_the_thumbnail_is_a_small_jpeg():
    # given a decoded 1000 x 1000 photo
    image = decode_small(encoded(product_photo(), "PNG"))
    # when a thumbnail is made
    data = thumbnail(image)
    # then it is a JPEG no larger than 160 x 160
    with Image.open(io.BytesIO(data)) as thumb:
        assert thumb.format == "JPEG"
        assert max(thumb.size) == 160
