"""Decode + hash + thumbnail throughput of listings.matching.images, per format.

Run: .venv/bin/python bench/image_hashing.py [--n 200] [--size 1000]
Prints images/s on one core for a photo-like JPEG and PNG of size x size pixels.

    .venv/bin/python bench/image_hashing.py --intake [--n 200] [--rounds 3]

times listing image intake's pixel work instead, in CPU time: the thumbnail
and the engine's view hashes from one decode (``listing_decode``, as
``listings.services.images`` does) against two decodes (``decode_small`` and
``listing_view_hashes`` of the bytes), on the end-to-end bench's 800-pixel
JPEGs (--n of them, 60 % unrelated shots, 40 % scaled-up logos), alternating
the two in each round; and how many view hashes the two agree on.
"""

import argparse
import io
import random
import sys
import time
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from listings.matching.image_index import listing_decode, listing_view_hashes  # noqa: E402
from listings.matching.images import decode_small, image_hashes, thumbnail  # noqa: E402

# listings.services.images.DECODE_SIDE (that module needs Django).
INTAKE_DECODE_SIDE = 160


def photo(size: int) -> Image.Image:
    """Shapes, a gradient and noise: compresses like a product photo, not like flat colour."""
    rng = random.Random(42)
    im = Image.linear_gradient("L").resize((size, size)).convert("RGB")
    draw = ImageDraw.Draw(im)
    for _ in range(40):
        x, y = rng.randrange(size), rng.randrange(size)
        r = rng.randrange(size // 20, size // 4)
        colour = tuple(rng.randrange(256) for _ in range(3))
        draw.ellipse([x - r, y - r, x + r, y + r], fill=colour)
    noise = Image.effect_noise((size, size), 24).convert("RGB")
    return Image.blend(im.filter(ImageFilter.GaussianBlur(2)), noise, 0.15)


def encode(im: Image.Image, fmt: str) -> bytes:
    buffer = io.BytesIO()
    im.save(buffer, fmt, **({"quality": 85} if fmt == "JPEG" else {}))
    return buffer.getvalue()


def run(data: bytes, n: int) -> tuple[float, dict[str, float]]:
    stages = {"decode": 0.0, "hash": 0.0, "thumbnail": 0.0}
    start = time.perf_counter()
    for _ in range(n):
        t0 = time.perf_counter()
        image = decode_small(data)
        t1 = time.perf_counter()
        image_hashes(image)
        t2 = time.perf_counter()
        thumbnail(image)
        t3 = time.perf_counter()
        stages["decode"] += t1 - t0
        stages["hash"] += t2 - t1
        stages["thumbnail"] += t3 - t2
    total = time.perf_counter() - start
    return n / total, {k: v / n * 1000 for k, v in stages.items()}


def intake(n: int, rounds: int) -> None:
    from bench.end_to_end import listing_base

    specs = [("unrelated", i) for i in range(n * 3 // 5)]
    specs += [("registered", i) for i in range(n - len(specs))]
    images = [listing_base(spec) for spec in specs]
    bilinear = Image.Resampling.BILINEAR

    def two_decodes(data: bytes) -> None:
        image = decode_small(data, max_side=INTAKE_DECODE_SIDE, resample=bilinear)
        listing_view_hashes(data)
        thumbnail(image)

    def one_decode(data: bytes) -> None:
        image, _, _ = listing_decode(data, max_side=INTAKE_DECODE_SIDE, resample=bilinear)
        thumbnail(image)

    for r in range(rounds):
        figures = []
        for label, work in (("two decodes", two_decodes), ("one decode", one_decode)):
            started = time.process_time()
            for data in images:
                work(data)
            figures.append(f"{label} {(time.process_time() - started) / n * 1000:.3f}")
        print(f"round {r + 1}: CPU ms an image: " + ", ".join(figures))
    same = total = 0
    for data in images:
        views, hashes = listing_view_hashes(data)
        one_views, one_hashes = listing_decode(data, max_side=INTAKE_DECODE_SIDE)[1:]
        shared = [v for v in views if v in one_views]
        total += len(views) * hashes.shape[0]
        for view in shared:
            same += int(
                (hashes[:, views.index(view)] == one_hashes[:, one_views.index(view)]).sum()
            )
    print(f"view hashes identical to the engine's own decode: {same:,} of {total:,}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--size", type=int, default=1000)
    parser.add_argument("--intake", action="store_true", help="listing image intake's work")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if args.intake:
        intake(args.n, args.rounds)
        return
    im = photo(args.size)
    for fmt in ("JPEG", "PNG"):
        data = encode(im, fmt)
        run(data, 5)  # warm up
        rate, ms = run(data, args.n)
        stages = ", ".join(f"{k} {v:.1f} ms" for k, v in ms.items())
        print(
            f"{fmt:4} {args.size}x{args.size} ({len(data) // 1024} KB): "
            f"{rate:6.1f} images/s  ({1000 / rate:.1f} ms each: {stages})"
        )


if __name__ == "__main__":
    main()
