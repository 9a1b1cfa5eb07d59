"""The image index: registered pictures found in listing images, turned, cropped or padded."""

import io
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import imagehash
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageFont

from listings.matching.image_index import (
    KINDS,
    VARIANTS,
    ImageIndex,
    RegisteredImage,
    _resample,
    registered_hashes,
    registered_variant_hashes,
)
from listings.matching.images import decode_small, image_hashes

ROOT = Path(__file__).resolve().parents[3]
T = Image.Transpose


def logo(seed: int) -> Image.Image:
    """A mark on white: a ring, a square, a triangle and a word, placed by ``seed``."""
    rng = np.random.default_rng(seed)
    im = Image.new("RGB", (480, 320), (255, 255, 255))
    draw = ImageDraw.Draw(im)
    x, y = rng.integers(20, 200, size=2)
    draw.ellipse([x, y, x + 150, y + 150], outline=tuple(rng.integers(0, 200, 3)), width=18)
    x, y = rng.integers(150, 320), rng.integers(10, 120)
    draw.rectangle([x, y, x + 120, y + 90], fill=tuple(rng.integers(0, 256, 3)))
    x, y = rng.integers(20, 300), rng.integers(150, 200)
    draw.polygon(
        [(x, y + 110), (x + 70, y), (x + 140, y + 110)], fill=tuple(rng.integers(0, 256, 3))
    )
    word = "".join(chr(65 + int(c)) for c in rng.integers(0, 26, 5))
    font = ImageFont.load_default(size=60)
    draw.text((rng.integers(10, 200), 240), word, fill=(20, 20, 20), font=font)
    return im


def design_photo(seed: int) -> Image.Image:
    """A product view: a gradient, blurred blobs and noise, no plain border."""
    rng = np.random.default_rng(seed)
    im = Image.linear_gradient("L").rotate(float(rng.uniform(0, 360))).resize((500, 400))
    im = Image.merge("RGB", [im, im.point(lambda v: 255 - v), im.point(lambda v: v // 2)])
    draw = ImageDraw.Draw(im)
    for _ in range(6):
        x, y, r = rng.uniform(0, 500), rng.uniform(0, 400), rng.uniform(30, 120)
        draw.ellipse([x - r, y - r, x + r, y + r * 0.7], fill=tuple(rng.integers(0, 256, 3)))
    im = im.filter(ImageFilter.GaussianBlur(3))
    return Image.blend(im, Image.effect_noise((500, 400), 30).convert("RGB"), 0.08)


def jpeg(im: Image.Image, quality: int = 85) -> bytes:
    buffer = io.BytesIO()
    im.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def sale_sticker(im: Image.Image) -> Image.Image:
    """A 'SALE' label and a smiley in the corners, as sellers stamp on photos."""
    im = im.copy()
    draw = ImageDraw.Draw(im)
    draw.text((8, 8), "SALE", fill=(230, 0, 0), font=ImageFont.load_default(size=30))
    w, h = im.size
    draw.ellipse([w - 60, h - 60, w - 12, h - 12], fill=(255, 210, 0), outline=(0, 0, 0), width=3)
    return im


def padded(im: Image.Image, fill: tuple[int, int, int]) -> Image.Image:
    w, h = im.size
    out = Image.new("RGB", (round(w * 1.1), round(h * 1.1)), fill)
    out.paste(im, (round(w * 0.03), round(h * 0.07)))
    return out


PICTURES = {"logo": logo(1), "design": design_photo(2)}
# Right 1 holds the logo, right 2 the design view, rights 3-8 other marks and views.
REGISTERED = [
    RegisteredImage(right_id=1, image_id=11, data=jpeg(PICTURES["logo"], 92)),
    RegisteredImage(right_id=2, image_id=21, data=jpeg(PICTURES["design"], 92)),
    *(RegisteredImage(right_id=s, image_id=s * 10 + 1, data=jpeg(logo(s * 7))) for s in (3, 4, 5)),
    *(
        RegisteredImage(right_id=s, image_id=s * 10 + 1, data=jpeg(design_photo(s * 7)))
        for s in (6, 7, 8)
    ),
]
RIGHT_OF = {"logo": 1, "design": 2}


@pytest.fixture(scope="module")
def index() -> ImageIndex:
    return ImageIndex.build(REGISTERED)


WHOLE_IMAGE_COPIES: dict[str, tuple[Callable[[Image.Image], bytes], str]] = {
    "exact copy": (lambda im: jpeg(im, 92), "original"),
    "re-compressed JPEG q40": (lambda im: jpeg(im, 40), "original"),
    "resized to 35%": (
        lambda im: jpeg(im.resize((im.width * 35 // 100, im.height * 35 // 100))),
        "original",
    ),
    "slight blur": (lambda im: jpeg(im.filter(ImageFilter.GaussianBlur(1.5))), "original"),
    "brighter": (lambda im: jpeg(ImageEnhance.Brightness(im).enhance(1.25)), "original"),
    "less contrast": (lambda im: jpeg(ImageEnhance.Contrast(im).enhance(0.75)), "original"),
    "sticker overlay": (lambda im: jpeg(sale_sticker(im)), "original"),
    "mirrored": (lambda im: jpeg(im.transpose(T.FLIP_LEFT_RIGHT)), "mirror"),
    "rotated 90": (lambda im: jpeg(im.transpose(T.ROTATE_90)), "rot90"),
    "rotated 180": (lambda im: jpeg(im.transpose(T.ROTATE_180)), "rot180"),
}


@pytest.mark.parametrize("kind", PICTURES)
@pytest.mark.parametrize("transform", WHOLE_IMAGE_COPIES)
def test_an_edited_copy_is_found_with_the_variant_it_is(index, kind, transform):
    # given a listing image made from a registered picture by a seller's edit
    make, variant = WHOLE_IMAGE_COPIES[transform]
    listing = make(PICTURES[kind])
    # when it is searched
    matches = index.search(listing)
    # then the right is the best match, through the whole image, as that variant
    assert matches, "not found"
    best = matches[0]
    assert best.right_id == RIGHT_OF[kind]
    assert best.evidence["method"] == "whole-image"
    assert best.evidence["variant"] == variant
    assert 0.8 < best.score <= 1.0


@pytest.mark.parametrize("kind", PICTURES)
@pytest.mark.parametrize(
    "edit",
    [
        lambda im: im.crop((round(im.width * 0.1), 0, im.width, round(im.height * 0.9))),
        lambda im: im.crop(
            (
                round(im.width * 0.05),
                round(im.height * 0.05),
                round(im.width * 0.95),
                round(im.height * 0.95),
            )
        ),
        lambda im: padded(im, (0, 0, 0)),
        lambda im: padded(im, (40, 90, 200)),
    ],
    ids=[
        "crop 10% off two sides",
        "crop 5% off each side",
        "black padding 10%",
        "blue padding 10%",
    ],
)
def test_a_cropped_or_padded_copy_is_found_by_the_crop_resistant_method(index, kind, edit):
    # given a listing image that is a 10 % crop, or the picture on a 10 % border
    listing = jpeg(edit(PICTURES[kind]))
    # when it is searched
    matches = index.search(listing)
    # then the right is found, and the evidence names a crop window or a trimmed view
    assert [m.right_id for m in matches][:1] == [RIGHT_OF[kind]]
    evidence = matches[0].evidence
    assert evidence["method"] == "crop-resistant"
    assert evidence["variant"].startswith(("crop-", "trim")) or evidence["listing_view"] != "whole"


def big_stickers(im: Image.Image) -> Image.Image:
    """A price banner across the top-left and a large badge over the bottom-right corner."""
    im = im.copy()
    draw = ImageDraw.Draw(im)
    w, h = im.size
    draw.rectangle([0, 0, w * 0.45, h * 0.16], fill=(230, 0, 0))
    draw.text((10, 5), "SALE -50%", fill=(255, 255, 255), font=ImageFont.load_default(size=h // 9))
    r = min(w, h) * 0.14
    draw.ellipse(
        [w - 2.4 * r, h - 2.4 * r, w - 0.4 * r, h - 0.4 * r],
        fill=(255, 210, 0),
        outline=(0, 0, 0),
        width=4,
    )
    return im


@pytest.mark.parametrize("kind", PICTURES)
def test_a_copy_under_large_stickers_is_found_by_its_clean_quarters(index, kind):
    # given a listing image whose two corners are covered by a banner and a badge
    listing = jpeg(big_stickers(PICTURES[kind]))
    # when it is searched
    matches = index.search(listing)
    # then the right is found through the quarters the stickers left clean, scored lower
    assert [m.right_id for m in matches] == [RIGHT_OF[kind]]
    evidence = matches[0].evidence
    assert evidence["variant"].startswith("quarter-")
    assert evidence["quarters_matched"] >= 2
    assert matches[0].score <= evidence["quarters_matched"] / 4


@pytest.mark.parametrize("seed", range(100, 112))
def test_unrelated_pictures_are_not_matched(index, seed):
    # given listing images of other marks and other products
    listing = jpeg(logo(seed) if seed % 2 else design_photo(seed))
    # when they are searched
    matches = index.search(listing)
    # then nothing is returned
    assert matches == []


def test_the_evidence_names_the_registered_image_and_each_distance_and_is_json(index):
    # given a mirrored copy of the registered logo
    listing = jpeg(PICTURES["logo"].transpose(T.FLIP_LEFT_RIGHT))
    # when it is searched
    match = index.search(listing)[0]
    # then the evidence says which image, which variant, each kind's distance, and round-trips as JSON
    assert match.image_id == 11
    assert match.evidence["registered_image"] == 11
    assert match.evidence["variant"] == "mirror"
    assert set(match.evidence["distances"]) == set(KINDS)
    assert json.loads(json.dumps(match.evidence)) == match.evidence


def test_variant_hashes_are_the_ones_imagehash_computes():
    # given a registered picture and the same picture turned, as the listing side hashes it
    picture = decode_small(jpeg(PICTURES["design"]), max_side=128).convert("L")
    variants = registered_variant_hashes(picture)
    # when imagehash hashes the mirrored and turned pictures itself
    mirror = picture.transpose(T.FLIP_LEFT_RIGHT)
    rot90 = picture.transpose(T.ROTATE_90)
    # then the index stored the same 64 bits for the original and the mirror
    assert variants["original"]["phash"] == int(str(imagehash.phash(picture)), 16)
    assert variants["original"]["dhash"] == int(str(imagehash.dhash(picture)), 16)
    assert variants["mirror"]["phash"] == int(str(imagehash.phash(mirror)), 16)
    assert variants["mirror"]["dhash"] == int(str(imagehash.dhash(mirror)), 16)
    # and for a turn the same phash and a dhash a few bits off (Pillow resizes
    # width then height, so turning before or after resizing rounds differently)
    assert variants["rot90"]["phash"] == int(str(imagehash.phash(rot90)), 16)
    assert (variants["rot90"]["dhash"] ^ int(str(imagehash.dhash(rot90)), 16)).bit_count() <= 4


def test_variant_hashes_agree_with_the_hashes_stored_for_images():
    # given the hashes images.image_hashes stores for a decoded picture (at 512 px)
    data = jpeg(PICTURES["logo"])
    stored = image_hashes(decode_small(data))
    # when the index hashes the same bytes (at 128 px)
    variants = registered_variant_hashes(data)
    # then they differ by a bit or two at most
    assert (variants["original"]["phash"] ^ int(stored["phash"], 16)).bit_count() <= 2
    assert (variants["mirror"]["phash"] ^ int(stored["phash_mirror"], 16)).bit_count() <= 2
    assert (variants["original"]["dhash"] ^ int(stored["dhash"], 16)).bit_count() <= 2


def test_every_registered_image_is_stored_as_turns_mirrors_and_crop_windows(index):
    # given the index of eight registered pictures
    # when its rows are counted per variant
    stored = {VARIANTS[v] for v in index.variants[index.image_ids == 11]}
    # then the logo has all eight turns and mirrors, its trimmed content and nine windows
    assert stored == set(VARIANTS)
    assert len(index) == 8


def test_ten_thousand_registered_images_are_searched_in_one_pass():
    # given an index of 10,000 registered images (random hashes, 17 variants each) and the real logo
    rng = np.random.default_rng(0)
    rows = 10_000 * 17
    filler = ImageIndex.from_arrays(
        {
            "hashes": rng.integers(0, 2**63, size=(len(KINDS), rows), dtype=np.uint64),
            "right_ids": np.repeat(np.arange(100, 10_100, dtype=np.int64), 17),
            "image_ids": np.repeat(np.arange(100, 10_100, dtype=np.int64), 17),
            "variants": np.tile(np.arange(17, dtype=np.uint8), 10_000),
            "kinds": np.array(KINDS),
            "variant_names": np.array(VARIANTS),
        }
    )
    filler.add([REGISTERED[0]])
    # when a rotated copy of the logo is searched
    matches = filler.search(jpeg(PICTURES["logo"].transpose(T.ROTATE_90)))
    # then among 10,001 images the logo's right is the one found, as the rot90 variant
    assert len(filler) == 10_001
    assert [(m.right_id, m.evidence["variant"]) for m in matches] == [(1, "rot90")]


def test_an_index_saved_as_npz_loads_and_finds_the_same(index, tmp_path):
    # given the index saved with numpy's savez (no pickles)
    path = tmp_path / "images.npz"
    np.savez(path, **index.to_arrays())
    # when a worker loads it
    with np.load(path, allow_pickle=False) as arrays:
        loaded = ImageIndex.from_arrays(arrays)
    # then it finds what the original finds
    listing = jpeg(PICTURES["design"].transpose(T.ROTATE_180))
    assert loaded.search(listing) == index.search(listing)
    assert len(loaded) == len(index)


def test_an_index_from_stored_hashes_finds_what_a_decoding_build_finds(index):
    # given each registered image's hashes computed once, as the workbench stores them
    rows = [(r.right_id, r.image_id, *registered_hashes(r.data)) for r in REGISTERED]
    # when an index is built from them, decoding nothing
    stored = ImageIndex.from_hashes(rows)
    # then it finds what the index built from the pictures finds
    listing = jpeg(PICTURES["logo"].transpose(T.FLIP_LEFT_RIGHT))
    assert stored.search(listing) == index.search(listing)
    assert len(stored) == len(index)


def test_stored_hashes_that_do_not_fit_their_variants_are_refused():
    variants, hashes = registered_hashes(PICTURES["logo"])
    with pytest.raises(ValueError, match="image 7"):
        ImageIndex.from_hashes([(1, 7, variants[:-1], hashes)])


def test_arrays_built_with_other_variants_are_refused(index):
    # given arrays saved by a version with other variants
    arrays = index.to_arrays() | {"variant_names": np.array(["original", "mirror"])}
    # when they are loaded
    # then the worker is told to rebuild rather than misname variants
    with pytest.raises(ValueError, match="rebuild"):
        ImageIndex.from_arrays(arrays)


def test_a_removed_right_is_no_longer_found_and_an_added_image_is():
    # given an index of the registered pictures
    index = ImageIndex.build(REGISTERED)
    listing = jpeg(PICTURES["logo"], 60)
    # when the logo's right is removed
    index.remove(1)
    # then the logo is not found and the other rights stay
    assert index.search(listing) == []
    assert len(index) == 7
    # when the logo is added again under another right, twice (the second replaces the first)
    index.add([RegisteredImage(right_id=9, image_id=11, data=PICTURES["logo"])])
    index.add([RegisteredImage(right_id=9, image_id=11, data=PICTURES["logo"])])
    # then it is found for that right, stored once
    assert [m.right_id for m in index.search(listing)] == [9]
    assert len(index) == 8
    assert int((index.image_ids == 11).sum()) == len(VARIANTS)


def test_a_blank_listing_image_matches_nothing(index):
    # given a plain white listing image (no shape to hash)
    listing = jpeg(Image.new("RGB", (300, 300), (255, 255, 255)))
    # when it is searched
    # then nothing matches, though blank hashes are all alike
    assert index.search(listing) == []


def test_the_image_index_imports_without_django():
    # given an environment where Django is not configured
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    code = "import sys, listings.matching.image_index; assert 'django' not in sys.modules, 'django'"
    # when the module is imported in a fresh interpreter
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    # then it imports and Django was never loaded
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("width", "height"), [(128, 128), (128, 85), (40, 128), (150, 45), (17, 60), (9, 9)]
)
def test_windows_are_resampled_as_pillow_resamples_them_bit_for_bit(width, height):
    # given grayscale pictures of several shapes (Pillow resizes the axis that
    # shrinks less first) and windows inside them, as the index cuts them
    rng = np.random.default_rng(width * height)
    gray = design_photo(width).resize((width, height)).convert("L")
    boxes: list[tuple[float, float, float, float] | None] = [None]
    for _ in range(12):
        x0, y0 = rng.uniform(0, width / 2), rng.uniform(0, height / 2)
        boxes.append((x0, y0, rng.uniform(x0 + 1, width), rng.uniform(y0 + 1, height)))
    # and windows sharing a span on one axis, resampled along it once
    boxes += [(0, 0, width / 2, height / 2), (0, height / 2, width / 2, height)]
    boxes += [(width / 2, 0, width, height / 2), (0, 0, width / 2, height / 3)]
    for size in ((32, 32), (9, 8), (8, 9), (int(rng.integers(1, 40)), int(rng.integers(1, 40)))):
        # when every window is resampled in one batch
        batch = _resample(np.asarray(gray), boxes, size)
        # then each is the image Pillow's LANCZOS resize gives, pixel for pixel
        for box, small in zip(boxes, batch, strict=True):
            expected = np.asarray(gray.resize(size, Image.Resampling.LANCZOS, box=box))
            assert np.array_equal(small, expected), (size, box)


def flipped(value: int, bits: int) -> int:
    """``value`` with its ``bits`` lowest bits flipped."""
    return value ^ ((1 << bits) - 1)


def test_the_search_keeps_exactly_the_rows_within_each_bound():
    # given stored rows at chosen distances from one listing view's hashes:
    # right 1 at the whole-image bounds (phash 12, sum 18), right 2 one phash
    # bit over them, right 3 a crop window at phash 8 (its bound), right 4 a
    # crop window at phash 9, right 5 the same picture with dhash over its bound
    phash, dhash = 0x0123456789ABCDEF, 0x0F0F0F0F0F0F0F0F
    stored = [
        (1, "original", flipped(phash, 12), flipped(dhash, 6)),
        (2, "original", flipped(phash, 13), dhash),
        (3, "crop-90-centre", flipped(phash, 8), flipped(dhash, 10)),
        (4, "crop-90-centre", flipped(phash, 9), dhash),
        (5, "original", phash, flipped(dhash, 15)),
    ]
    index = ImageIndex.from_hashes(
        (
            right,
            right * 10,
            np.array([VARIANTS.index(variant)], np.uint8),
            np.array([[p], [d]], np.uint64),
        )
        for right, variant, p, d in stored
    )
    query = np.array([[phash], [dhash]], dtype=np.uint64)
    # when the listing's whole view is searched
    matches = index.search_hashes(["whole"], query)
    # then only the rows within their bounds match, with their distances
    assert {m.right_id: m.evidence["distances"] for m in matches} == {
        1: {"phash": 12, "dhash": 6},
        3: {"phash": 8, "dhash": 10},
    }
    assert [m.evidence["method"] for m in matches] == ["whole-image", "crop-resistant"]
