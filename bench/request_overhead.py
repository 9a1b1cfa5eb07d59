#!/usr/bin/env python
"""What a signed-in moderator's request costs around the view: CPU by middleware, view, template.

Creates a scratch PostgreSQL database (``bench_request_overhead``, dropped and
created again unless ``--reuse``), migrates it and seeds a small backlog with
``bench/queue_page.py``'s ``seed``. The operator's moderator and a platform's
moderator log in through the login form; then each page is requested
``--requests`` times through Django's WSGI handler, as gunicorn calls it (a
WSGI environ, ``start_response``, the response iterated and closed, so the
request signals and ``close_old_connections`` run too), with the same cache as
``bench/load.py`` (Redis).

Pages: the health check (no session), the preferences page (the smallest
signed-in page: the stack, the header and a form), the queue's first page and
a case page whose seller has a contact e-mail (shown unmasked to the
moderator, so one ``PersonalDataAccess`` row is written a request).

Printed per page and user: the median CPU time of a request (``time.process_time``,
this process only: not PostgreSQL's, not the wall clock, which other work on
the machine moves), and how it splits: ``wsgi`` (building the request,
iterating and closing the response), each middleware's own share, the
context processors, the template (its rendering less the context
processors), the rest of the view (resolving, ``process_view``, the view
function with its queries), and the SQL queries a request runs. ``--profile``
adds cProfile's top functions for each page.

    .venv/bin/python bench/request_overhead.py --database bench_web_h1
    .venv/bin/python bench/request_overhead.py --database bench_web_h1 --reuse --profile
    .venv/bin/python bench/request_overhead.py --reuse --requests 50 --pages queue

Needs PostgreSQL at 127.0.0.1:5432 (user postgres, trust) and Redis at
127.0.0.1:6379. Not a test: it prints figures (docs/reliability.md, "Load").
"""

import argparse
import cProfile
import io
import os
import pstats
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.queue_page import django_on_scratch_database  # noqa: E402

PASSWORD = "request-overhead-password-2026"
USERS = (("operator moderator", "op-moderator"), ("platform moderator", "market-1-moderator"))
# The CPU clock of this process: what a gunicorn worker spends, without waiting for PostgreSQL.
clock = time.process_time


class Split:
    """CPU seconds by part of the stack, summed over the requests timed."""

    def __init__(self) -> None:
        self.inside: dict[str, float] = defaultdict(float)
        self.queries = 0
        self.on = False
        self.last_request: Any = None

    def timed(self, name: str, func: Callable[..., Any]) -> Callable[..., Any]:
        """``func`` timed into ``name``; a call inside another of the same name counts once."""
        depth = [0]

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not self.on or depth[0]:
                return func(*args, **kwargs)
            depth[0] += 1
            started = clock()
            try:
                return func(*args, **kwargs)
            finally:
                depth[0] -= 1
                self.inside[name] += clock() - started

        return wrapper

    def count_query(self, execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        if self.on:
            self.queries += 1
        return execute(sql, params, many, context)


def instrumented_application(split: Split) -> tuple[Callable[..., Any], list[str]]:
    """A WSGI handler whose every middleware's inner handler is timed, and its layer names."""
    from django.conf import settings
    from django.core.handlers.wsgi import WSGIHandler
    from django.template import engines

    layers = [path.rsplit(".", 1)[-1] for path in settings.MIDDLEWARE]

    class Handler(WSGIHandler):
        def adapt_method_mode(self, is_async, method, method_is_async=None, debug=False, name=None):  # type: ignore[no-untyped-def]
            method = super().adapt_method_mode(is_async, method, method_is_async, debug, name)
            if name and name.startswith("middleware "):
                # ``method`` is everything below this middleware.
                return split.timed("below " + name.rsplit(".", 1)[-1], method)
            return method

        def get_response(self, request):  # type: ignore[no-untyped-def]
            split.last_request = request
            return split.timed("get_response", super().get_response)(request)

    handler = Handler()
    engine = engines["django"].engine  # type: ignore[attr-defined]
    engine.__dict__["template_context_processors"] = tuple(
        split.timed("context processors", p) for p in engine.template_context_processors
    )
    from django.template.backends import django as django_backend

    django_backend.Template.render = split.timed(  # type: ignore[method-assign]
        "template", django_backend.Template.render
    )
    return handler, layers


class Browser:
    """Cookies kept between requests made straight into the WSGI application."""

    def __init__(self, application: Callable[..., Any]) -> None:
        self.application = application
        self.cookies: dict[str, str] = {}

    def request(
        self, method: str, url: str, form: dict[str, str] | None = None
    ) -> tuple[str, bytes]:
        parts = urlsplit(url)
        body = b""
        environ: dict[str, Any] = {
            "REQUEST_METHOD": method,
            "PATH_INFO": parts.path,
            "QUERY_STRING": parts.query,
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_HOST": "127.0.0.1:8000",
            "HTTP_USER_AGENT": "bench/request_overhead.py",
            "HTTP_ACCEPT": "text/html",
            "HTTP_ACCEPT_LANGUAGE": "en",
            "HTTP_COOKIE": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
            "wsgi.url_scheme": "http",
            "wsgi.multithread": False,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
            "wsgi.errors": sys.stderr,
        }
        if form is not None:
            form = {**form, "csrfmiddlewaretoken": self.cookies.get("csrftoken", "")}
            body = urlencode(form).encode()
            environ["CONTENT_TYPE"] = "application/x-www-form-urlencoded"
            environ["HTTP_ORIGIN"] = "http://127.0.0.1:8000"
        environ["CONTENT_LENGTH"] = str(len(body))
        environ["wsgi.input"] = io.BytesIO(body)
        status_headers: list[Any] = []

        def start_response(status: str, headers: list[tuple[str, str]], exc_info=None):  # type: ignore[no-untyped-def]
            status_headers[:] = [status, headers]

        result = self.application(environ, start_response)
        try:
            content = b"".join(result)
        finally:
            if hasattr(result, "close"):
                result.close()
        status, headers = status_headers
        for name, value in headers:
            if name.lower() == "set-cookie":
                for key, morsel in SimpleCookie(value).items():
                    self.cookies[key] = morsel.value
        return status, content

    def log_in(self, username: str) -> None:
        self.request("GET", "/accounts/login/")
        status, _ = self.request(
            "POST", "/accounts/login/", {"username": username, "password": PASSWORD}
        )
        assert status.startswith("302"), f"{username} could not log in: {status}"


def measure(
    browser: Browser, split: Split, url: str, requests: int, warmup: int
) -> tuple[list[float], dict[str, float], float]:
    """CPU ms of each request, CPU ms a request by part of the stack, queries a request."""
    from django.db import connection

    for _ in range(warmup):
        status, _ = browser.request("GET", url)
        assert status.startswith("200"), (url, status)
    split.inside.clear()
    split.queries = 0
    cpu = []
    with connection.execute_wrapper(split.count_query):
        split.on = True
        try:
            for _ in range(requests):
                started = clock()
                browser.request("GET", url)
                cpu.append((clock() - started) * 1000)
        finally:
            split.on = False
    total = sum(cpu) / requests
    per_request = {k: v * 1000 / requests for k, v in split.inside.items()}
    return cpu, {"request": total, **per_request}, split.queries / requests


def parts(per: dict[str, float], layers: list[str]) -> list[tuple[str, float]]:
    """Self CPU ms of wsgi, each middleware, context processors, template and the rest of the view."""
    out = [("wsgi", per["request"] - per.get("get_response", 0.0))]
    outer = per.get("get_response", 0.0)
    for layer in layers:
        below = per.get(f"below {layer}", 0.0)
        out.append((layer, outer - below))
        outer = below
    processors = per.get("context processors", 0.0)
    template = per.get("template", 0.0)
    out.append(("context processors", processors))
    out.append(("template rendering", template - processors))
    out.append(("view, resolving, process_view", outer - template))
    return out


def calls_a_request(browser: Browser, url: str, requests: int) -> float:
    """Python function calls a request makes: unlike CPU time, not moved by other work."""
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(requests):
        browser.request("GET", url)
    profiler.disable()
    return pstats.Stats(profiler).total_calls / requests  # type: ignore[attr-defined]


def base_template(split: Split, requests: int) -> tuple[float, float]:
    """CPU ms and function calls of rendering base.html alone for the last request's user."""
    from django.template.loader import render_to_string
    from django.utils import timezone, translation

    request = split.last_request
    with translation.override("en"), timezone.override(timezone.get_current_timezone()):
        render_to_string("base.html", request=request)
        started = clock()
        for _ in range(requests):
            render_to_string("base.html", request=request)
        cpu = (clock() - started) * 1000 / requests
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(requests):
            render_to_string("base.html", request=request)
        profiler.disable()
    return cpu, pstats.Stats(profiler).total_calls / requests  # type: ignore[attr-defined]


def profile(browser: Browser, url: str, requests: int, top: int) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(requests):
        browser.request("GET", url)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    return out.getvalue()


def prepare(args: argparse.Namespace) -> None:
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from bench.queue_page import seed

    if not args.reuse:
        seed(
            argparse.Namespace(
                open_cases=args.cases,
                other_cases=args.cases // 5,
                listings=args.cases + args.cases // 2,
                rights_holders=max(20, args.cases // 500),
            )
        )
    with transaction.atomic():
        for _who, username in USERS:
            user = get_user_model().objects.get(username=username)
            user.set_password(PASSWORD)
            user.save(update_fields=["password"])


def case_url() -> str:
    """A case of the biggest platform down the queue, its seller's contact shown to moderators."""
    from listings.models import Platform, Seller
    from takedown.models import Case
    from takedown.states import CaseStatus

    big = Platform.objects.order_by("pk").first()
    assert big is not None
    candidates = Case.objects.filter(
        status=CaseStatus.OPEN, platform=big, detection__isnull=False
    ).order_by("due_at", "pk")
    case = candidates.select_related("listing")[min(200, candidates.count() // 2)]
    Seller.objects.filter(pk=case.listing.seller_id).update(
        contact_name="Jane Doe", contact_email="jane.doe@example.com"
    )
    return f"/cases/{case.pk}/"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", type=int, default=5_000, help="open cases seeded")
    parser.add_argument("--requests", type=int, default=100, help="timed requests per page")
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--database", default="bench_request_overhead")
    parser.add_argument("--cache", default="redis://127.0.0.1:6379/3", help="CACHE_URL")
    parser.add_argument(
        "--reuse", action="store_true", help="keep the database of a previous run (migrate only)"
    )
    parser.add_argument(
        "--pages", default="healthz,preferences,queue,case", help="which pages, comma-separated"
    )
    parser.add_argument("--profile", action="store_true", help="print cProfile's top functions")
    parser.add_argument("--top", type=int, default=25, help="functions listed by --profile")
    args = parser.parse_args()

    env = {
        **os.environ,
        "CACHE_URL": args.cache,
        "TAKEDOWN_PROFILE": "local",
        "TAKEDOWN_REQUIRE_2FA_FOR_MODERATORS": "0",
        "TAKEDOWN_VAR_DIR": str(ROOT / "var" / "bench-request-overhead"),
        "DJANGO_LOG_LEVEL": "WARNING",
    }
    for name in ("DJANGO_DEBUG", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE"):
        env.pop(name, None)
    django_on_scratch_database(args.postgres, args.database, reuse=args.reuse, env=env)
    from django.core.cache import cache

    prepare(args)
    cache.clear()  # the login lockout's and the rate limits' keys of an earlier run
    urls = {
        "healthz": "/healthz",
        "preferences": "/accounts/preferences/",
        "queue": "/cases/",
        "case": case_url(),
    }
    wanted = [p for p in args.pages.split(",") if p]
    split = Split()
    application, layers = instrumented_application(split)
    print(
        f"{args.requests} requests a page after {args.warmup} warm-up, straight into the WSGI "
        f"handler; load average {os.getloadavg()[0]:.1f}"
    )
    rows: list[tuple[str, str, dict[str, float], float, list[float], float]] = []
    bases: list[tuple[str, float, float]] = []
    for who, username in USERS:
        browser = Browser(application)
        browser.log_in(username)
        for page in wanted:
            cpu, per, queries = measure(browser, split, urls[page], args.requests, args.warmup)
            calls = calls_a_request(browser, urls[page], max(5, args.requests // 5))
            rows.append((who, page, per, queries, cpu, calls))
            if args.profile:
                print(f"\ncProfile, {page} as {who}:")
                print(profile(browser, urls[page], args.requests, args.top))
        browser.request("GET", "/accounts/preferences/")
        bases.append((who, *base_template(split, args.requests)))
    print(f"\n{'who':<20} {'page':<12} {'CPU ms':>7} {'p95':>6} {'queries':>7} {'calls':>7}")
    for who, page, _per, queries, cpu, calls in rows:
        ordered = sorted(cpu)
        p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
        print(
            f"{who:<20} {page:<12} {statistics.median(cpu):>7.2f} {p95:>6.1f} {queries:>7.1f} "
            f"{calls:>7.0f}"
        )
    for who, cpu_ms, calls in bases:
        print(f"{who:<20} {'base.html':<12} {cpu_ms:>7.2f} {'':>6} {'':>7} {calls:>7.0f}")
    print("\nCPU ms a request (mean) by part of the stack:")
    names = [name for name, _ in parts(rows[0][2], layers)]
    print(f"{'part':<30}" + "".join(f" {r[1][:5] + '/' + r[0][:2]:>8}" for r in rows))
    columns = [dict(parts(r[2], layers)) for r in rows]
    for name in names:
        print(f"{name:<30}" + "".join(f" {col[name]:>8.2f}" for col in columns))
    print(f"{'total':<30}" + "".join(f" {r[2]['request']:>8.2f}" for r in rows))


if __name__ == "__main__":
    main()
