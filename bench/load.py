#!/usr/bin/env python
"""Moderators on the queue and case pages while platforms push feeds: page times and ingestion.

Runs what production runs, on loopback, against a scratch PostgreSQL database
(``bench_load``, dropped and created again) and Redis: gunicorn serving the app
with the project's configuration (``takedown/gunicorn.conf.py``; ``--web-workers``,
``--web-threads``, ``--keep-alive``, ``--max-requests`` and ``--[no-]preload``
change it) and Celery workers ingesting and scanning. The backlog is seeded with
``bench/queue_page.py``'s ``seed`` (four platforms of unequal size, rights
holders with verified word marks, ``--cases`` open cases, decided ones).

``--users`` moderators (half the operator's, half split over the platforms)
log in through the login form (no second factor is required of them; every
password is right, so the login lockout never counts a failure), then, for
``--duration`` seconds, each one in a loop:

- opens the queue (the first page mostly, sometimes a later page, a platform
  filter or the deadline order) and reads it for ``--think`` seconds;
- opens a case from the queue it last saw;
- now and then claims the next case, opens it and decides it (remove or
  reject, with a statement) or gives it back.

Meanwhile a pusher POSTs a JSON Lines feed of ``--batch`` new listings to
``/api/v1/feeds`` with a platform token every ``batch / --feed-rate``
seconds; the workers ingest and scan them against the verified rights.

Printed: p50 / p95 / p99 and count of each kind of request (every HTTP
request is timed on its own, a redirect's target is a request of its own
kind), errors by status (anything but 200 for a page, 302 for a form, 202 for
a feed), the kept-alive connections the server had closed and a moderator
reopened as a browser does (see ``Session``; not errors), listings ingested
and scanned per second over the run, the backlog left, the CPU each process
group used (as cores), the database connections and the load average.

    .venv/bin/python bench/load.py                            # 50 users, 20,000 cases, 5 min
    .venv/bin/python bench/load.py --duration 60              # a shorter run
    .venv/bin/python bench/load.py --users 10 --cases 2000 --duration 20   # a quick look

Pages are requested without their static files (served by WhiteNoise from
the same workers in production, cached by browsers). Needs PostgreSQL at
127.0.0.1:5432 (user postgres, trust) and Redis at 127.0.0.1:6379. Not a test:
it prints figures (docs/reliability.md, "Load").
"""

import argparse
import http.client
import json
import os
import random
import re
import runpy
import select
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.end_to_end import cpu_seconds, stop  # noqa: E402
from bench.ingest import PeakMemory, run, wait_http  # noqa: E402
from bench.queue_page import WORDS, brand, percentile  # noqa: E402
from bench.queue_page import seed as seed_backlog  # noqa: E402

PASSWORD = "load-bench-password-2026"
CASE_LINK = re.compile(rb'href="/cases/(\d+)/"')
PLATFORM_OPTION = re.compile(rb'<option value="(\d+)"')
# Set in main() to the number of web workers.
LOGINS_AT_ONCE = [threading.Semaphore(1)]


# Seeding -------------------------------------------------------------------------


def seed(args: argparse.Namespace) -> tuple[list[str], str]:
    """Seed the backlog, the bench's moderators and a feed token; return (usernames, token)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password

    from listings.models import Platform
    from listings.services.tokens import platform_token_create
    from rightsholders.models import Membership, Organisation

    seed_backlog(
        argparse.Namespace(
            open_cases=args.cases,
            other_cases=args.cases // 5,
            listings=args.cases + args.cases // 2,
            rights_holders=max(20, args.cases // 500),
        )
    )
    operator = Organisation.objects.get(kind="operator")
    platforms = list(Platform.objects.select_related("organisation").order_by("pk"))
    password = make_password(PASSWORD)  # one hash for all: 50 PBKDF2 runs would add nothing
    users = get_user_model().objects.bulk_create(
        get_user_model()(username=f"load-{n:03d}", password=password) for n in range(args.users)
    )
    Membership.objects.bulk_create(
        Membership(
            user=user,
            # Even: the operator's moderators (every platform); odd: one platform's.
            organisation=operator
            if n % 2 == 0
            else platforms[n // 2 % len(platforms)].organisation,
            role="moderator",
        )
        for n, user in enumerate(users)
    )
    _token, raw = platform_token_create(actor=None, platform=platforms[0], name="Load bench")
    return [u.username for u in users], raw


# HTTP --------------------------------------------------------------------------


@dataclass
class Results:
    """Every request's time by kind, the errors and the reconnections by kind, from all threads."""

    times: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: Counter = field(default_factory=Counter)
    reconnects: Counter = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)
    recording: bool = False
    listings_pushed: int = 0

    def add(self, kind: str, seconds: float, problem: str | None) -> None:
        if not self.recording:
            return
        with self.lock:
            self.times[kind].append(seconds)
            if problem:
                self.errors[(kind, problem)] += 1

    def reconnected(self, kind: str, why: str) -> None:
        if not self.recording:
            return
        with self.lock:
            self.reconnects[(kind, why)] += 1


# What a socket raises when the server closed it: RemoteDisconnected (no status
# line) is a ConnectionResetError.
CLOSED = (ConnectionResetError, BrokenPipeError, ConnectionAbortedError)
IDLE_CLOSED = "idle connection found closed, reopened before sending"
RESENT = "connection closed unanswered, reopened and sent again"


class Session:
    """One browser: a kept-alive connection and its cookies.

    As a browser does, a kept-alive connection the server closed while it sat
    idle is reopened: checked before sending (readable while idle means the
    server's FIN or RST is waiting), and, for the close that races the send,
    the request is sent again once on a new connection if it cannot have been
    acted on: a GET that got no answer, or any request whose sending failed.
    A POST that was sent whole and got no answer is an error, never resent: a
    decision must not be sent twice without anyone seeing it. A new
    connection's failure, a second failure or a cut-off answer is an error.
    """

    def __init__(self, base: str, results: Results) -> None:
        parts = urlsplit(base)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.results = results
        self.cookies: dict[str, str] = {}
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)

    def request(
        self, kind: str, method: str, path: str, form: dict[str, str] | None = None
    ) -> tuple[int, bytes, str]:
        """Send one request, time it, record it; return (status, body, Location)."""
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            form = {**form, "csrfmiddlewaretoken": self.cookies.get("csrftoken", "")}
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        expected = 200 if method == "GET" else 302
        started = time.perf_counter()  # a reconnection is part of the wait
        for attempt in (1, 2):
            # http.client keeps the socket after an answer without "Connection: close".
            reused = self.conn.sock is not None
            if reused and self.closed_while_idle():
                self.conn.close()
                self.results.reconnected(kind, IDLE_CLOSED)
                reused = False
            stage = "send"
            try:
                self.conn.request(method, path, body=body, headers=headers)
                stage = "status"
                response = self.conn.getresponse()
                stage = "body"
                data = response.read()
                break
            except (OSError, http.client.HTTPException) as exc:
                self.conn.close()
                unanswered = stage == "send" or (stage == "status" and method == "GET")
                if attempt == 1 and reused and isinstance(exc, CLOSED) and unanswered:
                    self.results.reconnected(kind, RESENT)
                    continue
                self.results.add(kind, time.perf_counter() - started, type(exc).__name__)
                return 0, b"", ""
        elapsed = time.perf_counter() - started
        for header in response.msg.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        location = response.getheader("Location", "")
        problem = None
        if response.status != expected:
            problem = str(response.status)
        elif "/accounts/login/" in location and kind != "login":
            problem = "302 to the login page"
        self.results.add(kind, elapsed, problem)
        return response.status, data, location

    def closed_while_idle(self) -> bool:
        """Whether the kept-alive socket is readable before a request: the server closed it."""
        sock = self.conn.sock
        return sock is not None and bool(select.select([sock], [], [], 0)[0])

    def log_in(self, username: str) -> None:
        self.request("login", "GET", "/accounts/login/")
        status, _body, location = self.request(
            "login", "POST", "/accounts/login/", {"username": username, "password": PASSWORD}
        )
        if status != 302 or "/accounts/login/" in location:
            raise SystemExit(f"{username} could not log in ({status} -> {location!r})")


def moderator(
    session: Session,
    username: str,
    args: argparse.Namespace,
    stop_at: list[float],
    seed: int,
    ready: threading.Barrier,
) -> None:
    """One moderator's loop: queue, case, now and then claim next and decide."""
    rng = random.Random(seed)
    try:
        # As many logins at once as there are web workers: 50 password hashes
        # queued behind each other on a loaded machine outlast the 60 s timeout.
        with LOGINS_AT_ONCE[0]:
            session.log_in(username)
            status, page, _ = session.request("queue", "GET", "/cases/")
    except BaseException as exc:
        # A thread's SystemExit is not printed: say why this one stopped.
        print(f"{username}: {exc!r}", file=sys.stderr, flush=True)
        ready.abort()
        raise
    # The clock starts when every moderator is in: 50 logins at once are not the load.
    ready.wait()
    cases = [int(pk) for pk in CASE_LINK.findall(page)]
    platforms = [int(pk) for pk in PLATFORM_OPTION.findall(page)]
    while time.monotonic() < stop_at[0]:
        roll = rng.random()
        if roll < 0.4:
            choice = rng.random()
            if choice < 0.7:
                query = ""
            elif choice < 0.8:
                query = f"?page={rng.randint(2, 20)}"
            elif choice < 0.9 and platforms:
                query = f"?platform={rng.choice(platforms)}&status=open"
            else:
                query = "?sort=deadline"
            status, page, _ = session.request("queue", "GET", f"/cases/{query}")
            cases = [int(pk) for pk in CASE_LINK.findall(page)] or cases
        elif roll < 0.85 and cases:
            session.request("case", "GET", f"/cases/{rng.choice(cases)}/")
        else:
            status, _, location = session.request("claim next", "POST", "/cases/claim-next/", {})
            match = re.search(r"/cases/(\d+)/$", location)
            if match:
                pk = match.group(1)
                session.request("case", "GET", f"/cases/{pk}/")
                time.sleep(args.think * rng.uniform(0.5, 1.5))
                if rng.random() < 0.8:
                    form = {
                        "action": rng.choice(["remove", "remove", "reject"]),
                        "explanation": "The listing offers goods bearing the registered mark "
                        "without the holder's consent, at a fraction of the genuine price.",
                    }
                else:
                    form = {"action": "release"}
                status, _, location = session.request(
                    "decide" if "explanation" in form else "release",
                    "POST",
                    f"/cases/{pk}/act/",
                    form,
                )
                if status == 302:
                    session.request("case", "GET", urlsplit(location).path)
        time.sleep(args.think * rng.uniform(0.5, 1.5))


# Feeds ---------------------------------------------------------------------------


def feed_body(first: int, lines: int, rng: random.Random) -> bytes:
    """``lines`` new listings (ids from ``first``), JSON Lines, ~450 bytes each."""
    out = []
    for n in range(first, first + lines):
        out.append(
            json.dumps(
                {
                    "external_id": f"LOAD-{n:09d}",
                    "title": " ".join([brand(rng)] + rng.sample(WORDS, 5)),
                    "url": f"https://market.example/load/{n}",
                    "description": " ".join(rng.choices(WORDS, k=30)),
                    "price": f"{rng.uniform(5, 900):.2f}",
                    "currency": "EUR",
                    "seller_id": f"LS{(seller := rng.randrange(2000))}",
                    "seller_name": f"Load store {seller}",
                    "category": rng.choice(["bags", "clothing", "shoes"]),
                    "ship_to": ["DE", "FR"],
                }
            )
        )
    return ("\n".join(out) + "\n").encode()


def pusher(
    base: str, token: str, args: argparse.Namespace, stop_at: list[float], results: Results
) -> None:
    """POST a batch every batch / rate seconds until the end; count what was pushed."""
    rng = random.Random(1)
    parts = urlsplit(base)
    interval = args.batch / args.feed_rate
    next_at = time.monotonic()
    n = 0
    while time.monotonic() < stop_at[0]:
        body = feed_body(n, args.batch, rng)
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
        started = time.perf_counter()
        try:
            conn.request(
                "POST",
                "/api/v1/feeds",
                body=body,
                headers={
                    "Authorization": f"Bearer {token}",
                    "Content-Type": "application/x-ndjson",
                },
            )
            response = conn.getresponse()
            response.read()
            problem = None if response.status == 202 else str(response.status)
        except (OSError, http.client.HTTPException) as exc:
            problem = type(exc).__name__
        finally:
            conn.close()
        results.add("feed push", time.perf_counter() - started, problem)
        if problem is None and results.recording:
            results.listings_pushed += args.batch  # this thread alone writes it
        n += args.batch
        next_at += interval
        time.sleep(max(0.0, next_at - time.monotonic()))


def backends(conn: psycopg.Connection) -> int:
    """Connections to the bench's database other than this poll's (web threads, workers)."""
    row = conn.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
        " AND pid <> pg_backend_pid()"
    ).fetchone()
    assert row is not None
    return int(row[0])


def pipeline(conn: psycopg.Connection, since: str) -> tuple[int, int, int]:
    """Lines accepted by ingestion, listings scanned since ``since``, and feeds not done."""
    row = conn.execute(
        """
        SELECT
          (SELECT coalesce(sum(accepted), 0) FROM listings_feedbatch),
          (SELECT count(*) FROM listings_listing WHERE scanned_at >= %s),
          (SELECT count(*) FROM listings_feedbatch WHERE status NOT IN ('done', 'failed'))
        """,
        [since],
    ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1]), int(row[2])


# gunicorn ------------------------------------------------------------------------

GUNICORN_CONFIG = ROOT / "takedown" / "gunicorn.conf.py"


def web_command_line(args: argparse.Namespace) -> list[str]:
    """gunicorn options that override the project's configuration where the bench asks."""
    options = []
    if args.web_workers is not None:
        options += ["--workers", str(args.web_workers)]
    if args.web_threads == 1:
        options += ["--worker-class", "sync", "--threads", "1"]
    elif args.web_threads is not None:
        options += ["--worker-class", "gthread", "--threads", str(args.web_threads)]
    if args.keep_alive is not None:
        options += ["--keep-alive", str(args.keep_alive)]
    if args.max_requests is not None:
        options += ["--max-requests", str(args.max_requests)]
    if args.preload:
        options += ["--preload"]
    return options


def web_config_file(args: argparse.Namespace, folder: Path) -> Path:
    """The project's gunicorn configuration, or (``--no-preload``) a copy without preload_app.

    gunicorn has ``--preload`` but no option to turn a configuration's off.
    """
    if args.preload is not False:
        return GUNICORN_CONFIG
    copy = folder / "gunicorn.conf.py"
    copy.write_text(GUNICORN_CONFIG.read_text() + "\npreload_app = False\n")
    return copy


def gunicorn_config(args: argparse.Namespace) -> dict:
    """The settings gunicorn runs with: the project's file, then the bench's options."""
    config = runpy.run_path(str(GUNICORN_CONFIG))
    if args.web_workers is not None:
        config["workers"] = args.web_workers
    if args.web_threads is not None:
        config["threads"] = args.web_threads
        config["worker_class"] = "sync" if args.web_threads == 1 else "gthread"
    if args.keep_alive is not None:
        config["keepalive"] = args.keep_alive
    if args.max_requests is not None:
        config["max_requests"] = args.max_requests
    if args.preload is not None:
        config["preload_app"] = args.preload
    return config


def describe(config: dict) -> str:
    """gunicorn's setup in one line for the figures."""
    if config.get("worker_class", "sync") == "sync":
        shape = f"gunicorn sync x{config['workers']}"
    else:
        shape = f"gunicorn gthread {config['workers']} x {config['threads']} threads"
        shape += f", keep-alive {config.get('keepalive', 2)} s"
    if config.get("max_requests"):
        shape += f", max-requests {config['max_requests']}"
    return shape + (", preloaded" if config.get("preload_app") else "")


# Main ----------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=float, default=300, help="seconds of load")
    parser.add_argument("--users", type=int, default=50, help="moderators, each its own session")
    parser.add_argument("--cases", type=int, default=20_000, help="open cases seeded")
    parser.add_argument(
        "--think", type=float, default=1.0, help="mean seconds a moderator reads a page (0.5-1.5x)"
    )
    parser.add_argument("--feed-rate", type=float, default=350, help="listings pushed a second")
    parser.add_argument("--batch", type=int, default=1000, help="listings a feed")
    parser.add_argument(
        "--web-workers", type=int, help="gunicorn worker processes (default: the config's)"
    )
    parser.add_argument(
        "--web-threads",
        type=int,
        help="threads a gunicorn worker (1: the sync worker class; default: the config's)",
    )
    parser.add_argument("--keep-alive", type=int, help="gunicorn --keep-alive seconds")
    parser.add_argument("--max-requests", type=int, help="gunicorn --max-requests (0: never)")
    parser.add_argument(
        "--preload",
        action=argparse.BooleanOptionalAction,
        help="import the app before forking (default: the config's)",
    )
    parser.add_argument(
        "--workers", default="2x1", help="Celery workers as PROCESSESxCONCURRENCY (as end_to_end)"
    )
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--database", default="bench_load")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/10")
    parser.add_argument("--port", type=int, default=8096)
    args = parser.parse_args()
    worker_processes, concurrency = (int(x) for x in args.workers.split("x"))

    var_dir = Path(tempfile.mkdtemp(prefix="bench-load-"))
    dsn = f"{args.postgres}/{args.database}"
    env = {
        **os.environ,
        "DATABASE_URL": dsn,
        "CELERY_BROKER_URL": args.redis,
        "CACHE_URL": args.redis,
        "TAKEDOWN_PROFILE": "local",
        "TAKEDOWN_VAR_DIR": str(var_dir),
        "TAKEDOWN_MEDIA_ROOT": str(var_dir / "media"),
        "TAKEDOWN_PLATFORM_API_RATE": "100000/min",
        "TAKEDOWN_REQUIRE_2FA_FOR_MODERATORS": "0",
        "CELERY_TASK_DEFAULT_QUEUE": f"bench-load-{os.getpid()}",
        "DJANGO_LOG_LEVEL": "WARNING",
    }
    env.pop("DJANGO_DEBUG", None)
    admin = f"{args.postgres}/postgres"
    quiet = {"stdout": subprocess.DEVNULL}
    run(["psql", admin, "-qc", f"DROP DATABASE IF EXISTS {args.database}"], env, **quiet)
    run(["psql", admin, "-qc", f"CREATE DATABASE {args.database}"], env, **quiet)
    run([sys.executable, "manage.py", "migrate", "-v0"], env)

    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "takedown.settings")
    import django

    django.setup()
    usernames, token = seed(args)
    from django.db import connections

    connections.close_all()

    logs = var_dir / "logs"
    logs.mkdir()
    base = f"http://127.0.0.1:{args.port}"
    procs: list[subprocess.Popen] = []

    def spawn(cmd: list[str], log: Path) -> subprocess.Popen:
        proc = subprocess.Popen(
            cmd,
            cwd=ROOT,
            env=env,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        procs.append(proc)
        return proc

    try:
        web_options = web_command_line(args)
        web_config = gunicorn_config(args)
        web = spawn(
            [sys.executable, "-m", "gunicorn", "-c", str(web_config_file(args, var_dir)), "takedown.wsgi",
             "--bind", f"127.0.0.1:{args.port}", *web_options, "--backlog", "2048",
             "--log-level", "warning"],
            logs / "web.log",
        )  # fmt: skip
        workers = [
            spawn(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "takedown",
                    "worker",
                    "--concurrency",
                    str(concurrency),
                    "--hostname",
                    f"load{n}@%h",
                    "--queues",
                    env["CELERY_TASK_DEFAULT_QUEUE"],
                    "--loglevel",
                    "WARNING",
                    "--without-gossip",
                    "--without-mingle",
                    "--without-heartbeat",
                ],
                logs / f"worker-{n}.log",
            )  # fmt: skip
            for n in range(worker_processes)
        ]
        wait_http(base)
        time.sleep(3)  # the workers connect to the broker

        LOGINS_AT_ONCE[0] = threading.Semaphore(web_config["workers"])
        results = Results()
        stop_at = [float("inf")]
        sessions = [Session(base, results) for _ in usernames]
        ready = threading.Barrier(len(usernames) + 1)
        threads = [
            threading.Thread(
                target=moderator, args=(s, u, args, stop_at, n, ready), daemon=True, name=u
            )
            for n, (s, u) in enumerate(zip(sessions, usernames, strict=True))
        ]
        print(
            f"machine: {os.cpu_count()} cores; {args.cases:,} open cases; {args.users} moderators "
            f"thinking {args.think:g} s a page; feeds of {args.batch} listings at "
            f"{args.feed_rate:g} listings/s; web: {describe(web_config)}; "
            + f"workers: {worker_processes} x celery prefork -c {concurrency}; "
            f"load average before {os.getloadavg()[0]:.1f}"
        )
        # Logins and each user's first queue page happen before the clock starts.
        started_logins = time.monotonic()
        for thread in threads:
            thread.start()
        try:
            ready.wait(timeout=600)
        except threading.BrokenBarrierError:
            raise SystemExit("a moderator could not log in (see above)") from None
        print(
            f"{len(usernames)} moderators logged in and saw the queue in "
            f"{time.monotonic() - started_logins:.1f} s",
            flush=True,
        )
        roots = {"web": web.pid, **{f"worker {n}": w.pid for n, w in enumerate(workers)}}
        poll = psycopg.connect(dsn, autocommit=True)
        since = poll.execute("SELECT now()").fetchone()[0]  # type: ignore[index]
        ingested_0, scanned_0, _ = pipeline(poll, since)
        peak_backends = backends(poll)
        cpu_before = cpu_seconds(roots)
        results.recording = True
        t0 = time.monotonic()
        stop_at[0] = t0 + args.duration
        feed = threading.Thread(target=pusher, args=(base, token, args, stop_at, results))
        with PeakMemory(roots) as memory:
            feed.start()
            while time.monotonic() < stop_at[0]:
                time.sleep(min(30.0, max(0.0, stop_at[0] - time.monotonic())))
                ingested, scanned, pending = pipeline(poll, since)
                peak_backends = max(peak_backends, backends(poll))
                elapsed = time.monotonic() - t0
                print(
                    f"  {elapsed:5.0f} s: {sum(len(v) for v in results.times.values()):,} "
                    f"requests, {ingested - ingested_0:,} ingested, {scanned - scanned_0:,} scanned, "
                    f"{pending} feeds waiting; load average {os.getloadavg()[0]:.1f}",
                    flush=True,
                )
                if any(p.poll() is not None for p in procs):
                    raise SystemExit(f"a server process exited; see {logs}")
            elapsed = time.monotonic() - t0
            ingested, scanned, pending = pipeline(poll, since)
            cpu_used = {r: s - cpu_before[r] for r, s in cpu_seconds(roots).items()}
            # cpu_seconds names this process after end_to_end's image server; here it is the client.
            cpu_used["bench client"] = cpu_used.pop("bench (image server, polling)", 0.0)
            results.recording = False
            load_end = os.getloadavg()
        feed.join()
        for thread in threads:
            thread.join(timeout=60)
        pushed = results.listings_pushed

        print(f"\n{elapsed:.0f} s of load; load average at the end {load_end[0]:.1f} "
              f"(1 min), {load_end[1]:.1f} (5 min)")  # fmt: skip
        print(
            f"{'request':<12} {'count':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8}"
        )
        pages: list[float] = []
        for kind in ("queue", "case", "claim next", "decide", "release", "feed push"):
            times = [t * 1000 for t in results.times.get(kind, [])]
            if not times:
                continue
            if kind in ("queue", "case"):
                pages += times
            print(
                f"{kind:<12} {len(times):>7,} {percentile(times, 0.5):>8.0f} "
                f"{percentile(times, 0.95):>8.0f} {percentile(times, 0.99):>8.0f} {max(times):>8.0f}"
            )
        if pages:
            print(
                f"{'pages':<12} {len(pages):>7,} {percentile(pages, 0.5):>8.0f} "
                f"{percentile(pages, 0.95):>8.0f} {percentile(pages, 0.99):>8.0f} {max(pages):>8.0f}"
            )
        errors = sum(results.errors.values())
        print(f"errors: {errors}" + "".join(
            f"\n  {kind}: {problem} x{count}" for (kind, problem), count in sorted(results.errors.items())
        ))  # fmt: skip
        print(f"reconnections (not errors): {sum(results.reconnects.values())}" + "".join(
            f"\n  {kind}: {why} x{count}" for (kind, why), count in sorted(results.reconnects.items())
        ))  # fmt: skip
        print(
            f"feeds: {pushed:,} listings pushed ({pushed / elapsed:.0f}/s), "
            f"{ingested - ingested_0:,} ingested ({(ingested - ingested_0) / elapsed:.0f}/s), "
            f"{scanned - scanned_0:,} scanned ({(scanned - scanned_0) / elapsed:.0f}/s); "
            f"{pending} feeds not yet ingested at the end"
        )
        print(
            "CPU used, in cores: "
            + ", ".join(f"{role} {spent / elapsed:.2f}" for role, spent in cpu_used.items())
            + f"; all {sum(cpu_used.values()) / elapsed:.2f} of {os.cpu_count()}"
        )
        # What a request costs whatever else runs on the machine (the wall clock moves with it).
        requests = sum(len(results.times[k]) for k in results.times if k != "feed push")
        if requests:
            print(
                f"web CPU a moderator request: {cpu_used['web'] / requests * 1000:.1f} ms "
                f"(gunicorn's CPU over {requests:,} requests and {len(results.times['feed push'])} "
                f"feed pushes); PostgreSQL CPU a listing ingested: "
                f"{cpu_used['postgres'] / max(1, ingested - ingested_0) * 1000:.2f} ms (with the pages' queries)"
            )
        print(
            f"PostgreSQL connections to {args.database}: at most {peak_backends} "
            "(sampled every 30 s: web threads' persistent ones, workers')"
        )
        print(
            "peak RSS: "
            + ", ".join(f"{role} {memory.peak_total[role] / 2**20:.0f} MB" for role in roots)
        )
        for log in sorted(logs.glob("*.log")):
            for line in log.read_text().splitlines():
                if "Traceback" in line or "ERROR" in line or "CRITICAL" in line:
                    print(f"{log.name}: {line}")
        print(f"logs: {logs}")
    finally:
        stop(procs)


if __name__ == "__main__":
    main()
