"""Throwaway services for the fault scenarios, started the way production starts them.

Each scenario gets its own PostgreSQL cluster (``initdb`` + ``pg_ctl``, trust
auth, 127.0.0.1 only), its own ``redis-server`` with AOF persistence
(``appendfsync everysec``, as in production), Celery worker processes
(``celery -A takedown worker``), a ``celery beat`` and gunicorn, on free
loopback ports and in one temporary folder. The machine's shared PostgreSQL
and Redis are never touched. ``Services`` is a context manager: leaving it,
normally or on an error, kills every process it started and removes the folder.

Faults are real signals: ``kill -9`` of a worker's pool process or of a whole
worker's process group, ``kill -9`` of Redis, ``pg_ctl stop -m immediate``.
Every wait has a deadline and says what it waited for when it runs out.
"""

import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import psutil
import psycopg

ROOT = Path(__file__).resolve().parents[2]
# The web tier starts as production starts it (README): gunicorn with the project's settings.
GUNICORN_CONF = ROOT / "takedown" / "gunicorn.conf.py"
sys.path.insert(0, str(ROOT))

from bench.ingest import push, wait_http  # noqa: E402

PG_BIN = Path(os.environ.get("TAKEDOWN_PG_BIN", "/usr/lib/postgresql/15/bin"))
REDIS_SERVER = os.environ.get("TAKEDOWN_REDIS_SERVER", "redis-server")
DATABASE = "faults"
QUEUE = "takedown"

T = TypeVar("T")


class FaultTimeout(AssertionError):
    """A wait ran past its deadline: the scenario's guarantee did not hold in time."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(
    check: Callable[[], T], *, timeout: float, what: str, every: float = 0.5
) -> tuple[T, float]:
    """Call ``check`` until it returns something truthy; return it and the seconds it took."""
    started = time.monotonic()
    last: T | None = None
    while True:
        try:
            last = check()
        except (psycopg.Error, OSError) as exc:  # a service coming back up
            last = None
            error = exc
        else:
            error = None
        if last:
            return last, time.monotonic() - started
        if time.monotonic() - started > timeout:
            raise FaultTimeout(
                f"{what}: not reached within {timeout:.0f} s (last seen: {last!r}"
                + (f", error: {error}" if error else "")
                + ")"
            )
        time.sleep(every)


def _as_postgres() -> list[str]:
    """PostgreSQL refuses to run as root: run its commands as the postgres user then."""
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


class Postgres:
    """A PostgreSQL cluster of our own: initdb'd in ``folder``, listening on 127.0.0.1:``port``."""

    def __init__(self, folder: Path, port: int) -> None:
        self.folder, self.port = folder, port
        self.data = folder / "data"
        self.log = folder / "postgres.log"
        self.running = False

    @property
    def admin_url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{DATABASE}"

    def init(self, template: Path | None = None) -> None:
        """Create the cluster: a copy of ``template`` (a stopped cluster's data), or initdb."""
        self.folder.mkdir(parents=True)
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
        if template is not None:
            subprocess.run([*_as_postgres(), "cp", "-a", str(template), str(self.data)], check=True)
            self.start()
            return
        subprocess.run(
            [*_as_postgres(), str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres",
             "-A", "trust", "-E", "UTF8", "--no-sync"],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
        self.start()
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {DATABASE}")

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.folder} "
            "-c max_connections=200 -c fsync=on -c synchronous_commit=on"
        )
        subprocess.run(
            [*_as_postgres(), str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.log),
             "-o", options, "-w", "-t", "60", "start"],
            check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        self.running = True

    def stop_fast(self) -> None:
        subprocess.run(
            [*_as_postgres(), str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "fast",
             "-w", "-t", "60", "stop"],
            check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        self.running = False

    def stop_immediate(self) -> None:
        """``pg_ctl stop -m immediate``: every server process quits without a checkpoint."""
        subprocess.run(
            [*_as_postgres(), str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate",
             "-w", "-t", "30", "stop"],
            check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        self.running = False

    def close(self) -> None:
        if (self.data / "postmaster.pid").exists():
            try:
                self.stop_immediate()
            except subprocess.CalledProcessError:
                pid = int((self.data / "postmaster.pid").read_text().split()[0])
                _kill_tree(pid)

    def query(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        with psycopg.connect(self.url, autocommit=True, connect_timeout=5) as conn:
            return conn.execute(sql, params).fetchall()  # type: ignore[arg-type]

    def scalar(self, sql: str, *params: Any) -> Any:
        return self.query(sql, *params)[0][0]


class Redis:
    """A redis-server of our own with AOF on (``appendfsync everysec``) in ``folder``."""

    def __init__(self, folder: Path, port: int) -> None:
        self.folder, self.port = folder, port
        self.proc: subprocess.Popen[bytes] | None = None

    def url(self, db: int) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        log = (self.folder / "redis.log").open("ab")
        self.proc = subprocess.Popen(
            [REDIS_SERVER, "--bind", "127.0.0.1", "--port", str(self.port),
             "--dir", str(self.folder), "--appendonly", "yes", "--appendfsync", "everysec",
             "--save", "", "--daemonize", "no"],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        wait_until(self.ping, timeout=30, what=f"redis on port {self.port} answering", every=0.1)

    def ping(self) -> bool:
        import redis

        try:
            return bool(redis.Redis(port=self.port, socket_timeout=1).ping())
        except redis.RedisError:
            return False

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.kill9()


def _kill_tree(pid: int) -> None:
    try:
        root = psutil.Process(pid)
        tree = [root, *root.children(recursive=True)]
    except psutil.Error:
        return
    for proc in tree:
        try:
            proc.kill()
        except psutil.Error:
            pass
    psutil.wait_procs(tree, timeout=10)


class Role:
    """One server process started in its own session (process group), logging to a file."""

    def __init__(self, name: str, command: list[str], env: dict[str, str], log: Path) -> None:
        self.name, self.command, self.env, self.log = name, command, env, log
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0
        # Down on the scenario's purpose (killed, to be started by it): not restarted.
        self.held = True
        self.restarts_by_supervisor = 0

    def start(self) -> None:
        self.held = False
        self.starts += 1
        with self.log.open("ab") as handle:
            handle.write(f"\n--- start {self.starts} ---\n".encode())
            self.proc = subprocess.Popen(
                self.command,
                cwd=ROOT,
                env=self.env,
                stdout=handle,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def children(self) -> list[psutil.Process]:
        try:
            return psutil.Process(self.pid).children()
        except psutil.Error:
            return []

    def kill9_child(self, rng: random.Random) -> int | None:
        """``kill -9`` one pool process of this worker (the parent starts another); its pid."""
        children = self.children()
        if not children:
            return None
        victim = rng.choice(children)
        try:
            victim.send_signal(signal.SIGKILL)
        except psutil.Error:
            return None
        return victim.pid

    def kill9_all(self) -> None:
        """``kill -9`` the whole process group: the parent and every pool process at once."""
        self.held = True
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        self.held = True
        if not self.alive():
            return
        assert self.proc is not None
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill9_all()
        except ProcessLookupError:
            pass
        _kill_tree(self.proc.pid)


class Services:
    """PostgreSQL, Redis, Celery workers, beat and gunicorn of one scenario.

    ``settings`` are extra environment variables for every process (the
    scenario's timeouts); ``workers`` is the number of worker processes, each
    ``celery worker --concurrency`` ``concurrency``.
    """

    def __init__(
        self,
        name: str,
        *,
        workers: int = 2,
        concurrency: int = 1,
        web: bool = True,
        beat: bool = True,
        settings: dict[str, str] | None = None,
    ) -> None:
        self.name = name
        self.folder = Path(tempfile.mkdtemp(prefix=f"faults-{name}-"))
        self.folder.chmod(0o755)  # the postgres user must reach its cluster under it
        self.logs = self.folder / "logs"
        self.logs.mkdir()
        self.postgres = Postgres(self.folder / "pg", free_port())
        self.redis = Redis(self.folder / "redis", free_port())
        self.web_port = free_port()
        self.env = {
            **os.environ,
            "DATABASE_URL": self.postgres.url,
            "CELERY_BROKER_URL": self.redis.url(0),
            "CACHE_URL": self.redis.url(1),
            "TAKEDOWN_VAR_DIR": str(self.folder / "var"),
            "TAKEDOWN_MEDIA_ROOT": str(self.folder / "media"),
            "TAKEDOWN_PLATFORM_API_RATE": "100000/min",
            "CELERY_TASK_DEFAULT_QUEUE": QUEUE,
            "DJANGO_LOG_LEVEL": "INFO",
            "DJANGO_SETTINGS_MODULE": "takedown.settings",
            **(settings or {}),
        }
        for name_ in ("DJANGO_DEBUG", "TAKEDOWN_REQUIRE_SERVICES"):
            self.env.pop(name_, None)
        python = sys.executable
        self.workers = [
            Role(
                f"worker-{n}",
                [
                    python,
                    "-m",
                    "celery",
                    "-A",
                    "takedown",
                    "worker",
                    "--concurrency",
                    str(concurrency),
                    "--hostname",
                    f"faults{n}@%h",
                    "--queues",
                    QUEUE,
                    "--loglevel",
                    "INFO",
                    "--without-gossip",
                    "--without-mingle",
                    "--without-heartbeat",
                ],
                self.env,
                self.logs / f"worker-{n}.log",
            )  # fmt: skip
            for n in range(workers)
        ]
        self.beat = (
            Role(
                "beat",
                [
                    python,
                    "-m",
                    "celery",
                    "-A",
                    "takedown",
                    "beat",
                    "--loglevel",
                    "INFO",
                    "--schedule",
                    str(self.folder / "beat-schedule"),
                ],
                self.env,
                self.logs / "beat.log",
            )  # fmt: skip
            if beat
            else None
        )
        self.web = (
            Role(
                "web",
                [
                    python,
                    "-m",
                    "gunicorn",
                    "-c",
                    str(GUNICORN_CONF),
                    "takedown.wsgi",
                    "--bind",
                    f"127.0.0.1:{self.web_port}",
                    "--workers",
                    "2",
                    "--timeout",
                    "600",
                    "--log-level",
                    "warning",
                ],
                self.env,
                self.logs / "web.log",
            )  # fmt: skip
            if web
            else None
        )
        self.token = ""
        self._stopping = threading.Event()
        self._supervisor = threading.Thread(target=self._supervise, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    def roles(self) -> list[Role]:
        return [
            *self.workers,
            *([self.beat] if self.beat else []),
            *([self.web] if self.web else []),
        ]

    # Life cycle ------------------------------------------------------------------

    def __enter__(self) -> "Services":
        try:
            template = _migrated_template()
            if template is not None:
                self.postgres.init(template / "data")
                self.token = (template / "token").read_text()
            else:
                self.postgres.init()
                self.manage("migrate", "-v0")
                created = self.manage("create_platform", "Fault Market", "--slug", "fault-market")
                self.token = created.strip().splitlines()[-1]
                _save_template(self.postgres, self.token)
            self.redis.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start_servers(self) -> None:
        """Start the web server, the workers and beat; wait until each is ready."""
        for role in self.roles():
            role.start()
        self._supervisor.start()
        if self.web:
            wait_http(self.base_url, timeout=60)
        for worker in self.workers:
            self.wait_worker_ready(worker)

    def wait_worker_ready(self, worker: Role, timeout: float = 90) -> None:
        marker = f"--- start {worker.starts} ---"

        def ready() -> bool:
            if not worker.alive():
                raise FaultTimeout(f"{worker.name} exited; see {worker.log}")
            return "ready." in worker.log.read_text(errors="replace").rsplit(marker, 1)[-1]

        wait_until(ready, timeout=timeout, what=f"{worker.name} ready", every=0.3)

    def _supervise(self) -> None:
        """Restart a server process that exited on its own, as systemd's Restart=always does.

        A Celery worker exits ("Unrecoverable error: AttributeError: 'NoneType'
        object has no attribute 'hostname'", in kombu's Redis transport) when
        Redis goes away again soon after it came back; production runs workers
        under a supervisor, and so do the scenarios (docs/reliability.md).
        """
        while not self._stopping.wait(1.0):
            for role in self.roles():
                if not role.held and role.proc is not None and role.proc.poll() is not None:
                    role.restarts_by_supervisor += 1
                    role.start()

    def restarts(self) -> dict[str, int]:
        """Server processes restarted by the supervisor after exiting on their own."""
        return {r.name: r.restarts_by_supervisor for r in self.roles() if r.restarts_by_supervisor}

    def close(self) -> None:
        self._stopping.set()
        if self._supervisor.is_alive():
            self._supervisor.join(timeout=10)
        for role in self.roles():
            try:
                role.stop()
            except Exception:  # noqa: BLE001 - the others must still be stopped
                pass
        self.redis.close()
        self.postgres.close()
        if os.environ.get("TAKEDOWN_FAULTS_KEEP") != "1":
            shutil.rmtree(self.folder, ignore_errors=True)

    # Helpers -------------------------------------------------------------------

    def manage(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        if done.returncode:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stderr[-3000:]}")
        return done.stdout

    def django(self, operation: str, **arguments: Any) -> Any:
        """Run one operation of tests.faults.ops in a Django process on these services."""
        done = subprocess.run(
            [sys.executable, "-m", "tests.faults.ops", operation, json.dumps(arguments)],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=1800,
        )
        if done.returncode:
            raise RuntimeError(f"ops {operation} failed:\n{done.stderr[-3000:]}")
        return json.loads(done.stdout.strip().splitlines()[-1])

    def push(self, path: Path) -> str:
        status_url, _seconds = push(self.base_url, self.token, path)
        return status_url

    def errors_in_logs(self) -> list[str]:
        """Tracebacks in the workers' logs (a killed process's are expected; shown, not failed)."""
        lines = []
        for log in sorted(self.logs.glob("worker-*.log")):
            for line in log.read_text(errors="replace").splitlines():
                if " ERROR" in line or "Traceback" in line:
                    lines.append(f"{log.name}: {line[:300]}")
        return lines


def _template_folder() -> Path:
    """Where the migrated cluster of the current migrations is kept between scenarios."""
    import hashlib

    digest = hashlib.sha256(str(PG_BIN).encode())
    for path in sorted(ROOT.glob("*/migrations/*.py")):
        digest.update(path.name.encode() + path.read_bytes())
    return Path(tempfile.gettempdir()) / f"faults-pg-template-{digest.hexdigest()[:16]}"


def _migrated_template() -> Path | None:
    """A stopped cluster with every migration applied and the platform created, if made already.

    Migrating takes a scenario ~20 s; the first scenario keeps its cluster's
    files and the next ones copy them. Any change to a migration makes another.
    """
    folder = _template_folder()
    return folder if (folder / "token").exists() else None


def _save_template(postgres: Postgres, token: str) -> None:
    folder = _template_folder()
    staging = Path(tempfile.mkdtemp(prefix="faults-pg-template-new-"))
    try:
        staging.chmod(0o755)
        if os.geteuid() == 0:
            shutil.chown(staging, "postgres", "postgres")
        postgres.stop_fast()
        subprocess.run(
            [*_as_postgres(), "cp", "-a", str(postgres.data), str(staging / "data")], check=True
        )
        postgres.start()
        (staging / "token").write_text(token)
        for old in Path(tempfile.gettempdir()).glob("faults-pg-template-*"):
            if old not in (folder, staging):
                shutil.rmtree(old, ignore_errors=True)
        staging.rename(folder)  # atomic: a concurrent run sees all of it or none
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)  # another run saved it first


@contextmanager
def periodically(action: Callable[[], None], every: float) -> Iterator[None]:
    """Run ``action`` in a thread every ``every`` seconds while the block runs."""
    stop = threading.Event()
    failures: list[BaseException] = []

    def loop() -> None:
        while not stop.wait(every):
            try:
                action()
            except BaseException as exc:  # noqa: BLE001 - re-raised by the caller's thread
                failures.append(exc)
                return

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=30)
    if failures:
        raise failures[0]


# Feeds and figures -------------------------------------------------------------

WORDS = (
    "leather bag tote wallet scarf jacket sneaker watch belt backpack silk wool "
    "new men women sale classic vintage summer winter"
).split()


def write_feed(path: Path, count: int, names: list[str], *, seed: int, start: int = 0) -> Path:
    """A JSON Lines feed of ``count`` listings (ids from ``start``); 30% of titles name a mark."""
    rng = random.Random(seed)
    with path.open("w") as out:
        for k in range(start, start + count):
            words = rng.sample(WORDS, 6)
            if names and rng.random() < 0.3:
                words.insert(rng.randrange(6), rng.choice(names))
            seller = rng.randrange(500)
            line = {
                "external_id": f"E-{k:07d}",
                "title": " ".join(words).capitalize(),
                "url": f"https://shop.example/item/{k}",
                "description": " ".join(rng.choices(WORDS, k=12)),
                "price": f"{rng.uniform(20, 400):.2f}",
                "currency": "EUR",
                "seller_id": f"S{seller}",
                "seller_name": f"Store {seller}",
                "category": rng.choice(["bags", "clothing", "shoes", "accessories"]),
                "ship_to": ["DE", "FR"],
            }
            out.write(json.dumps(line) + "\n")
    return path


def write_feeds(
    folder: Path, listings: int, feeds: int, names: list[str], *, prefix: str = "feed"
) -> list[Path]:
    """``listings`` listings split evenly over ``feeds`` feeds (``<prefix>-<n>.jsonl``), ids in order."""
    per_feed = -(-listings // feeds)
    return [
        write_feed(
            folder / f"{prefix}-{f}.jsonl",
            min(per_feed, listings - f * per_feed),
            names,
            seed=f,
            start=f * per_feed,
        )
        for f in range(feeds)
    ]


def feed_lines(path: Path) -> int:
    """The lines of a feed written here: the listings a push of it must store."""
    with path.open() as lines:
        return sum(1 for _ in lines)


def batches_with_status(
    postgres: Postgres, batch_ids: Iterable[int], statuses: Sequence[str]
) -> int:
    """How many of these feed batches are in one of ``statuses``."""
    return int(
        postgres.scalar(
            "SELECT count(*) FROM listings_feedbatch WHERE id = ANY(%s) AND status = ANY(%s)",
            list(batch_ids),
            list(statuses),
        )
    )


def seed_and_write_feeds(
    services: Services, *, listings: int, marks: int, feeds: int
) -> list[Path]:
    """Seed ``marks`` word marks and write ``listings`` listings naming some of them in ``feeds``
    feeds; then start the web server, the workers and beat. The scenario pushes the feeds."""
    names = services.django("seed_marks", marks=marks, seed=7)["names"]
    paths = write_feeds(services.folder, listings, feeds, names)
    services.start_servers()
    return paths


def scan_figures(services: Services, state: dict[str, int]) -> dict[str, Any]:
    """What a faulted scan left, against a fault-free scan of the same listings.

    ``state`` is ``scan_state`` at the end; adds what the sweeps re-queued and
    how often the supervisor restarted a server.
    """
    found, rows = stored_detections(services.postgres)
    reference = {tuple(pair) for pair in services.django("reference_detections")}
    return {
        "listing_rows": state["listings"],
        "listings_scanned": state["scanned"],
        "detections_expected": len(reference),
        "detection_rows": rows,
        "detections_lost": len(reference - found),
        "detections_unexpected": len(found - reference),
        "detections_duplicated": rows - len(found),
        **requeued_by_sweeps(services),
        "server_restarts_by_supervisor": services.restarts(),
    }


def scan_state(postgres: Postgres) -> dict[str, int]:
    """Feeds finished, listings stored, listings scanned (nothing due), detection rows."""
    row = postgres.query(
        """
        SELECT
          (SELECT count(*) FROM listings_feedbatch WHERE status IN ('done', 'failed')),
          (SELECT count(*) FROM listings_listing),
          (SELECT count(*) FROM listings_listing
             WHERE scan_due_at IS NULL AND scanned_at IS NOT NULL),
          (SELECT count(*) FROM listings_detection)
        """
    )[0]
    return dict(zip(("feeds", "listings", "scanned", "detections"), row, strict=True))


def stored_detections(postgres: Postgres) -> tuple[set[tuple[str, str]], int]:
    """The (external id, registration number) pairs stored, and the number of rows."""
    rows = postgres.query(
        """
        SELECT l.external_id, r.registration_number
        FROM listings_detection d
        JOIN listings_listing l ON l.id = d.listing_id
        JOIN rightsholders_right r ON r.id = d.right_id
        """
    )
    return {(a, b) for a, b in rows}, len(rows)


def try_push(base_url: str, token: str, path: Path, *, timeout: float = 120) -> int | None:
    """POST a feed; return the batch id if acknowledged (202), None if refused or unreachable."""
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(base_url)
    try:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
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
            payload = response.read()
    except OSError:
        return None
    if response.status != 202:
        return None
    return int(json.loads(payload)["id"])


def requeued_by_sweeps(services: Services) -> dict[str, int]:
    """What the sweeps re-queued, from the workers' logs (their tasks return counts)."""
    import re

    totals = {"listings.resume_due_scans": 0, "listings.resume_stale_feeds": 0}
    pattern = re.compile(r"Task (listings\.resume_\w+)\[[^\]]+\] succeeded in [\d.e-]+s: (\d+)")
    for log in services.logs.glob("worker-*.log"):
        for name, count in pattern.findall(log.read_text(errors="replace")):
            if name in totals:
                totals[name] += int(count)
    return {
        "listings_requeued_by_due_scan_sweep": totals["listings.resume_due_scans"],
        "feeds_requeued_by_stale_feed_sweep": totals["listings.resume_stale_feeds"],
    }
