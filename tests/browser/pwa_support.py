"""Shared steps for the patient app's browser tests: build the service worker when needed, sign
in on a 360 px phone, wait for sync, read the app's IndexedDB state."""

import os
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

import pytest
from django.conf import settings
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.conftest import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
PHONE = {"viewport": {"width": 360, "height": 740}, "device_scale_factor": 1, "is_mobile": True, "has_touch": True}
APP_SOURCES = [ROOT / "pwa" / "sw-src.js", ROOT / "tools" / "build-sw.mjs", ROOT / "templates" / "patientapp"]
APP_SOURCES += [ROOT / "static" / "js" / "app", ROOT / "static" / "css", ROOT / "static" / "js" / "triage.js"]


def _newest(paths) -> float:
    newest = 0.0
    for path in paths:
        files = path.rglob("*") if path.is_dir() else [path]
        newest = max([newest, *(f.stat().st_mtime for f in files if f.is_file())])
    return newest


@pytest.fixture(scope="session")
def service_worker_built():
    """The collected static files and the Workbox-built sw.js in this run's data folder."""
    sw = settings.DATA_DIR / "sw.js"
    if sw.exists() and sw.stat().st_mtime >= _newest(APP_SOURCES):
        return sw
    env = {**os.environ, "IVIGAPP_DATA_DIR": str(settings.DATA_DIR)}
    for command in (
        [sys.executable, "manage.py", "compilejsi18n", "-v", "0"],
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        ["node", "tools/build-sw.mjs"],
    ):
        subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True)
    return sw


def _problem(text: str) -> bool:
    # Failed requests are expected while offline or signed out; CSP violations and errors are not.
    return not text.startswith("Failed to load resource")


def watch(page):
    page.problems = []
    page.on(
        "console", lambda msg: page.problems.append(msg.text) if msg.type == "error" and _problem(msg.text) else None
    )
    page.on("pageerror", lambda error: page.problems.append(f"{error.name}: {error.message} {error.stack}"))
    return page


def sign_in_to_app(page, username="patient", controlled=True):
    """Signs in, waits for the first sync and (unless told not to) for the service worker to
    control the page; if it never does, the failure says how far its install got."""
    page.goto("/accounts/login/?next=/app/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: urlparse(url).path == "/app/")
    synced(page)
    if not controlled:
        return
    # The worker precaches the shell before it takes control: on a loaded 2-core box that took
    # more than 15 s once (the whole suite, with other browser tests beside it).
    try:
        page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=30000)
    except PlaywrightTimeoutError:
        where = page.evaluate(WORKER_STATE)
        pytest.fail(f"the service worker did not take control of the page in 30 s: {where}")


# How far the service worker got, for a failure message.
WORKER_STATE = """async () => {
    const registration = await navigator.serviceWorker.getRegistration("/app/");
    const worker = (w) => (w ? w.state : null);
    return {
        offlineState: window.ivigapp.offlineState(),
        registration: Boolean(registration),
        installing: worker(registration && registration.installing),
        waiting: worker(registration && registration.waiting),
        active: worker(registration && registration.active),
    };
}"""


@contextmanager
def signed_in_phone(browser, live_server):
    """A 360 px phone with the patient signed in to the app; the context is closed afterwards."""
    context = browser.new_context(base_url=live_server.url, **PHONE)
    try:
        page = watch(context.new_page())
        sign_in_to_app(page)
        yield page
    finally:
        context.close()


def synced(page, timeout=20000):
    """Waits for an idle app with an empty outbox after at least one sync."""
    page.wait_for_function(
        """() => {
            const s = window.ivigapp && window.ivigapp.status();
            return Boolean(s && s.phase === "idle" && s.lastSyncedAt && s.pending === 0);
        }""",
        timeout=timeout,
        polling=200,
    )


def wait_pending(page, count, timeout=10.0):
    """Waits until the outbox holds `count` entries (read from IndexedDB)."""
    deadline = time.monotonic() + timeout
    while pending(page) != count:
        assert time.monotonic() < deadline, f"the outbox holds {pending(page)} entries, not {count}"
        page.wait_for_timeout(100)


def pending(page) -> int:
    return page.evaluate("window.ivigapp.pendingCount()")


def screen(page, hash_, ready="h1"):
    page.evaluate("hash => { location.hash = hash; }", hash_)
    page.wait_for_function(
        "hash => document.getElementById('main').dataset.screen === hash",
        arg=hash_.strip("#/").split("/")[0].split("?")[0] or "home",
    )
    page.wait_for_selector(f"#main {ready}")


def answer_red_flags(page, yes=()):
    form = page.locator("#red-flags")
    for fieldset in form.locator("fieldset").all():
        name = fieldset.locator("input[type=radio]").first.get_attribute("name")
        # By value, not by label: the labels are in the patient's language.
        radio = fieldset.locator(f"input[type=radio][value={'yes' if name in yes else 'no'}]")
        fieldset.locator(f"label[for='{radio.get_attribute('id')}']").click()
        assert radio.is_checked()
    form.locator("button[type=submit]").click()


def storage_state(page) -> dict:
    """What the origin holds in the browser: IndexedDB names, caches and their URLs, localStorage."""
    return page.evaluate(
        """async () => {
            const caches_ = {};
            for (const name of await caches.keys()) {
                caches_[name] = (await (await caches.open(name)).keys()).map((r) => r.url);
            }
            const registrations = navigator.serviceWorker ? await navigator.serviceWorker.getRegistrations() : [];
            return {
                databases: (await indexedDB.databases()).map((d) => d.name),
                caches: caches_,
                local_storage: localStorage.length,
                registrations: registrations.length,
            };
        }"""
    )
