"""Take the README's screenshots of the main pages from the demo data.

    .venv/bin/python docs/screenshots.py [--out docs/screenshots] [--port 8765]

Builds a throwaway SQLite database and media folder in a temporary directory
(``TAKEDOWN_VAR_DIR``, so ``var/`` is never touched), loads the demo data,
starts ``runserver`` on loopback with tasks run eagerly in-process (no broker),
and walks the pages in Debian's Chromium through Playwright as each demo user
would. What the demo data lacks for a page to say something, the walk makes
through the pages themselves, as a user would: Aurelia files a complaint from
its detection inbox, DemoMart's engineer pushes a small feed with a token made
in the console, DemoMart's moderator claims and decides a case. Ids are never
hard-coded: each detail page is reached by following the first link of its list.
The server is stopped and the directory removed whatever happens.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
CHROMIUM = "/usr/bin/chromium"
# The load_demo command's published password (DEMO_PASSWORD); not imported, so
# this script needs no Django settings of its own.
DEMO_PASSWORD = "takedown-demo-2025"
VIEWPORT = {"width": 1280, "height": 900}
# A full page heavier than this is cut to its top CLIP_HEIGHT pixels, so the
# repository does not carry megabyte pictures of long tables.
MAX_BYTES = 600_000
CLIP_HEIGHT = 2000
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args(argv)
    out: Path = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    var_dir = Path(tempfile.mkdtemp(prefix="takedown-screenshots-"))
    try:
        env = _environment(var_dir)
        _manage(env, "migrate", "--noinput")
        _manage(env, "load_demo")
        with _server(env, args.port, var_dir / "runserver.log") as base:
            taken = Tour(base, out).run()
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)
    print(f"{len(taken)} screenshots in {out} ({time.monotonic() - started:.0f} s)")
    return 0


def _environment(var_dir: Path) -> dict[str, str]:
    """Return the environment of `make run` without a broker, pointed at var_dir."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"CELERY_BROKER_URL", "CACHE_URL", "DATABASE_URL", "TAKEDOWN_MEDIA_ROOT"}
    }
    env.update(TAKEDOWN_VAR_DIR=str(var_dir), DJANGO_DEBUG="1", PYTHONUNBUFFERED="1")
    return env


def _manage(env: dict[str, str], *command: str) -> None:
    print("manage.py", " ".join(command))
    subprocess.run(
        [PYTHON, "manage.py", *command],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


@contextmanager
def _server(env: dict[str, str], port: int, log: Path) -> Iterator[str]:
    """Run the development server until the block ends; yield its base URL."""
    base = f"http://127.0.0.1:{port}"
    with log.open("wb") as output:
        server = subprocess.Popen(
            [PYTHON, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_healthy(base, server, log)
        yield base
    except BaseException:
        print(log.read_text(errors="replace")[-4000:], file=sys.stderr)
        raise
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _wait_healthy(base: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"runserver exited with {server.returncode}; see {log}")
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{base}/healthz did not answer within 60 s")


class Tour:
    """Walk the main pages as the demo users and save each one."""

    def __init__(self, base: str, out: Path) -> None:
        self.base = base
        self.out = out
        self.taken: list[str] = []

    def run(self) -> list[str]:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
            )
            try:
                context = browser.new_context(viewport=VIEWPORT, device_scale_factor=1)
                self.page = context.new_page()
                self.anonymous_before()
                self.rights_holder()
                self.platform_engineer()
                self.platform_moderator()
                self.operator_moderator()
                self.anonymous_after()
                self.in_chinese()
            finally:
                browser.close()
        return self.taken

    # Steps, in the order a case goes through the workbench -------------------

    def anonymous_before(self) -> None:
        self.goto("/accounts/login/")
        self.shoot("login", allow_login=True)

    def rights_holder(self) -> None:
        page = self.page
        self.log_in("aurelia")
        self.goto("/detections/")
        self.shoot("detection-inbox")
        self.follow("table.detection-table tbody tr a.fw-semibold")
        self.shoot("detection-detail")

        # A complaint on the first three detections: the complaint and case pages need one.
        self.goto("/detections/")
        boxes = page.locator('table.detection-table tbody input[name="detection"]')
        for index in range(min(3, boxes.count())):
            boxes.nth(index).check()
        with page.expect_navigation():
            page.click('button[name="action"][value="complaint"]')
        page.get_by_label("Explanation").fill(
            "Counterfeit AURELIA goods: the listings use our registered word mark "
            "on handbags sold far below the reference price."
        )
        page.get_by_label("Your name").fill("Giulia Romano")
        page.get_by_label("Your email").fill("aurelia@aurelia-fashion.example")
        page.get_by_label("I believe in good faith").check()
        page.get_by_label("The information in this notice is accurate").check()
        page.get_by_label("Signature").fill("Giulia Romano")
        self.shoot("complaint-form")
        with page.expect_navigation():
            page.get_by_role("button", name="Sign and file the complaint").click()

        self.goto("/complaints/")
        self.shoot("complaint-list")
        self.follow("table a.fw-semibold")
        self.shoot("complaint-detail")

        self.goto("/rights/")
        self.shoot("rights-list")
        self.follow("table a.fw-semibold")
        self.shoot("right-detail")
        self.goto("/exports/")
        self.shoot("data-export")
        self.goto("/accounts/preferences/")
        self.shoot("preferences")

    def platform_engineer(self) -> None:
        """Push a small feed with a token made in the console: the feed page needs one."""
        page = self.page
        self.log_in("demomart-engineer")
        self.goto("/listings/console/")
        page.locator('form.token-create input[name="name"]').first.fill("screenshots feed")
        with page.expect_navigation():
            page.locator("form.token-create button[type=submit]").first.click()
        secret = page.locator(".new-token input[readonly]").first.input_value()
        lines = [
            _feed_line("SHOT-1", "AURELIA handbag, leather look, new season", "bargain-bags"),
            _feed_line("SHOT-2", "Plain canvas tote bag", "bargain-bags"),
            _feed_line("SHOT-3", "Waterproof hiking jacket", "trail-outlet"),
        ]
        request = urllib.request.Request(
            f"{self.base}/api/v1/feeds",
            data="".join(json.dumps(line) + "\n" for line in lines).encode(),
            headers={
                "Authorization": f"Bearer {secret}",
                "Content-Type": "application/x-ndjson",
            },
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=120) as answer:
            if answer.status != 202:
                raise RuntimeError(f"the feed was answered {answer.status}")
        self.goto("/listings/console/")
        self.shoot("platform-console")
        self.follow("table.feeds a")
        self.shoot("feed-detail")

    def platform_moderator(self) -> None:
        page = self.page
        self.log_in("demomart-moderator")
        self.goto("/cases/")
        self.shoot("case-queue")
        with page.expect_navigation():
            page.get_by_role("button", name="Claim next case").click()
        # The template fills the explanation and picks "Remove the listing" (a demo template).
        page.locator("#id_reason_template").select_option(
            label="Counterfeit: copied mark, price far below"
        )
        self.shoot("case-detail")
        # Decided, so the transparency pages and the archive have a statement to show.
        decide = page.locator("#decide-form")
        decide.locator("#action-remove").check()
        with page.expect_navigation():
            decide.locator("button[type=submit]:not([name])").click()
        self.shoot("case-decided")
        self.goto("/cases/appeals/")
        self.shoot("appeals-queue")

    def operator_moderator(self) -> None:
        self.log_in("moderator")
        self.goto("/dashboard/")
        self.shoot("dashboard")
        self.goto("/rights/verification/")
        self.shoot("verification-queue")
        self.goto("/transparency/report/")
        self.shoot("transparency-report")

    def anonymous_after(self) -> None:
        self.page.context.clear_cookies()
        self.goto("/transparency/")
        self.shoot("transparency-public")
        self.goto("/archive/")
        self.shoot("archive")

    def in_chinese(self) -> None:
        page = self.page
        self.log_in("aurelia")
        with page.expect_navigation():
            page.locator('button[name="language"][value="zh-hans"]').first.click()
        self.goto("/detections/")
        self.shoot("detection-inbox-zh-hans")

    # Helpers ------------------------------------------------------------------

    def log_in(self, username: str) -> None:
        page = self.page
        page.context.clear_cookies()
        self.goto("/accounts/login/")
        page.fill('input[name="username"]', username)
        page.fill('input[name="password"]', DEMO_PASSWORD)
        with page.expect_navigation():
            page.click('form:has(input[name="password"]) button[type="submit"]')
        if "/accounts/" in page.url:
            raise RuntimeError(f"{username} could not log in (at {page.url})")

    def goto(self, path: str) -> None:
        answer = self.page.goto(self.base + path)
        if answer is None or answer.status >= 400:
            raise RuntimeError(f"{path} answered {answer.status if answer else 'nothing'}")

    def follow(self, selector: str) -> None:
        """Open the first link matching selector, as a reader would."""
        with self.page.expect_navigation():
            self.page.locator(selector).first.click()

    def shoot(self, name: str, *, allow_login: bool = False) -> None:
        page = self.page
        # htmx panels (evidence package, webhooks, feed progress) load after the page.
        page.wait_for_load_state("networkidle")
        if "/accounts/login/" in page.url and not allow_login:
            raise RuntimeError(f"{name}: landed on the login page")
        path = self.out / f"{name}.png"
        shot = page.screenshot(full_page=True)
        if len(shot) > MAX_BYTES:
            height = min(CLIP_HEIGHT, page.evaluate("document.documentElement.scrollHeight"))
            shot = page.screenshot(
                full_page=True,
                clip={"x": 0, "y": 0, "width": VIEWPORT["width"], "height": height},
            )
        path.write_bytes(shot)
        self.taken.append(name)
        print(f"  {path.name:<32} {len(shot) // 1024:>5} KB  {page.url}")


def _feed_line(external_id: str, title: str, seller: str) -> dict:
    return {
        "external_id": external_id,
        "title": title,
        "price": "29.00",
        "currency": "EUR",
        "seller_id": seller,
        "seller_name": seller.replace("-", " ").title(),
        "ship_to": ["DE", "FR", "NL"],
        "images": [],
    }


if __name__ == "__main__":
    sys.exit(main())
