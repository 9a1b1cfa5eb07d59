"""Recall, false matches, build and search time of listings.matching.image_index.

Run: .venv/bin/python bench/image_quality.py [--registered 300] [--index 10000]
        [--distractors 1000] [--seed 7] [--decode-side 160]

Builds a labelled set in code: registered pictures (synthetic logos: shapes,
colours and letters on a plain ground; and design views: gradients, blurred
shapes, noise), each registered under its own right. Every registered picture
of the first --registered is turned into one listing image per transform and
searched in an index of --index registered pictures (the first --registered
plus filler of the same kinds). Prints recall per transform (the right is among
the results; and with the expected variant for turns and mirrors), the
false-match rate over (unrelated listing image, registered picture) pairs, the
build time, the search time per listing image and the index's memory.
"""

import argparse
import io
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageFont

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from listings.matching.image_index import (  # noqa: E402
    COMBINED_MAX_DISTANCE,
    CROP_COMBINED_MAX_DISTANCE,
    CROP_DHASH_MAX_DISTANCE,
    CROP_PHASH_MAX_DISTANCE,
    DHASH_MAX_DISTANCE,
    PHASH_MAX_DISTANCE,
    QUARTER_COMBINED_MAX_DISTANCE,
    QUARTER_DHASH_MAX_DISTANCE,
    QUARTER_PHASH_MAX_DISTANCE,
    QUARTERS_MIN_MATCHES,
    ImageIndex,
    RegisteredImage,
    listing_decode,
    listing_view_hashes,
)

LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"


def colour(rng: random.Random) -> tuple[int, int, int]:
    return (rng.randrange(256), rng.randrange(256), rng.randrange(256))


def logo(rng: random.Random) -> Image.Image:
    """A mark: 2-4 shapes and a word on a plain light ground, square or wide."""
    w = rng.choice([400, 480, 600])
    h = rng.choice([400, 300, 240]) if w > 400 else 400
    ground = rng.choice([(255, 255, 255), (250, 248, 240), (235, 240, 255)])
    im = Image.new("RGB", (w, h), ground)
    draw = ImageDraw.Draw(im)
    for _ in range(rng.randint(2, 4)):
        x0, y0 = rng.uniform(0, w * 0.6), rng.uniform(0, h * 0.6)
        x1, y1 = x0 + rng.uniform(w * 0.15, w * 0.4), y0 + rng.uniform(h * 0.15, h * 0.4)
        kind = rng.choice(["ellipse", "rectangle", "polygon", "ring"])
        if kind == "ellipse":
            draw.ellipse([x0, y0, x1, y1], fill=colour(rng))
        elif kind == "rectangle":
            draw.rectangle([x0, y0, x1, y1], fill=colour(rng))
        elif kind == "ring":
            draw.ellipse([x0, y0, x1, y1], outline=colour(rng), width=rng.randint(6, 20))
        else:
            points = [(rng.uniform(x0, x1), rng.uniform(y0, y1)) for _ in range(rng.randint(3, 6))]
            draw.polygon(points, fill=colour(rng))
    word = "".join(rng.choice(LETTERS) for _ in range(rng.randint(3, 6)))
    font = ImageFont.load_default(size=rng.randint(h // 8, h // 4))
    draw.text(
        (rng.uniform(0, w * 0.3), rng.uniform(h * 0.5, h * 0.7)), word, fill=colour(rng), font=font
    )
    return im


def design_view(rng: random.Random) -> Image.Image:
    """A product view: a gradient, blurred shapes and sensor noise, like a photo."""
    w, h = rng.choice([(500, 500), (600, 450), (450, 600)])
    base = Image.linear_gradient("L").rotate(rng.uniform(0, 360)).resize((w, h))
    im = Image.merge(
        "RGB",
        [base.point(lambda v, k=k: int(v * k)) for k in (rng.random(), rng.random(), rng.random())],
    )
    draw = ImageDraw.Draw(im)
    for _ in range(rng.randint(4, 9)):
        x, y, r = rng.uniform(0, w), rng.uniform(0, h), rng.uniform(w / 16, w / 4)
        draw.ellipse([x - r, y - r * rng.uniform(0.4, 1.6), x + r, y + r], fill=colour(rng))
    im = im.filter(ImageFilter.GaussianBlur(3))
    noise = Image.effect_noise((w, h), 30).convert("RGB")
    return Image.blend(im, noise, 0.08)


def picture(rng: random.Random) -> Image.Image:
    return logo(rng) if rng.random() < 0.5 else design_view(rng)


def jpeg(im: Image.Image, quality: int = 85) -> bytes:
    buffer = io.BytesIO()
    im.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def overlay(im: Image.Image, rng: random.Random) -> Image.Image:
    """A 'SALE' band and an emoji-like face in a corner: about 10 % of the picture."""
    im = im.copy()
    w, h = im.size
    draw = ImageDraw.Draw(im)
    font = ImageFont.load_default(size=h // 12)
    draw.text(
        (w * 0.05, h * 0.04),
        "SALE -50%",
        fill=(230, 0, 0),
        font=font,
        stroke_width=2,
        stroke_fill=(255, 255, 255),
    )
    r = min(w, h) * 0.09
    cx, cy = w - r * 1.5, h - r * 1.5
    draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=(255, 210, 0), outline=(0, 0, 0), width=3)
    draw.ellipse([cx - r / 2.5, cy - r / 3, cx - r / 5, cy], fill=(0, 0, 0))
    draw.ellipse([cx + r / 5, cy - r / 3, cx + r / 2.5, cy], fill=(0, 0, 0))
    draw.arc([cx - r / 2, cy - r / 4, cx + r / 2, cy + r / 1.6], 20, 160, fill=(0, 0, 0), width=3)
    return im


def crop10(im: Image.Image, rng: random.Random) -> Image.Image:
    """Keep 90 % of each side at a random place: 10 % cut from the edges, split at random."""
    w, h = im.size
    cw, ch = round(w * 0.9), round(h * 0.9)
    x, y = rng.randint(0, w - cw), rng.randint(0, h - ch)
    return im.crop((x, y, x + cw, y + ch))


def pad10(im: Image.Image, rng: random.Random) -> Image.Image:
    """Add 10 % of each side as a plain border (white, black or a colour), split at random."""
    w, h = im.size
    pw, ph = round(w * 0.1), round(h * 0.1)
    fill = rng.choice([(255, 255, 255), (0, 0, 0), colour(rng)])
    out = Image.new("RGB", (w + pw, h + ph), fill)
    out.paste(im, (rng.randint(0, pw), rng.randint(0, ph)))
    return out


T = Image.Transpose
# name -> (listing image bytes from the registered picture, expected variant or None)
TRANSFORMS: dict[str, tuple[Callable[[Image.Image, random.Random], bytes], str | None]] = {
    "jpeg q40": (lambda im, rng: jpeg(im, 40), "original"),
    "resize 40%": (
        lambda im, rng: jpeg(im.resize((im.width * 2 // 5, im.height * 2 // 5))),
        "original",
    ),
    "noise": (
        lambda im, rng: jpeg(Image.blend(im, Image.effect_noise(im.size, 60).convert("RGB"), 0.15)),
        "original",
    ),
    "blur r2": (lambda im, rng: jpeg(im.filter(ImageFilter.GaussianBlur(2))), "original"),
    "brightness +30%": (lambda im, rng: jpeg(ImageEnhance.Brightness(im).enhance(1.3)), "original"),
    "contrast -30%": (lambda im, rng: jpeg(ImageEnhance.Contrast(im).enhance(0.7)), "original"),
    "overlay": (lambda im, rng: jpeg(overlay(im, rng)), "original"),
    "mirror": (lambda im, rng: jpeg(im.transpose(T.FLIP_LEFT_RIGHT)), "mirror"),
    "rot90": (lambda im, rng: jpeg(im.transpose(T.ROTATE_90)), "rot90"),
    "rot180": (lambda im, rng: jpeg(im.transpose(T.ROTATE_180)), "rot180"),
    "crop 10%": (lambda im, rng: jpeg(crop10(im, rng)), None),
    "padding 10%": (lambda im, rng: jpeg(pad10(im, rng)), None),
}


def timed_search(
    index: ImageIndex, data: bytes, timings: list[tuple[float, float]], decode_side: int
) -> list:
    """index.search(data), timing the decode + hashing and the search apart.

    With ``decode_side``, the views are hashed as listing image intake does:
    from the one decode that also makes the thumbnail (``listing_decode``).
    """
    t0 = time.perf_counter()
    if decode_side:
        _, views, hashes = listing_decode(
            data, max_side=decode_side, resample=Image.Resampling.BILINEAR
        )
    else:
        views, hashes = listing_view_hashes(data)
    t1 = time.perf_counter()
    matches = index.search_hashes(views, hashes)
    timings.append((t1 - t0, time.perf_counter() - t1))
    return matches


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--registered", type=int, default=300)
    parser.add_argument("--index", type=int, default=10_000)
    parser.add_argument("--distractors", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--decode-side",
        type=int,
        default=0,
        help="hash listing images as intake does, from one decode to this side (160, the "
        "thumbnail's; listings.services.images.DECODE_SIDE); 0: the engine's own gray decode",
    )
    args = parser.parse_args()
    rng = random.Random(args.seed)

    t0 = time.perf_counter()
    pictures = [picture(rng) for _ in range(args.registered)]
    registered = [
        RegisteredImage(right_id=i, image_id=i, data=jpeg(im, 90)) for i, im in enumerate(pictures)
    ]
    # Filler: pictures drawn small (the index only looks at 128 px) to keep the bench short.
    filler_rng = random.Random(args.seed + 1)
    for i in range(args.registered, args.index):
        registered.append(
            RegisteredImage(right_id=i, image_id=i, data=jpeg(picture(filler_rng).reduce(2), 90))
        )
    print(f"generated {len(registered)} registered JPEGs in {time.perf_counter() - t0:.1f} s")

    t0 = time.perf_counter()
    index = ImageIndex.build(registered)
    build = time.perf_counter() - t0
    rows = index.right_ids.size
    print(
        f"index: {len(index)} registered images, {rows} stored variants, "
        f"built in {build:.1f} s ({build / len(registered) * 1000:.2f} ms an image), "
        f"{index.nbytes / 2**20:.1f} MiB"
    )
    t0 = time.perf_counter()
    buffer = io.BytesIO()
    np.savez(buffer, **index.to_arrays())
    saved = buffer.getvalue()
    loaded = ImageIndex.from_arrays(np.load(io.BytesIO(saved)))
    print(
        f"npz: {len(saved) / 2**20:.1f} MiB, saved and loaded in {(time.perf_counter() - t0) * 1000:.0f} ms ({len(loaded)} images)"
    )
    print(
        f"thresholds: whole image phash <= {PHASH_MAX_DISTANCE}, dhash <= {DHASH_MAX_DISTANCE}, "
        f"sum <= {COMBINED_MAX_DISTANCE}; crop-resistant phash <= {CROP_PHASH_MAX_DISTANCE}, "
        f"dhash <= {CROP_DHASH_MAX_DISTANCE}, sum <= {CROP_COMBINED_MAX_DISTANCE}; quarters "
        f"{QUARTERS_MIN_MATCHES}+ of 4 each phash <= {QUARTER_PHASH_MAX_DISTANCE}, "
        f"dhash <= {QUARTER_DHASH_MAX_DISTANCE}, sum <= {QUARTER_COMBINED_MAX_DISTANCE}"
    )

    print(
        f"\n{'transform':16} {'found':>7} {'top-1':>7} {'variant':>8} {'wrong rights':>13}   method"
    )
    timings: list[tuple[float, float]] = []
    true_distances: list[int] = []
    for name, (make, expected) in TRANSFORMS.items():
        found = top1 = right_variant = wrong = 0
        methods: dict[str, int] = {}
        trng = random.Random(f"{args.seed}-{name}")
        for i, im in enumerate(pictures):
            data = make(im, trng)
            matches = timed_search(index, data, timings, args.decode_side)
            hit = [m for m in matches if m.right_id == i]
            wrong += len(matches) - len(hit)
            if hit:
                found += 1
                top1 += matches[0].right_id == i
                right_variant += expected is None or hit[0].evidence["variant"] == expected
                methods[hit[0].evidence["method"]] = methods.get(hit[0].evidence["method"], 0) + 1
                true_distances.append(sum(hit[0].evidence["distances"].values()))
        n = len(pictures)
        print(
            f"{name:16} {found / n:7.1%} {top1 / n:7.1%} {right_variant / n:8.1%} {wrong:13d}   "
            + ", ".join(f"{k} {v}" for k, v in sorted(methods.items()))
        )

    drng = random.Random(args.seed + 2)
    false = 0
    false_distances: list[int] = []
    for _ in range(args.distractors):
        data = jpeg(picture(drng), 85)
        matches = timed_search(index, data, timings, args.decode_side)
        false += len(matches)
        false_distances += [sum(m.evidence["distances"].values()) for m in matches]
    pairs = args.distractors * len(index)
    print(
        f"\nfalse matches: {false} over {pairs:,} unrelated (listing, registered image) pairs "
        f"= {false / pairs:.2e}; their summed distances: {sorted(false_distances)[:20]}"
    )
    hashing = sorted(t[0] for t in timings)
    search = sorted(t[1] for t in timings)
    total = sorted(t[0] + t[1] for t in timings)
    print(
        f"per listing image ({len(timings)} images, {len(index)} registered, {rows} stored variants):"
    )
    for label, values in (("decode + hash views", hashing), ("search", search), ("both", total)):
        print(
            f"  {label:20} median {statistics.median(values) * 1000:5.1f} ms, "
            f"p95 {values[int(len(values) * 0.95)] * 1000:5.1f} ms"
        )


if __name__ == "__main__":
    main()
