"""Fixtures shared by the whole suite, and the gate for tests that need real services.

Tests marked ``postgres``, ``redis``, ``celery_worker`` or ``browser`` skip with a
reason when the service is missing, so ``make test`` passes on a bare laptop.
With ``TAKEDOWN_REQUIRE_SERVICES=1`` (set by ``.ci/run``) a missing service is a
failure instead: CI cannot go green by skipping what it exists to run.
"""

import os
import shutil
from dataclasses import dataclass

import pytest
from django.conf import settings as django_settings

from listings.models import Platform
from rightsholders.models import Membership, Organisation, Right
from tests.listings.factories import ListingFactory, PlatformFactory, SellerFactory
from tests.rightsholders.factories import (
    AgentAuthorisationFactory,
    AuthorisedSellerFactory,
    MembershipFactory,
    OrganisationFactory,
    ProofDocumentFactory,
    RightFactory,
    RightImageFactory,
)
from tests.takedown.factories import PASSWORD, UserFactory

REQUIRE_SERVICES = os.environ.get("TAKEDOWN_REQUIRE_SERVICES") == "1"
CHROMIUM = os.environ.get("TAKEDOWN_CHROMIUM", "/usr/bin/chromium")


def service_missing(reason: str) -> None:
    """Skip the test for a missing service, or fail it when services are required (CI)."""
    if REQUIRE_SERVICES:
        pytest.fail(f"required service missing: {reason}", pytrace=False)
    pytest.skip(reason)


def pytest_runtest_setup(item: pytest.Item) -> None:
    engine = django_settings.DATABASES["default"]["ENGINE"]
    if item.get_closest_marker("postgres") and "postgresql" not in engine:
        service_missing("needs PostgreSQL: set DATABASE_URL=postgres://...")
    if item.get_closest_marker("redis") or item.get_closest_marker("celery_worker"):
        if not django_settings.CELERY_BROKER_URL.startswith("redis"):
            service_missing("needs Redis: set CELERY_BROKER_URL=redis://...")
    if item.get_closest_marker("browser") and not shutil.which(CHROMIUM):
        service_missing(f"needs Chromium at {CHROMIUM} (apt-get install -y chromium)")


def _worker_media_root(tmp_path_factory: pytest.TempPathFactory):
    """The uploads folder shared by the test process and the real worker of a session."""
    return tmp_path_factory.getbasetemp() / "worker-media"


@pytest.fixture(autouse=True)
def _isolated_files_and_cache(request, settings, tmp_path, tmp_path_factory):
    """Keep each test's uploads in its own folder and its cache in its own memory.

    Tests with a real worker share the worker's folder, as web and workers do in production.
    """
    if request.node.get_closest_marker("celery_worker"):
        settings.MEDIA_ROOT = _worker_media_root(tmp_path_factory)
    else:
        settings.MEDIA_ROOT = tmp_path / "media"
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    # Local-memory caches outlive a settings change: start each test with no
    # throttle history left by another.
    from django.core.cache import cache

    cache.clear()
    # Real hashing costs ~0.3 s a user; tests check who logs in, not hash strength.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Each test's database starts again at rights revision 0: an index built by
    # another test must not be taken for this one's.
    from listings.services.scanning import forget_matching_index

    forget_matching_index()


# Factories as fixtures -------------------------------------------------------


@pytest.fixture
def user_factory():
    return UserFactory


@pytest.fixture
def organisation_factory():
    return OrganisationFactory


@pytest.fixture
def membership_factory():
    return MembershipFactory


@pytest.fixture
def right_factory():
    return RightFactory


@pytest.fixture
def right_image_factory():
    return RightImageFactory


@pytest.fixture
def proof_document_factory():
    return ProofDocumentFactory


@pytest.fixture
def agent_authorisation_factory():
    return AgentAuthorisationFactory


@pytest.fixture
def authorised_seller_factory():
    return AuthorisedSellerFactory


@pytest.fixture
def platform_factory():
    return PlatformFactory


@pytest.fixture
def seller_factory():
    return SellerFactory


@pytest.fixture
def listing_factory():
    return ListingFactory


@pytest.fixture
def password() -> str:
    return PASSWORD


# Two of every kind of tenant ---------------------------------------------------


@dataclass
class Tenant:
    """One rights holder, agent or platform with its people and objects."""

    organisation: Organisation
    admin: object
    member: object
    moderator: object | None = None
    platform: Platform | None = None
    rights: list[Right] | None = None


@dataclass
class World:
    operator_moderator: object
    holder_a: Tenant
    holder_b: Tenant
    agent: Tenant  # authorised for holder_a only
    platform_a: Tenant
    platform_b: Tenant


def _tenant(kind: str, name: str, *, moderator: bool = False) -> Tenant:
    org = OrganisationFactory(kind=kind, name=name, slug=name.lower().replace(" ", "-"))
    admin = MembershipFactory(
        organisation=org, role=Membership.Role.ADMIN, user__username=f"{org.slug}-admin"
    ).user
    member = MembershipFactory(
        organisation=org, role=Membership.Role.MEMBER, user__username=f"{org.slug}-member"
    ).user
    tenant = Tenant(organisation=org, admin=admin, member=member)
    if moderator:
        tenant.moderator = MembershipFactory(
            organisation=org, role=Membership.Role.MODERATOR, user__username=f"{org.slug}-moderator"
        ).user
    return tenant


@pytest.fixture
def world(db) -> World:
    """Two rights holders, an agent for the first, two platforms, an operator moderator.

    Each rights holder has a verified word mark and a design with an image and a
    proof document; each platform has a seller and two listings.
    """
    operator = OrganisationFactory(
        kind=Organisation.Kind.OPERATOR, name="Operator", slug="operator"
    )
    operator_moderator = MembershipFactory(
        organisation=operator, role=Membership.Role.MODERATOR, user__username="operator-moderator"
    ).user

    holders = []
    for label in ("A", "B"):
        tenant = _tenant(Organisation.Kind.RIGHTS_HOLDER, f"Holder {label}")
        mark = RightFactory(rights_holder=tenant.organisation, name=f"BRAND{label}")
        design = RightFactory(
            rights_holder=tenant.organisation, design=True, name=f"Bag design {label}"
        )
        for right in (mark, design):
            ProofDocumentFactory(right=right)
        RightImageFactory(right=design)
        tenant.rights = [mark, design]
        holders.append(tenant)

    agent = _tenant(Organisation.Kind.AGENT, "Agent Firm")
    AgentAuthorisationFactory(agent=agent.organisation, rights_holder=holders[0].organisation)

    platforms = []
    for label in ("A", "B"):
        tenant = _tenant(Organisation.Kind.PLATFORM, f"Market {label}", moderator=True)
        tenant.platform = PlatformFactory(organisation=tenant.organisation)
        seller = SellerFactory(platform=tenant.platform)
        ListingFactory.create_batch(2, platform=tenant.platform, seller=seller)
        platforms.append(tenant)

    return World(
        operator_moderator=operator_moderator,
        holder_a=holders[0],
        holder_b=holders[1],
        agent=agent,
        platform_a=platforms[0],
        platform_b=platforms[1],
    )


# A real Celery worker ------------------------------------------------------------


def _database_url(settings_dict: dict) -> str:
    """The URL of the test database, for a subprocess that must share it."""
    from urllib.parse import quote

    user = quote(settings_dict.get("USER") or "")
    password = settings_dict.get("PASSWORD") or ""
    auth = f"{user}:{quote(password)}@" if password else (f"{user}@" if user else "")
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
    return f"postgres://{auth}{host}{port}/{quote(settings_dict['NAME'])}"


@pytest.fixture(scope="session")
def _celery_worker_session(django_db_setup, tmp_path_factory):
    """Start ``celery -A takedown worker`` on the test database and a queue of its own.

    The queue name is unique to this session so a worker of another run, or of
    `make run`, never takes these tasks. Tasks sent by the test process go to
    that queue because the app's default queue is switched for the session.
    Tests using it need ``django_db(transaction=True)``: the worker sees only
    committed rows.
    """
    import socket
    import subprocess
    import sys
    import time
    import uuid
    from pathlib import Path

    from django.db import connection

    from takedown.celery import app

    queue = f"takedown-test-{uuid.uuid4().hex[:12]}"
    hostname = f"{queue}@{socket.gethostname()}"
    var_dir = tmp_path_factory.mktemp("worker-var")
    log_path = var_dir / "worker.log"
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(connection.settings_dict),
        # No pooled connection outlives a task: the test database is dropped at the end.
        "DATABASE_CONN_MAX_AGE": "0",
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "TAKEDOWN_VAR_DIR": str(var_dir),
        "TAKEDOWN_MEDIA_ROOT": str(_worker_media_root(tmp_path_factory)),
        "DJANGO_SETTINGS_MODULE": "takedown.settings",
    }
    command = [
        sys.executable, "-m", "celery", "-A", "takedown", "worker",
        "--pool", "solo", "--queues", queue, "--hostname", hostname,
        "--without-gossip", "--without-mingle", "--loglevel", "INFO",
    ]  # fmt: skip
    old_queue = app.conf.task_default_queue
    app.conf.task_default_queue = queue
    with open(log_path, "wb") as log:
        worker = subprocess.Popen(
            command, cwd=Path(__file__).resolve().parent.parent, env=env, stdout=log, stderr=log
        )
    try:
        deadline = time.monotonic() + 60
        while not app.control.ping(destination=[hostname], timeout=1.0):
            if worker.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the Celery worker did not answer a ping:\n{log_path.read_text()}")
        yield queue, hostname
    finally:
        app.conf.task_default_queue = old_queue
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


def _wait_until_worker_idle(hostname: str, queue: str, timeout: float = 60.0) -> None:
    """Wait until the worker has nothing queued, reserved or running.

    Tasks chained by a test (a scan after an ingest, a webhook retry) may still
    run after its assertions; flushing the database under them deadlocks the
    flush or leaves rows for the next test.
    """
    import time

    from takedown.celery import app

    deadline = time.monotonic() + timeout
    inspect = app.control.inspect(destination=[hostname], timeout=1.0)
    while time.monotonic() < deadline:
        with app.connection_for_write() as conn:
            queued = conn.default_channel.client.llen(queue)
        busy = [
            task
            for reply in (
                inspect.active() or {},
                inspect.reserved() or {},
                inspect.scheduled() or {},
            )
            for tasks in reply.values()
            for task in tasks
        ]
        if not queued and not busy:
            return
        time.sleep(0.2)
    pytest.fail(f"the Celery worker was still busy {timeout:.0f} s after the test")


@pytest.fixture
def celery_worker_process(_celery_worker_session, transactional_db):
    """The session's worker; after the test, wait until it is idle, before the database is flushed.

    Requesting ``transactional_db`` orders this fixture's teardown before the flush.
    """
    queue, hostname = _celery_worker_session
    yield queue
    _wait_until_worker_idle(hostname, queue)


@pytest.fixture(autouse=True)
def _tasks_in_process(request):
    """Run tasks eagerly, as on a laptop, except where a test exercises a real broker or worker.

    With ``CELERY_BROKER_URL`` set (``make test-services``) a task would otherwise
    go to Redis and no one would run it, or a worker started by another test
    would run it later against the test database.
    """
    if request.node.get_closest_marker("celery_worker") or request.node.get_closest_marker("redis"):
        yield
        return
    from takedown.celery import app

    old = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = old
