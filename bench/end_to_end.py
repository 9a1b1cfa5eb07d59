#!/usr/bin/env python
"""Scanning end to end: feeds pushed through the API until every listing is scanned.

Runs what production runs, on loopback, against a scratch PostgreSQL database
and Redis: gunicorn serving the app, Celery workers, and a local threaded HTTP
server standing in for the platforms' image CDN. Rights in force: 10,000
verified word marks and 10,000 figurative marks, each with one registered logo
whose engine hashes are stored with it (computed here by 2 processes and
cached under /tmp, as a right's image would be hashed when registered).

Listings each have a title and one 800-pixel JPEG. A share of the titles name
a word mark and a share of the images are copies of a registered logo, so the
detections expected are known. The clock runs from the first push until every
listing is scanned (``scan_due_at`` cleared and no image pending); the script
prints listings/s overall and by stage, detections found against expected,
worker memory, and the matching index's build time from the worker logs.

    .venv/bin/python bench/end_to_end.py                    # 20,000 listings in 4 feeds
    .venv/bin/python bench/end_to_end.py --listings 2000 --feeds 1   # a quick look

Images are 1,000 distinct base pictures (600 unrelated product-like shots,
400 copies of registered logos); each listing's image is its base picture with
a JPEG comment naming the listing, so every listing's bytes (and SHA-256) are
distinct and every one is downloaded, decoded and hashed.

Needs PostgreSQL at 127.0.0.1:5432 (user postgres, trust) and Redis at
127.0.0.1:6379. Not a test: it prints figures (docs/benchmarks.md, "Scanning
end to end").
"""

import argparse
import datetime
import http.server
import io
import json
import multiprocessing
import os
import pickle
import random
import re
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil
import psycopg
from PIL import Image, ImageDraw, ImageFilter

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.ingest import PeakMemory, push, run, wait_http  # noqa: E402
from listings.matching import IMAGE_HASH_VERSION  # noqa: E402
from listings.matching.image_index import registered_hashes  # noqa: E402
from listings.matching.stored import encode_registered  # noqa: E402

SYLLABLES = "ka lo ri ve na to mi sa du ne pa zo re li ba co fe gu ha ji".split()
WORDS = (
    "leather bag tote wallet scarf jacket sneaker watch belt backpack silk wool "
    "new men women sale classic vintage summer winter"
).split()
CACHE = Path(tempfile.gettempdir()) / "bench-e2e-cache"
BASE_UNRELATED = 600
BASE_REGISTERED = 400
LOGO_SIDE = 256


# Pictures ----------------------------------------------------------------------


def logo(seed: int, side: int = LOGO_SIDE) -> Image.Image:
    """A synthetic logo: a few flat shapes on a light ground (as bench/scan.py draws them)."""
    rng = random.Random(seed)
    im = Image.new("RGB", (side, side), tuple(rng.randrange(180, 256) for _ in range(3)))
    draw = ImageDraw.Draw(im)
    for _ in range(rng.randint(3, 6)):
        box = sorted(rng.sample(range(side), 2)), sorted(rng.sample(range(side), 2))
        colour = tuple(rng.randrange(0, 200) for _ in range(3))
        shape = rng.choice([draw.ellipse, draw.rectangle])
        shape((box[0][0], box[1][0], box[0][1], box[1][1]), fill=colour)
    return im


def encode(im: Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    im.save(out, fmt, **options)
    return out.getvalue()


def registered_picture(i: int) -> tuple[bytes, bytes]:
    """The PNG of registered logo ``i`` and its stored engine hashes."""
    data = encode(logo(i), "PNG")
    return data, encode_registered(*registered_hashes(data))


def listing_base(spec: tuple[str, int]) -> bytes:
    """An 800-pixel JPEG: a copy of registered logo ``n``, or an unrelated blurred shot."""
    kind, n = spec
    if kind == "registered":
        im = logo(n).resize((800, 800), Image.Resampling.LANCZOS)
    else:
        im = logo(10_000_000 + n, side=800).filter(ImageFilter.GaussianBlur(2))
    return encode(im, "JPEG", quality=85)


def with_comment(jpeg: bytes, text: str) -> bytes:
    """The same picture with a JPEG comment (COM segment) after SOI: other bytes, same pixels."""
    payload = text.encode()
    return jpeg[:2] + b"\xff\xfe" + struct.pack(">H", len(payload) + 2) + payload + jpeg[2:]


def cached(name: str, make):  # type: ignore[no-untyped-def]
    CACHE.mkdir(exist_ok=True)
    path = CACHE / name
    if path.exists():
        return pickle.loads(path.read_bytes()), True
    value = make()
    path.write_bytes(pickle.dumps(value))
    return value, False


def pictures(images: int, registered_copies: list[int]) -> tuple[list[tuple[bytes, bytes]], dict]:
    """Registered logos with hashes and the listing base JPEGs, made by 2 processes (cached)."""
    started = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(2) as pool:
        registered, hit = cached(
            f"registered-{images}-{IMAGE_HASH_VERSION}.pickle",
            lambda: pool.map(registered_picture, range(images), chunksize=50),
        )
        print(
            f"registered logos: {images:,} PNGs and hashes "
            f"{'from the cache' if hit else 'computed'} in {time.perf_counter() - started:.1f} s"
        )
        specs = [("unrelated", n) for n in range(BASE_UNRELATED)] + [
            ("registered", n) for n in registered_copies
        ]
        bases, _ = cached(
            f"bases-v2-{images}-{len(specs)}-{registered_copies[0]}.pickle",
            lambda: dict(zip(specs, pool.map(listing_base, specs, chunksize=10), strict=True)),
        )
    return registered, bases


class ImageServer(http.server.ThreadingHTTPServer):
    daemon_threads = True


def serve_images(images: dict[int, bytes], port: int) -> ImageServer:
    """Serve /i/<listing number>.jpg from memory, keep-alive, in a thread of this process."""

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out as two writes: with Nagle's algorithm on a
        # kept-alive connection the body waits ~40 ms for the client's delayed ACK.
        disable_nagle_algorithm = True

        def do_GET(self) -> None:  # noqa: N802
            match = re.fullmatch(r"/i/(\d+)\.jpg", self.path)
            body = images.get(int(match.group(1))) if match else None
            if body is None:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "image/jpeg")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ImageServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


# Rights --------------------------------------------------------------------------


def mark_names(n: int, rng: random.Random) -> list[str]:
    names: set[str] = set()
    while len(names) < n:
        names.add("".join(rng.choices(SYLLABLES, k=rng.randint(3, 4))).capitalize())
    return sorted(names)


def seed_rights(
    names: list[str], registered: list[tuple[bytes, bytes]], media_root: Path, *, lazy: bool
) -> None:
    """Insert verified word marks and figurative marks with their logos, in bulk."""
    from django.db import transaction

    from rightsholders.models import Organisation, Right, RightImage
    from takedown.states import RightStatus

    today = datetime.date.today()
    common = {
        "office": Right.Office.EU,
        "nice_classes": [18, 25],
        "goods_description": "Bags, clothing, footwear",
        "territories": ["EU"],
        "valid_from": today - datetime.timedelta(days=365),
        "valid_until": today + datetime.timedelta(days=9 * 365),
        "status": RightStatus.VERIFIED,
    }
    folder = media_root / "rights" / "images" / "bench"
    folder.mkdir(parents=True, exist_ok=True)
    with transaction.atomic():
        holders = Organisation.objects.bulk_create(
            Organisation(name=f"Brand {n}", slug=f"brand-{n}", kind=Organisation.Kind.RIGHTS_HOLDER)
            for n in range(100)
        )
        Right.objects.bulk_create(
            (
                Right(
                    rights_holder=holders[i % len(holders)],
                    kind=Right.Kind.WORD_MARK,
                    name=name,
                    mark_text=name,
                    registration_number=f"W-{i:06d}",
                    **common,
                )
                for i, name in enumerate(names)
            ),
            batch_size=2000,
        )
        figurative = Right.objects.bulk_create(
            (
                Right(
                    rights_holder=holders[i % len(holders)],
                    kind=Right.Kind.FIGURATIVE_MARK,
                    name=f"Logo {i}",
                    registration_number=f"F-{i:06d}",
                    **common,
                )
                for i in range(len(registered))
            ),
            batch_size=2000,
        )
        rows = []
        for i, (right, (data, hashes)) in enumerate(zip(figurative, registered, strict=True)):
            (folder / f"{i}.png").write_bytes(data)
            rows.append(
                RightImage(
                    right=right,
                    role=RightImage.Role.LOGO,
                    file=f"rights/images/bench/{i}.png",
                    original_name=f"{i}.png",
                    content_type="image/png",
                    sha256=f"{i:064x}",
                    width=LOGO_SIDE,
                    height=LOGO_SIDE,
                    match_hashes=None if lazy else hashes,
                    match_engine="" if lazy else IMAGE_HASH_VERSION,
                )
            )
        RightImage.objects.bulk_create(rows, batch_size=2000)


# Listings ------------------------------------------------------------------------


def make_listings(
    n: int, names: list[str], registered_copies: list[int], rng: random.Random, image_port: int
) -> tuple[list[dict], dict[int, tuple[str, int]], set[tuple[str, str]]]:
    """Listing lines, each listing's base picture, and the (external id, registration) expected.

    30% of titles name a word mark; 20% of images copy a registered logo.
    """
    lines, base_of, expected = [], {}, set()
    for k in range(n):
        external_id = f"E-{k:07d}"
        words = rng.sample(WORDS, 6)
        if rng.random() < 0.3:
            w = rng.randrange(len(names))
            words.insert(rng.randrange(6), names[w])
            expected.add((external_id, f"W-{w:06d}"))
        if rng.random() < 0.2:
            f = rng.choice(registered_copies)
            base_of[k] = ("registered", f)
            expected.add((external_id, f"F-{f:06d}"))
        else:
            base_of[k] = ("unrelated", rng.randrange(BASE_UNRELATED))
        lines.append(
            {
                "external_id": external_id,
                "title": " ".join(words).capitalize(),
                "url": f"https://shop.example/item/{k}",
                "description": " ".join(rng.choices(WORDS, k=20)),
                "price": f"{rng.uniform(20, 400):.2f}",
                "currency": "EUR",
                "seller_id": f"S{(seller := rng.randrange(2000))}",
                "seller_name": f"Store {seller}",
                "category": rng.choice(["bags", "clothing", "shoes", "accessories"]),
                "ship_to": ["DE", "FR"],
                "images": [f"http://127.0.0.1:{image_port}/i/{k}.jpg"],
            }
        )
    return lines, base_of, expected


def progress(conn: psycopg.Connection) -> dict[str, int]:
    """How far the pipeline got: four counts on one kept connection, polled twice a second
    (the harness's own PostgreSQL time stays a small share of the CPU figure)."""
    row = conn.execute(
        """
        SELECT
          (SELECT count(*) FROM listings_feedbatch WHERE status IN ('done', 'failed')),
          (SELECT count(*) FROM listings_listing),
          (SELECT count(*) FROM listings_listingimage WHERE status <> 'pending'),
          (SELECT count(*) FROM listings_listing WHERE scan_due_at IS NULL
                                                   AND scanned_at IS NOT NULL)
        """
    ).fetchone()
    assert row is not None
    return dict(zip(("feeds", "listings", "images", "scanned"), row, strict=True))


def detections(dsn: str) -> set[tuple[str, str]]:
    with psycopg.connect(dsn, autocommit=True) as conn:
        rows = conn.execute(
            """
            SELECT l.external_id, r.registration_number
            FROM listings_detection d
            JOIN listings_listing l ON l.id = d.listing_id
            JOIN rightsholders_right r ON r.id = d.right_id
            """
        ).fetchall()
    return {(a, b) for a, b in rows}


def cpu_seconds(roots: dict[str, int]) -> dict[str, float]:
    """CPU time (user + system) used so far by each role's process tree, PostgreSQL and this script.

    Other jobs on the machine slow the wall clock; CPU seconds per listing do
    not move with them, so capacity is also given as cores / CPU per listing.
    """
    out: dict[str, float] = {}

    def used(proc: psutil.Process) -> float:
        # children_*: processes that exited and were reaped by ``proc``, such as a
        # PostgreSQL backend whose client disconnected (counted once: a live
        # child's time is not in its parent's children_* until it is reaped).
        try:
            t = proc.cpu_times()
            return t.user + t.system + t.children_user + t.children_system
        except psutil.Error:
            return 0.0

    for role, pid in roots.items():
        try:
            root = psutil.Process(pid)
            out[role] = sum(used(p) for p in [root, *root.children(recursive=True)])
        except psutil.Error:
            out[role] = 0.0
    out["postgres"] = sum(
        used(p) for p in psutil.process_iter(["name"]) if p.info["name"] == "postgres"
    )
    out["bench (image server, polling)"] = used(psutil.Process())
    return out


class DatabaseBackends:
    """CPU time of the PostgreSQL backends connected to the bench's database, sampled on each poll.

    ``cpu_seconds`` counts every ``postgres`` process on the machine, other
    jobs' databases included: on a shared machine that inflates the figure.
    A backend that exits between two polls loses its last half second.
    """

    def __init__(self, conn: psycopg.Connection) -> None:
        self.first: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self.sample(conn)
        self.first = dict(self.last)

    def sample(self, conn: psycopg.Connection) -> None:
        pids = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
        ).fetchall()
        for (pid,) in pids:
            try:
                t = psutil.Process(pid).cpu_times()
            except psutil.Error:
                continue
            self.last[pid] = t.user + t.system

    def spent(self) -> float:
        return sum(cpu - self.first.get(pid, 0.0) for pid, cpu in self.last.items())


# A worker under cProfile timed by CPU, not the wall clock: what a function
# costs, not how long it waited for PostgreSQL or for a core.
PROFILED = (
    "import cProfile, runpy, sys, time\n"
    "sys.argv[0] = 'celery'\n"
    "profile = cProfile.Profile(time.process_time)\n"
    "profile.enable()\n"
    "try:\n"
    "    runpy.run_module('celery', run_name='__main__')\n"
    "except SystemExit:\n"
    "    pass\n"
    "finally:\n"
    "    profile.disable()\n"
    "    profile.dump_stats({out!r})\n"
)


def stop(procs: list[subprocess.Popen]) -> None:
    for proc in procs:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--listings", type=int, default=20_000)
    parser.add_argument("--feeds", type=int, default=4, help="the listings are split over these")
    parser.add_argument("--marks", type=int, default=10_000)
    parser.add_argument("--images", type=int, default=10_000, help="registered logos")
    parser.add_argument(
        "--lazy-hashes",
        action="store_true",
        help="store registered images without hashes: the workers' first index build computes them",
    )
    parser.add_argument(
        "--workers",
        default="2x1",
        help="Celery workers as PROCESSESxCONCURRENCY: 2x1 (two `worker -c 1`) or 1x2 (`-c 2`)",
    )
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--database", default="bench_e2e")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/13")
    parser.add_argument("--port", type=int, default=8098)
    parser.add_argument("--image-port", type=int, default=8099)
    parser.add_argument("--timeout", type=float, default=900)
    parser.add_argument(
        "--profile",
        action="store_true",
        help="run each worker in one process (--pool solo) under cProfile (CPU time) and "
        "print where its time went (CPU figures then include the profiler's overhead)",
    )
    args = parser.parse_args()
    worker_processes, concurrency = (int(x) for x in args.workers.split("x"))
    rng = random.Random(7)
    print(
        f"machine: {os.cpu_count()} cores; {args.listings:,} listings in {args.feeds} feeds; "
        f"{args.marks:,} word marks, {args.images:,} registered logos; "
        f"workers: {worker_processes} x celery prefork -c {concurrency}; "
        f"web: gunicorn x{args.web_workers}"
    )

    names = mark_names(args.marks, rng)
    registered_copies = sorted(rng.sample(range(args.images), min(BASE_REGISTERED, args.images)))
    registered, bases = pictures(args.images, registered_copies)

    var_dir = Path(tempfile.mkdtemp(prefix="bench-e2e-"))
    media_root = var_dir / "media"
    dsn = f"{args.postgres}/{args.database}"
    env = {
        **os.environ,
        "DATABASE_URL": dsn,
        "CELERY_BROKER_URL": args.redis,
        "CACHE_URL": args.redis,
        "TAKEDOWN_VAR_DIR": str(var_dir),
        "TAKEDOWN_MEDIA_ROOT": str(media_root),
        "TAKEDOWN_PLATFORM_API_RATE": "100000/min",
        "TAKEDOWN_IMAGE_FETCH_ALLOW_NETS": "127.0.0.1/32",
        "CELERY_TASK_DEFAULT_QUEUE": f"bench-e2e-{os.getpid()}",
        "DJANGO_LOG_LEVEL": "INFO",
    }
    env.pop("DJANGO_DEBUG", None)
    admin = f"{args.postgres}/postgres"
    quiet = {"stdout": subprocess.DEVNULL}
    run(["psql", admin, "-qc", f"DROP DATABASE IF EXISTS {args.database}"], env, **quiet)
    run(["psql", admin, "-qc", f"CREATE DATABASE {args.database}"], env, **quiet)
    run([sys.executable, "manage.py", "migrate", "-v0"], env)
    created = run(
        [sys.executable, "manage.py", "create_platform", "E2E Market", "--slug", "e2e-market"],
        env,
        capture_output=True,
        text=True,
    )
    token = created.stdout.strip().splitlines()[-1]

    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "takedown.settings")
    import django

    django.setup()
    started = time.perf_counter()
    seed_rights(names, registered, media_root, lazy=args.lazy_hashes)
    from django.db import connections

    connections.close_all()
    print(f"rights inserted in {time.perf_counter() - started:.1f} s")

    lines, base_of, expected = make_listings(
        args.listings, names, registered_copies, rng, args.image_port
    )
    served = {k: with_comment(bases[spec], f"listing {k}") for k, spec in base_of.items()}
    image_server = serve_images(served, args.image_port)
    feed_paths = []
    per_feed = -(-len(lines) // args.feeds)
    for f in range(args.feeds):
        path = var_dir / f"feed-{f}.jsonl"
        path.write_text(
            "".join(json.dumps(line) + "\n" for line in lines[f * per_feed : (f + 1) * per_feed])
        )
        feed_paths.append(path)

    logs = var_dir / "logs"
    logs.mkdir()
    base = f"http://127.0.0.1:{args.port}"
    procs: list[subprocess.Popen] = []

    def spawn(cmd: list[str], log: Path) -> subprocess.Popen:
        handle = log.open("w")
        proc = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
        )
        procs.append(proc)
        return proc

    def on_signal(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    try:
        web = spawn(
            [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "takedown" / "gunicorn.conf.py"), "takedown.wsgi", "--bind",
             f"127.0.0.1:{args.port}", "--workers", str(args.web_workers), "--timeout", "600",
             "--log-level", "warning"],
            logs / "web.log",
        )  # fmt: skip
        workers = [
            spawn(
                [
                    sys.executable,
                    *(
                        ["-c", PROFILED.format(out=str(logs / f"worker-{n}.prof"))]
                        if args.profile
                        else ["-m", "celery"]
                    ),
                    "-A",
                    "takedown",
                    "worker",
                    *(["--pool", "solo"] if args.profile else ["--concurrency", str(concurrency)]),
                    "--hostname",
                    f"bench{n}@%h",
                    "--queues",
                    env["CELERY_TASK_DEFAULT_QUEUE"],
                    "--loglevel",
                    "INFO",
                    "--without-gossip",
                    "--without-mingle",
                    "--without-heartbeat",
                ],
                logs / f"worker-{n}.log",
            )  # fmt: skip
            for n in range(worker_processes)
        ]
        wait_http(base)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if all("ready." in (logs / f"worker-{n}.log").read_text() for n in range(len(workers))):
                break
            time.sleep(0.3)
        else:
            raise SystemExit(f"the workers did not start; see {logs}")

        roots = {"web": web.pid, **{f"worker {n}": w.pid for n, w in enumerate(workers)}}
        done_at: dict[str, float] = {}
        cpu_before = cpu_seconds(roots)
        poll = psycopg.connect(dsn, autocommit=True)
        own_backends = DatabaseBackends(poll)
        with poll, PeakMemory(roots) as memory:
            t0 = time.monotonic()
            for path in feed_paths:
                push(base, token, path)
            pushed = time.monotonic() - t0
            target = {"feeds": args.feeds, "listings": args.listings,
                      "images": args.listings, "scanned": args.listings}  # fmt: skip
            last_print = 0.0
            while True:
                now = time.monotonic() - t0
                state = progress(poll)
                own_backends.sample(poll)
                for stage, want in target.items():
                    if stage not in done_at and state[stage] >= want:
                        done_at[stage] = now
                if now - last_print >= 10:
                    print(f"  {now:6.1f} s: {state}", flush=True)
                    last_print = now
                if len(done_at) == len(target):
                    break
                if now > args.timeout:
                    print(f"timed out after {now:.0f} s: {state}")
                    break
                if any(p.poll() is not None for p in procs):
                    raise SystemExit(f"a server process exited; see {logs}")
                time.sleep(0.5)
            total = time.monotonic() - t0
            own_backends.sample(poll)
        cpu_used = {role: spent - cpu_before[role] for role, spent in cpu_seconds(roots).items()}

        found = detections(dsn)
        n = args.listings
        print(f"pushed {args.feeds} feeds in {pushed:.2f} s")
        print(f"{'stage':<32} {'done at s':>10} {'listings/s':>11}")
        for stage, label in (
            ("listings", "ingested (all listings stored)"),
            ("images", "images fetched + hashed"),
            ("scanned", "scanned (scan_due_at cleared)"),
        ):
            at = done_at.get(stage)
            shown = f"{at:>10.1f} {n / at:>11.0f}" if at else f"{'-':>10} {'-':>11}"
            print(f"{label:<32} {shown}")
        print(f"end to end: {n:,} listings in {total:.1f} s = {n / total:.0f} listings/s")
        per_listing = sum(cpu_used.values()) / n
        print(
            f"CPU: {sum(cpu_used.values()):.1f} s in all = {per_listing * 1e3:.1f} ms a listing "
            f"("
            + ", ".join(f"{role} {spent / n * 1e3:.1f}" for role, spent in cpu_used.items())
            + f" ms); {os.cpu_count()} cores at that cost: {os.cpu_count() / per_listing:.0f} "
            f"listings/s; load average at the end {os.getloadavg()[0]:.1f}"
        )
        own = own_backends.spent()
        others = sum(spent for role, spent in cpu_used.items() if role != "postgres")
        print(
            f"CPU with PostgreSQL counted as this database's backends only (other jobs' "
            f"databases and PostgreSQL's shared processes left out): postgres {own / n * 1e3:.1f} ms, "
            f"{(others + own) / n * 1e3:.1f} ms a listing in all"
        )
        hits = found & expected
        print(
            f"detections: {len(found):,} found, {len(expected):,} expected, "
            f"{len(hits):,} of the expected found ({len(hits) / max(1, len(expected)):.1%}), "
            f"{len(found - expected):,} not expected "
            f"(word marks {sum(1 for e in expected if e[1][0] == 'W'):,}, "
            f"logos {sum(1 for e in expected if e[1][0] == 'F'):,} expected)"
        )
        for role in roots:
            print(
                f"peak RSS {role}: {memory.peak_process[role] / 2**20:.0f} MB a process, "
                f"{memory.peak_total[role] / 2**20:.0f} MB the tree"
            )
        for log in sorted(logs.glob("worker-*.log")):
            for line in log.read_text().splitlines():
                if "matching index" in line and "built in" in line:
                    print(f"{log.name}: {line.split(' INFO ', 1)[-1]}")
                if "Traceback" in line or " ERROR " in line:
                    print(f"{log.name}: {line}")
        print(f"logs: {logs}")
    except KeyboardInterrupt:
        print("interrupted")
    finally:
        stop(procs)
        image_server.shutdown()
    if args.profile:
        print_profiles(sorted(logs.glob("worker-*.prof")))


def print_profiles(paths: list[Path]) -> None:
    """The workers' functions by own time and by cumulative time, all workers together."""
    import pstats

    if not paths:
        print("no profile was written (did the workers stop cleanly?)")
        return
    stats = pstats.Stats(*(str(p) for p in paths))
    stats.sort_stats("tottime").print_stats(25)
    stats.sort_stats("cumulative").print_stats(40)


if __name__ == "__main__":
    main()
