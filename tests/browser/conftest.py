"""Playwright driving Debian's Chromium against pytest-django's live server.

Without Chromium these tests skip, except where IVIGAPP_BROWSER_TESTS=required (CI), where
they fail: a browser test that silently did not run proves nothing.
"""

import os
import shutil
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import browser_required

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def chromium_path():
    path = shutil.which("chromium") or "/usr/bin/chromium"
    if not os.path.exists(path):
        message = "Debian's chromium is not installed (apt-get install -y chromium)"
        if browser_required():
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
    # between browser steps are still synchronous.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture(autouse=True)
def _close_pages_before_the_database_is_emptied(request):
    """Closes every browser context a test left open, before its database is flushed.

    An open app keeps syncing; a request the live server serves while pytest-django truncates the
    tables can deadlock with the TRUNCATE. This fixture is set up after the database fixtures
    (autouse fixtures of conftest files come after the plugin's), so it is torn down before them.
    """
    yield
    if "browser" not in request.fixturenames:
        return
    for context in list(request.getfixturevalue("browser").contexts):
        context.close()
    _wait_for_requests_in_flight()


def _wait_for_requests_in_flight(limit_seconds=20.0):
    """A request the live server was serving when its page closed still runs; wait for it (its
    database session goes idle) before the flush starts, up to a limit."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    busy = """SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
              AND pid <> pg_backend_pid() AND state IN ('active', 'idle in transaction')"""
    deadline = time.monotonic() + limit_seconds
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(busy)
            if cursor.fetchone()[0] == 0:
                return
            time.sleep(0.05)


@pytest.fixture(scope="session", autouse=True)
def _flush_survives_a_deadlock():
    """The flush after a transactional test TRUNCATEs every table. A request the live server is
    still finishing can take its locks in the other order; PostgreSQL then cancels the TRUNCATE as
    a deadlock. The request ends a moment later, so the flush is tried again (at most 5 times)."""
    from django.core.management.commands import flush
    from django.db import OperationalError

    original = flush.Command.handle

    def handle(self, **options):
        for attempt in range(5):
            try:
                return original(self, **options)
            except Exception as error:  # flush wraps the database error in a CommandError
                cause = error.__cause__ or error
                if attempt == 4 or not (isinstance(cause, OperationalError) and "deadlock" in str(cause)):
                    raise
                print(f"flush: deadlock with {_sessions_busy()}; trying again", file=sys.stderr)
                time.sleep(0.5)

    flush.Command.handle = handle
    yield
    flush.Command.handle = original


def _sessions_busy() -> list:
    from django.db import connection

    if connection.vendor != "postgresql":
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT state, left(query, 80) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        )
        return cursor.fetchall()


@pytest.fixture
def phone(browser, live_server):
    """A 360 px wide touch screen, collecting CSP violations and page errors."""
    context = browser.new_context(
        viewport={"width": 360, "height": 740},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        base_url=live_server.url,
    )
    page = context.new_page()
    page.problems = []
    page.on("console", lambda msg: page.problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda error: page.problems.append(str(error)))
    yield page
    context.close()


def screenshot(page, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
