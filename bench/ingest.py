#!/usr/bin/env python
"""Push listing feeds through the real API into PostgreSQL and report the rate.

Starts what production runs, on loopback only: gunicorn serving the app and a
Celery worker on Redis, against a scratch PostgreSQL database. Pushes feeds of
each size given (JSON Lines, generated), waits until each is ingested, and
prints lines per second (from the POST to status "done") and the peak resident
memory of the web and worker processes. The largest feed is then pushed
again unchanged (every line recognised, nothing rewritten) and with every
price changed (every listing updated and its previous content snapshotted).

    .venv/bin/python bench/ingest.py                  # 10,000 and 100,000 lines
    .venv/bin/python bench/ingest.py --sizes 1000     # a quick look

Needs PostgreSQL at 127.0.0.1:5432 (user postgres, trust) and Redis at
127.0.0.1:6379, as on the CI machines. Not a test: it prints figures.
"""

import argparse
import http.client
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import psutil

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
WORDS = "leather bag tote wallet scarf jacket sneaker watch belt backpack silk wool classic".split()
BRANDS = ["Aurelia", "Nordvik", "Generic", "Lumo", "Kestrel", "Aurellia", "N0rdvik"]


def feed_file(lines: int, seed: int, *, price_shift: float = 0.0) -> Path:
    """Write a JSON Lines feed of ``lines`` varied listings; return its path.

    Listing ids are unique to the feed size, so each size is a set of new
    listings; ``price_shift`` changes every price for the changed-feed run.
    """
    rng = random.Random(seed)
    path = Path(tempfile.gettempdir()) / f"bench-feed-{lines}-{seed}-{price_shift}.jsonl"
    if path.exists():
        return path
    with path.open("w") as out:
        for n in range(lines):
            brand = rng.choice(BRANDS)
            title = f"{brand} {' '.join(rng.sample(WORDS, 4))} #{n}"
            record = {
                "external_id": f"B{lines}-{n:08d}",
                "title": title,
                "url": f"https://shop.example/item/{n}",
                "description": " ".join(rng.choices(WORDS, k=40)),
                "price": f"{rng.uniform(5, 900) + price_shift:.2f}",
                "currency": rng.choice(["EUR", "USD", "CNY"]),
                "seller_id": f"S{(seller := rng.randrange(5000))}",
                "seller_name": f"Store {seller}",
                "category": rng.choice(["bags", "clothing", "shoes", "accessories"]),
                "ship_to": rng.sample(["DE", "FR", "CN", "US", "IT", "ES"], 2),
                "brand": brand,
                "colour": rng.choice(["red", "black", "navy"]),
            }
            out.write(json.dumps(record) + "\n")
    return path


class PeakMemory:
    """Sample the resident memory of process trees in the background; keep the peaks."""

    def __init__(self, roots: dict[str, int]) -> None:
        self.roots = roots
        self.peak_total = {role: 0 for role in roots}
        self.peak_process = {role: 0 for role in roots}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> "PeakMemory":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            for role, pid in self.roots.items():
                try:
                    root = psutil.Process(pid)
                    tree = [root, *root.children(recursive=True)]
                    sizes = [p.memory_info().rss for p in tree]
                except psutil.Error:
                    continue
                self.peak_total[role] = max(self.peak_total[role], sum(sizes))
                self.peak_process[role] = max(self.peak_process[role], max(sizes))


def run(cmd: list[str], env: dict[str, str], **kwargs: object) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=ROOT, env=env, check=True, **kwargs)  # type: ignore[call-overload]


def wait_http(url: str, timeout: float = 60) -> None:
    parts = urlsplit(url)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"the web server at {url} did not come up")


def push(base: str, token: str, path: Path) -> tuple[str, float]:
    """POST the feed file streaming from disk; return (status URL, seconds the upload took)."""
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=600)
    started = time.monotonic()
    with path.open("rb") as body:
        conn.request(
            "POST",
            "/api/v1/feeds",
            body=body,
            headers={
                "Authorization": f"Bearer {token}",
                "Content-Type": "application/x-ndjson",
                "Content-Length": str(path.stat().st_size),
            },
        )
        response = conn.getresponse()
        payload = json.loads(response.read())
    if response.status != 202:
        raise SystemExit(f"push refused: {response.status} {payload}")
    return payload["status_url"], time.monotonic() - started


def wait_done(status_url: str, token: str, timeout: float) -> dict:
    parts = urlsplit(status_url)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        conn.request("GET", parts.path, headers={"Authorization": f"Bearer {token}"})
        status = json.loads(conn.getresponse().read())
        if status["status"] in ("done", "failed"):
            return status
        time.sleep(0.25)
    raise SystemExit(f"feed not ingested within {timeout:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--sizes", default="10000,100000", help="comma-separated feed sizes (lines)"
    )
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/10")
    parser.add_argument("--port", type=int, default=8097)
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=2, help="Celery worker processes")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    database = "takedown_bench"
    var_dir = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    env = {
        **os.environ,
        "DATABASE_URL": f"{args.postgres}/{database}",
        "CELERY_BROKER_URL": args.redis,
        "CACHE_URL": args.redis,
        "TAKEDOWN_VAR_DIR": str(var_dir),
        "TAKEDOWN_PLATFORM_API_RATE": "100000/min",
        "CELERY_TASK_DEFAULT_QUEUE": f"bench-{os.getpid()}",
        "DJANGO_LOG_LEVEL": "WARNING",
    }
    env.pop("DJANGO_DEBUG", None)
    admin = f"{args.postgres}/postgres"
    run(
        ["psql", admin, "-qc", f"DROP DATABASE IF EXISTS {database}"],
        env,
        stdout=subprocess.DEVNULL,
    )
    run(["psql", admin, "-qc", f"CREATE DATABASE {database}"], env, stdout=subprocess.DEVNULL)
    run([PYTHON, "manage.py", "migrate", "-v0"], env)
    created = run(
        [PYTHON, "manage.py", "create_platform", "Bench Market", "--slug", "bench-market"],
        env,
        capture_output=True,
        text=True,
    )
    token = created.stdout.strip().splitlines()[-1]

    base = f"http://127.0.0.1:{args.port}"
    web = subprocess.Popen(
        [PYTHON, "-m", "gunicorn", "-c", str(ROOT / "takedown" / "gunicorn.conf.py"), "takedown.wsgi",
         "--bind", f"127.0.0.1:{args.port}",
         "--workers", str(args.web_workers), "--timeout", "600", "--log-level", "warning"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    worker = subprocess.Popen(
        [PYTHON, "-m", "celery", "-A", "takedown", "worker", "--concurrency", str(args.concurrency),
         "--queues", env["CELERY_TASK_DEFAULT_QUEUE"], "--loglevel", "WARNING",
         "--without-gossip", "--without-mingle"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    try:
        wait_http(base)
        time.sleep(3)  # let the worker connect to the broker
        print(f"machine: {os.cpu_count()} cores; web: gunicorn x{args.web_workers}; "
              f"worker: celery prefork x{args.concurrency}; database: PostgreSQL")  # fmt: skip
        print(f"{'feed':>22} {'lines':>8} {'upload s':>9} {'total s':>8} {'lines/s':>8} "
              f"{'web peak MB':>12} {'worker peak MB':>15}")  # fmt: skip
        largest = sizes[-1]
        runs = [(size, 0.0, f"{size:,} new") for size in sizes] + [
            (largest, 0.0, f"{largest:,} unchanged"),
            (largest, 1.0, f"{largest:,} changed"),
        ]
        for size, shift, label in runs:
            path = feed_file(size, seed=size, price_shift=shift)
            with PeakMemory({"web": web.pid, "worker": worker.pid}) as memory:
                started = time.monotonic()
                status_url, upload = push(base, token, path)
                status = wait_done(status_url, token, timeout=max(120, size / 100))
                total = time.monotonic() - started
            if status["status"] != "done" or status["accepted"] != size:
                raise SystemExit(f"unexpected outcome: {status}")
            print(
                f"{label:>22} {size:>8} {upload:>9.2f} {total:>8.2f} {size / total:>8.0f} "
                f"{memory.peak_total['web'] / 2**20:>12.0f} {memory.peak_total['worker'] / 2**20:>15.0f}"
            )
        rows = run(
            ["psql", f"{args.postgres}/{database}", "-tAc", "SELECT count(*), count(DISTINCT external_id) FROM listings_listing"],
            env, capture_output=True, text=True,
        ).stdout.strip()  # fmt: skip
        print(f"listings rows / distinct external ids after all pushes: {rows.replace('|', ' / ')}")
    finally:
        for proc in (web, worker):
            proc.terminate()
        for proc in (web, worker):
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()


if __name__ == "__main__":
    main()
