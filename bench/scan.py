#!/usr/bin/env python
"""The matching engine alone: index build, registered hashing, listings scanned per second.

Builds the engine over N word marks and M registered images (synthetic logos,
PNG bytes), then scans listings that each have a title and an 800-pixel JPEG,
as the command line does (``python -m listings.matching``): forked worker
processes share the index built once. Prints:

- the index build from stored hashes (``registered_hashes`` computed once per
  image, as the workbench stores them; ``ImageIndex.from_hashes`` decodes
  nothing), with the text index over the marks;
- hashing the registered images cold (decode + all variants), 1 and 2 processes;
- the worker's memory (resident size);
- listings per second with 1 and 2 processes;
- the cost per listing as the rights grow from 1,000 to 100,000 marks and
  images (images beyond the M hashed ones are copies of their hashes with
  half their bits flipped, see ``more_images``).

    .venv/bin/python bench/scan.py                         # 10,000 marks, 10,000 images
    .venv/bin/python bench/scan.py --marks 2000 --images 500 --listings 500

Not a test: it prints figures (docs/benchmarks.md, "Matching engine alone").
BLAS runs one thread a process (OPENBLAS_NUM_THREADS=1, set below before
numpy loads): the engine's small matrix products lose several times over when
two processes' BLAS threads share two cores.
"""

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import io
import multiprocessing
import random
import sys
import time
from pathlib import Path

import numpy as np
import numpy.typing as npt
import psutil
from PIL import Image, ImageDraw, ImageFilter

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from listings.matching import cli  # noqa: E402
from listings.matching.image_index import (  # noqa: E402
    ImageIndex,
    listing_view_hashes,
    registered_hashes,
)
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


StoredHashes = tuple[npt.NDArray[np.uint8], npt.NDArray[np.uint64]]
_LOGOS: list[bytes] = []


def _hash_logo(i: int) -> StoredHashes:
    return registered_hashes(_LOGOS[i])


def hash_registered(logos: list[bytes], workers: int) -> tuple[list[StoredHashes], float, float]:
    """Hash every registered image cold with ``workers`` processes.

    Return the hashes, the seconds taken and the CPU seconds of this process.
    """
    global _LOGOS
    _LOGOS = logos
    started, cpu = time.perf_counter(), time.process_time()
    if workers == 1:
        hashes = [registered_hashes(data) for data in logos]
    else:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            hashes = pool.map(_hash_logo, range(len(logos)), chunksize=64)
    return hashes, time.perf_counter() - started, time.process_time() - cpu


def more_images(
    stored: list[StoredHashes], count: int, rng: np.random.Generator
) -> list[StoredHashes]:
    """``count`` images' hashes: the real ones, then copies with half of each hash's bits flipped.

    Hashing 100,000 synthetic logos would take minutes; flipping 32 of 64 bits
    (one random mask per copied image and kind) keeps each copy's variants
    related to each other and puts it 32 bits from its source, as far as
    unrelated pictures are from each other, so the search does about the work
    it would do over as many real images (its cost is the scan of every row).
    """
    out = list(stored[:count])
    while len(out) < count:
        variants, hashes = stored[len(out) % len(stored)]
        mask = np.zeros(hashes.shape[0], dtype=np.uint64)
        for k in range(hashes.shape[0]):
            for bit in rng.choice(64, size=32, replace=False):
                mask[k] |= np.uint64(1) << np.uint64(bit)
        out.append((variants, hashes ^ mask[:, None]))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--marks", type=int, default=10_000)
    parser.add_argument("--images", type=int, default=10_000)
    parser.add_argument("--listings", type=int, default=2_000)
    parser.add_argument(
        "--scale", default="1000,10000,100000", help="rights (marks, images) for the cost curve"
    )
    args = parser.parse_args()
    rng = random.Random(7)
    print(f"machine: {os.cpu_count()} cores; Python {sys.version.split()[0]}; "
          f"load average {os.getloadavg()[0]:.1f} (other jobs slow the wall-clock figures)")  # fmt: skip
    scale = [int(s) for s in args.scale.split(",")]

    names = mark_names(max(args.marks, *scale), rng)
    # Registered images as encoded PNG bytes, as a worker reads them from storage.
    logos = [png(logo(i)) for i in range(args.images)]
    for workers in (1, 2):
        stored, seconds, cpu = hash_registered(logos, workers)
        per_image = f"; CPU {cpu / args.images * 1e3:.2f} ms an image" if workers == 1 else ""
        print(f"hashing registered images cold, {workers} process(es): {args.images:,} images "
              f"in {seconds:.1f} s{per_image}; "
              f"{sum(h.shape[1] for _, h in stored):,} stored variants")  # fmt: skip
    del logos

    base = rss_mb()
    started = time.perf_counter()
    text = TextIndex.build(
        MarkSpec(right_id=i, text=name) for i, name in enumerate(names[: args.marks])
    )
    text_s = time.perf_counter() - started
    started = time.perf_counter()
    images = ImageIndex.from_hashes(
        (args.marks + i, i, variants, hashes) for i, (variants, hashes) in enumerate(stored)
    )
    image_s = time.perf_counter() - started
    print(f"index build from stored hashes: {args.marks:,} marks {text_s:.2f} s, "
          f"{args.images:,} images {image_s:.2f} s, both {text_s + image_s:.2f} s; "
          f"image index {images.nbytes / 2**20:.1f} MB; worker process {rss_mb():.0f} MB RSS "
          f"({rss_mb() - base:.0f} MB for both indexes)")  # fmt: skip

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
        started, cpu = time.perf_counter(), time.process_time()
        if workers == 1:
            matches = sum(len(cli._scan_chunk(c)) for c in chunks)
            peak = rss_mb()
            cpu_ms = (time.process_time() - cpu) / len(listings) * 1e3
        else:
            with multiprocessing.get_context("fork").Pool(workers) as pool:
                matches = sum(len(r) for r in pool.imap(cli._scan_chunk, chunks))
                peak = max(psutil.Process(c.pid).memory_info().rss for c in pool._pool) / 2**20  # type: ignore[attr-defined]
        elapsed = time.perf_counter() - started
        print(f"scan, {workers} process(es): {len(listings) / elapsed:,.0f} listings/s "
              f"({len(listings):,} listings, {matches:,} matches, title + 800-px JPEG each; "
              f"worker {peak:.0f} MB RSS"
              + (f"; CPU {cpu_ms:.2f} ms a listing)" if workers == 1 else ")"))  # fmt: skip

    print("CPU cost per listing against more rights (one process):")
    titles = [listing.title for listing in listings]
    probe = [(workdir / f"{n}.jpg").read_bytes() for n in range(min(300, args.listings))]
    started = time.process_time()
    views = [listing_view_hashes(data) for data in probe]
    hashing = (time.process_time() - started) / len(probe) * 1e3
    print(f"  decode + hashing an 800-px listing JPEG's views: {hashing:.2f} ms CPU, "
          "whatever the number of rights")  # fmt: skip
    np_rng = np.random.default_rng(7)
    for count in scale:
        index = TextIndex.build(
            MarkSpec(right_id=i, text=name) for i, name in enumerate(names[:count])
        )
        started = time.process_time()
        for title in titles:
            index.match(title)
        per_title = (time.process_time() - started) / len(titles) * 1e6
        image_index = ImageIndex.from_hashes(
            (i, i, variants, hashes)
            for i, (variants, hashes) in enumerate(more_images(stored, count, np_rng))
        )
        started = time.process_time()
        for names_, query in views:
            image_index.search_hashes(names_, query)
        per_search = (time.process_time() - started) / len(views) * 1e3
        print(f"  {count:>7,} marks and images: text {per_title:,.0f} us per title, image search "
              f"{per_search:.2f} ms per listing image ({image_index.right_ids.size:,} stored "
              f"variants, {image_index.nbytes / 2**20:.0f} MB)")  # fmt: skip


if __name__ == "__main__":
    main()
    print(f"load average at the end {os.getloadavg()[0]:.1f}")
