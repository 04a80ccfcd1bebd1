"""A service-worker update while the outbox is not empty loses nothing (issue 6, DESIGN.md 9).

The server refuses pushes for a while (429), so entries wait in the outbox while online; a new
sw.js is deployed (another cache name, as any new build has other revisions); the app offers the
update, the patient takes it, the page reloads under the new worker, and once the server accepts
pushes again every waiting entry arrives exactly once."""

import time
import uuid

import pytest
from django.conf import settings
from django.utils import timezone
from rest_framework.exceptions import Throttled

from ivigapp.reactions.models import InfusionEpisode, MedicationDose
from ivigapp.sync import api as sync_api
from ivigapp.sync.models import MutationLog
from tests.browser.conftest import screenshot
from tests.browser.pwa_support import (
    PHONE,
    pending,
    screen,
    service_worker_built,
    sign_in_to_app,
    synced,
    wait_pending,
    watch,
)
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
__all__ = ["service_worker_built"]


@pytest.fixture
def new_build(service_worker_built):
    """Deploys a changed sw.js for the test and puts the real one back afterwards."""
    original = service_worker_built.read_bytes()
    yield lambda: service_worker_built.write_bytes(
        original.replace(b'"ivigapp-precache-v1"', b'"ivigapp-precache-v1-next"') + b"\n// next build\n"
    )
    service_worker_built.write_bytes(original)


def test_a_service_worker_update_with_a_full_outbox_loses_nothing(browser, live_server, plan, new_build, monkeypatch):
    context = browser.new_context(base_url=live_server.url, **PHONE)
    page = watch(context.new_page())
    sign_in_to_app(page)
    assert settings.DATA_DIR.joinpath("sw.js").exists()

    def busy(**kwargs):
        raise Throttled(wait=60)

    monkeypatch.setattr(sync_api, "push_apply", busy)
    screen(page, "#/infusion")
    page.click("#start-infusion")
    page.wait_for_selector("#next-step")
    page.locator("summary", has_text="Log an as-needed medicine").click()
    page.fill("input[name=drug]", "paracetamol")
    page.fill("input[name=dose]", "1 g")
    page.get_by_role("button", name="Log as-needed medicine").click()
    wait_pending(page, 4)
    page.evaluate("() => window.ivigapp.syncNow()")
    assert pending(page) == 4

    new_build()
    page.evaluate("() => navigator.serviceWorker.getRegistration('/app/').then((r) => r.update())")
    page.wait_for_selector("#update-now", timeout=15000)
    screenshot(page, "pwa-update-offered")
    with page.expect_navigation():
        page.click("#update-now")
    page.wait_for_selector("#main h1")
    caches = page.evaluate("() => caches.keys()")
    assert caches == ["ivigapp-precache-v1-next"]
    assert pending(page) == 4

    monkeypatch.undo()
    page.evaluate("() => window.ivigapp.syncNow()")
    synced(page)
    assert MutationLog.objects.filter(result="applied").count() == 4
    assert MedicationDose.objects.filter(drug="paracetamol").count() == 1
    assert page.problems == []
    context.close()


def test_the_app_opens_at_once_while_an_update_is_still_downloading(browser, live_server, plan, new_build):
    """The browser queues the page's register() behind an update still installing; the first
    screen must not wait for it (a slow phone network can take minutes)."""
    context = browser.new_context(base_url=live_server.url, **PHONE)
    page = watch(context.new_page())
    sign_in_to_app(page)
    held = []

    def hold_the_new_workers_download(route):
        if route.request.service_worker is not None:
            held.append(route)
        else:
            route.continue_()

    new_build()
    context.route("**/static/css/app.css*", hold_the_new_workers_download)
    page.evaluate("() => navigator.serviceWorker.getRegistration('/app/').then((r) => r.update())")
    page.wait_for_function("() => navigator.serviceWorker.getRegistration('/app/').then((r) => Boolean(r.installing))")
    deadline = time.monotonic() + 15
    while not held:
        assert time.monotonic() < deadline, "the new worker never asked for the stylesheet"
        page.wait_for_timeout(100)

    page.reload()
    page.wait_for_selector("#main h1", timeout=20000)  # while the download is still held
    assert page.evaluate("() => document.getElementById('main').dataset.screen") == "home"
    assert len(held) == 1

    held.pop().continue_()
    page.wait_for_selector("#update-now", timeout=15000)  # the update is still offered
    assert page.problems == []
    context.close()


V1_DATABASE = """async (mutation) => {
    // The app's IndexedDB as version 1 of store.js left it (Dexie version n is IndexedDB 10 n),
    // with one entry still in the outbox.
    await new Promise((resolve, reject) => {
        const request = indexedDB.open("ivigapp", 10);
        request.onupgradeneeded = () => {
            const db = request.result;
            db.createObjectStore("rows", {keyPath: ["table", "id"]}).createIndex("table", "table");
            db.createObjectStore("outbox", {keyPath: "id"}).createIndex("row_id", "row_id");
            db.createObjectStore("meta", {keyPath: "key"});
            db.createObjectStore("rejected", {keyPath: "id"}).createIndex("row_id", "row_id");
            db.createObjectStore("content", {keyPath: "sha256"}).createIndex("key", "key");
        };
        request.onsuccess = () => {
            const db = request.result;
            const tx = db.transaction(["outbox", "meta"], "readwrite");
            tx.objectStore("outbox").put(mutation);
            tx.objectStore("meta").put({key: "next_mutation_id", value: 2});
            tx.oncomplete = () => { db.close(); resolve(); };
            tx.onerror = () => reject(tx.error);
        };
        request.onerror = () => reject(request.error);
    });
}"""


def test_a_database_upgrade_keeps_the_outbox_and_sends_it(browser, live_server, plan, service_worker_built):
    context = browser.new_context(base_url=live_server.url, **PHONE)
    page = watch(context.new_page())
    page.goto("/accounts/login/?next=/patients/me/")
    page.fill("#id_username", "patient")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/patients/me/")
    row_id = str(uuid.uuid4())
    mutation = {
        "id": 1,
        "kind": "upsert",
        "table": "infusion_episode",
        "row_id": row_id,
        "base_version": None,
        "set": {"plan_id": plan.pk, "scheduled_start": timezone.now().isoformat(), "course_day": 1},
        "base": {},
        "recorded_at": timezone.now().isoformat(),
        "mutation_format": 2,
    }
    page.evaluate(V1_DATABASE, mutation)

    page.goto("/app/")
    synced(page)
    assert page.evaluate("() => indexedDB.databases()") == [{"name": "ivigapp", "version": 20}]
    assert InfusionEpisode.objects.filter(pk=row_id, patient=plan.patient).count() == 1
    assert page.problems == []
    context.close()
