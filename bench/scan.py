#!/usr/bin/env python
"""The matching engine alone: index build and listings scanned per second.

Builds the engine over N word marks and M registered images (synthetic
logos), then scans listings that each have a title and an 800-pixel JPEG,
as the command line does (``python -m listings.matching``): forked worker
processes share the index built once. Prints the build time, the index's
memory, listings per second with 1 and 2 processes, and how the cost per
listing changes with the number of marks.

    .venv/bin/python bench/scan.py                         # 10,000 marks, 10,000 images
    .venv/bin/python bench/scan.py --marks 2000 --images 500 --listings 500

Not a test: it prints figures (docs/benchmarks.md, "Matching engine").
The end-to-end part of the target (through the API, PostgreSQL and workers)
needs scanning in the workbench, which does not exist yet.
"""

import argparse
import io
import multiprocessing
import os
import random
import sys
import time
from pathlib import Path

import psutil
from PIL import Image, ImageDraw, ImageFilter

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from listings.matching import cli  # noqa: E402
from listings.matching.image_index import ImageIndex, RegisteredImage  # noqa: E402
from listings.matching.text import MarkSpec, TextIndex  # noqa: E402

SYLLABLES = "ka lo ri ve na to mi sa du ne pa zo re li ba co fe gu ha ji".split()
WORDS = "leather bag tote wallet scarf jacket sneaker watch belt backpack silk wool new men women sale".split()


def mark_names(n: int, rng: random.Random) -> list[str]:
    names: set[str] = set()
    while len(names) < n:
        names.add("".join(rng.choices(SYLLABLES, k=rng.randint(2, 4))).capitalize())
    return sorted(names)


def logo(seed: int, side: int = 256) -> Image.Image:
    rng = random.Random(seed)
    im = Image.new("RGB", (side, side), tuple(rng.randrange(180, 256) for _ in range(3)))
    draw = ImageDraw.Draw(im)
    for _ in range(rng.randint(3, 6)):
        box = sorted(rng.sample(range(side), 2)), sorted(rng.sample(range(side), 2))
        colour = tuple(rng.randrange(0, 200) for _ in range(3))
        shape = rng.choice([draw.ellipse, draw.rectangle])
        shape((box[0][0], box[1][0], box[0][1], box[1][1]), fill=colour)
    return im


def png(im: Image.Image) -> bytes:
    out = io.BytesIO()
    im.save(out, "PNG")
    return out.getvalue()


def listing_jpeg(seed: int, registered: int, rng: random.Random) -> bytes:
    """An 800-px product photo: one in five shows a registered logo, the rest unrelated."""
    if rng.random() < 0.2:
        im = logo(rng.randrange(registered), side=800)
    else:
        im = logo(10_000_000 + seed, side=800).filter(ImageFilter.GaussianBlur(2))
    out = io.BytesIO()
    im.save(out, "JPEG", quality=85)
    return out.getvalue()


def rss_mb() -> float:
    return psutil.Process().memory_info().rss / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--marks", type=int, default=10_000)
    parser.add_argument("--images", type=int, default=10_000)
    parser.add_argument("--listings", type=int, default=2_000)
    parser.add_argument(
        "--scale", default="1000,10000,100000", help="mark counts for the cost-per-listing curve"
    )
    args = parser.parse_args()
    rng = random.Random(7)
    print(f"machine: {os.cpu_count()} cores; Python {sys.version.split()[0]}")

    names = mark_names(max(args.marks, max(int(s) for s in args.scale.split(","))), rng)
    base = rss_mb()
    started = time.perf_counter()
    text = TextIndex.build(
        MarkSpec(right_id=i, text=name) for i, name in enumerate(names[: args.marks])
    )
    text_s = time.perf_counter() - started
    # Registered images as encoded PNG bytes, as a worker reads them from storage.
    logos = [png(logo(i)) for i in range(args.images)]
    started = time.perf_counter()
    images = ImageIndex.build(
        RegisteredImage(right_id=args.marks + i, image_id=i, data=data)
        for i, data in enumerate(logos)
    )
    image_s = time.perf_counter() - started
    del logos
    print(f"index build: {args.marks:,} marks {text_s:.1f} s, {args.images:,} images {image_s:.1f} s; "
          f"image index {images.nbytes / 2**20:.1f} MB; process {rss_mb():.0f} MB "
          f"({rss_mb() - base:.0f} MB over the start, with the PNGs it was built from)")  # fmt: skip

    workdir = Path(os.environ.get("TMPDIR", "/tmp")) / "bench-scan"
    workdir.mkdir(exist_ok=True)
    listings = []
    for n in range(args.listings):
        path = workdir / f"{n}.jpg"
        if not path.exists():
            path.write_bytes(listing_jpeg(n, args.images, rng))
        words = rng.sample(WORDS, 6)
        if rng.random() < 0.3:
            words.insert(rng.randrange(6), names[rng.randrange(args.marks)])
        listings.append(cli.ListingInput(n + 1, n, " ".join(words), "", (path,)))
    engine = cli.Engine(text=text, images=images, right_ids=list(range(args.marks + args.images)))

    for workers in (1, 2):
        cli._ENGINE = engine
        chunks = [listings[i : i + cli.CHUNK] for i in range(0, len(listings), cli.CHUNK)]
        started = time.perf_counter()
        if workers == 1:
            matches = sum(len(cli._scan_chunk(c)) for c in chunks)
        else:
            with multiprocessing.get_context("fork").Pool(workers) as pool:
                matches = sum(len(r) for r in pool.imap(cli._scan_chunk, chunks))
        elapsed = time.perf_counter() - started
        print(f"scan, {workers} process(es): {len(listings) / elapsed:,.0f} listings/s "
              f"({len(listings):,} listings, {matches:,} matches, title + 800-px JPEG each)")  # fmt: skip

    print("text cost per title against more marks (one process):")
    titles = [listing.title for listing in listings]
    for count in (int(s) for s in args.scale.split(",")):
        index = TextIndex.build(
            MarkSpec(right_id=i, text=name) for i, name in enumerate(names[:count])
        )
        started = time.perf_counter()
        for title in titles:
            index.match(title)
        per = (time.perf_counter() - started) / len(titles) * 1e6
        print(f"  {count:>7,} marks: {per:,.0f} us per title")
    print("image cost per listing image against more registered images (one process):")
    probe = [(workdir / f"{n}.jpg").read_bytes() for n in range(min(200, args.listings))]
    for count in (1_000, args.images):
        index = ImageIndex.build(
            RegisteredImage(right_id=i, image_id=i, data=png(logo(i))) for i in range(count)
        )
        started = time.perf_counter()
        for data in probe:
            index.search(data)
        per = (time.perf_counter() - started) / len(probe) * 1e3
        print(f"  {count:>7,} images: {per:,.1f} ms per listing image")


if __name__ == "__main__":
    main()
