"""Decode + hash + thumbnail throughput of listings.matching.images, per format.

Run: .venv/bin/python bench/image_hashing.py [--n 200] [--size 1000]
Prints images/s on one core for a photo-like JPEG and PNG of size x size pixels.
"""

import argparse
import io
import random
import sys
import time
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from listings.matching.images import decode_small, image_hashes, thumbnail  # noqa: E402


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--size", type=int, default=1000)
    args = parser.parse_args()
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
