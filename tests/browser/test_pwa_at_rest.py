"""Health data at rest on the phone (RELIABILITY.md T19): while a patient is signed in and synced,
the Chromium profile's IndexedDB files and Cache Storage hold none of the canary strings planted
in the patient's entries, although the server holds them all and a clear string written to the
same IndexedDB files is found by the same search. Entries an older, unsealed version of the app
left on the phone are sealed on the first start and still sent."""

import shutil
import tempfile
from pathlib import Path
from urllib.parse import urlparse

import pytest

from ivigapp.reactions.models import MedicationDose, SymptomReport
from tests.browser.conftest import CHROMIUM_ARGS
from tests.browser.pwa_support import PHONE, screen, service_worker_built, sign_in_to_app, synced, watch
from tests.browser.test_pwa_logout import NO_FLAGS, PLANT, profile_hits
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
__all__ = ["service_worker_built"]

CANARIES = [f"CANARY-REST-5be1-{n:02d}" for n in range(20)]
CONTROL = "CONTROL-CLEAR-5be1"

# Every record of the app's database as stored, read with the bare IndexedDB API (no Dexie, no
# middleware): per store, how many records, how many sealed, and the names of their clear fields.
RAW = """async () => {
    const db = await new Promise((resolve, reject) => {
        const request = indexedDB.open("ivigapp");
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
    });
    const stores = {};
    for (const name of db.objectStoreNames) {
        const records = await new Promise((resolve) => {
            const request = db.transaction(name).objectStore(name).getAll();
            request.onsuccess = () => resolve(request.result);
        });
        const fields = new Set(records.flatMap((record) => Object.keys(record)));
        stores[name] = {
            count: records.length,
            sealed: records.filter((record) => "_sealed" in record).length,
            fields: [...fields].sort(),
            text: JSON.stringify(records),
        };
    }
    db.close();
    return stores;
}"""

# The control: a clear string in another database of the same origin, which Chromium keeps in the
# same LevelDB files.
CLEAR_WRITE = """async (text) => {
    const db = await new Promise((resolve, reject) => {
        const request = indexedDB.open("t19-control", 1);
        request.onupgradeneeded = () => request.result.createObjectStore("notes");
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
    });
    await new Promise((resolve, reject) => {
        const transaction = db.transaction("notes", "readwrite");
        transaction.objectStore("notes").put({text}, 1);
        transaction.oncomplete = resolve;
        transaction.onerror = () => reject(transaction.error);
    });
    db.close();
}"""

# What the app before sealing left on a phone: Dexie's same schema, records in clear, an unsent
# report in the outbox (mutation 1 of a device id the server has not seen yet).
LEGACY = """async ({text, flags}) => {
    const {default: Dexie} = await import("/static/vendor/dexie/modern/dexie.min.mjs");
    const old = new Dexie("ivigapp");
    old.version(2).stores({
        rows: "[table+id], table, episode_id", outbox: "id, row_id", meta: "key",
        rejected: "id, row_id", content: "sha256, key",
    });
    const id = crypto.randomUUID();
    const set = {episode_id: null, followup_id: null, onset_at: new Date().toISOString(), red_flag_answers: flags,
                 symptoms: {}, temperature_c: null, actions_taken: [], free_text: text};
    await old.rows.put({table: "symptom_report", id, version: 0, predicted: 1, row: set, conflicts: [], local: true,
                        episode_id: null});
    await old.outbox.add({id: 1, kind: "upsert", table: "symptom_report", row_id: id, base_version: null, set, base: {},
                          recorded_at: new Date().toISOString(), mutation_format: 2});
    await old.meta.bulkPut([{key: "next_mutation_id", value: 2}, {key: "client_id", value: crypto.randomUUID()}]);
    old.close();
}"""


# Sealing waits for WebCrypto inside transactions: a transaction must still be one. Reads and writes
# after those waits stay in it, and an error rolls all of them back.
ROLLBACK = """async () => {
    const {db} = await import("/static/js/app/store.js");
    const {default: Dexie} = await import("/static/vendor/dexie/modern/dexie.min.mjs");
    const stayed = [];
    const failed = await db.transaction("rw", db.rows, db.meta, async (transaction) => {
        await db.meta.get("client_id");
        stayed.push(Dexie.currentTransaction === transaction);
        await db.rows.put({table: "vitals", id: "rollback-probe", version: 0, row: {note: "x"}, episode_id: null});
        await db.meta.put({key: "rollback-probe", value: 1});
        stayed.push(Dexie.currentTransaction === transaction);
        throw new Error("roll back");
    }).catch((error) => error.message);
    // Outside a transaction, each call gets its own: none may run in the one before it.
    await db.meta.get("client_id");
    const counted = await db.outbox.count();
    await db.rows.get(["vitals", "rollback-probe"]);
    await db.rejected.toArray();
    return {failed, stayed, counted, row: await db.rows.get(["vitals", "rollback-probe"]) ?? null,
            meta: await db.meta.get("rollback-probe") ?? null};
}"""


def stored_in_clear(stores, canaries) -> list[str]:
    return [c for c in canaries if any(c in store["text"] for store in stores.values())]


@pytest.fixture
def profile_dir():
    folder = Path(tempfile.mkdtemp(prefix="ivig-profile-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def persistent_phone(browser, chromium_path, live_server, profile_dir):
    context = browser.browser_type.launch_persistent_context(
        str(profile_dir), executable_path=chromium_path, args=CHROMIUM_ARGS, base_url=live_server.url, **PHONE
    )
    return context, watch(context.pages[0] if context.pages else context.new_page())


def test_a_signed_in_phone_keeps_no_canary_in_indexeddb_or_cache_storage(
    browser, chromium_path, live_server, plan, profile_dir, service_worker_built
):
    context, page = persistent_phone(browser, chromium_path, live_server, profile_dir)
    sign_in_to_app(page)
    screen(page, "#/infusion")
    page.click("#start-infusion")
    page.wait_for_selector("#next-step")
    page.locator("summary", has_text="Log an as-needed medicine").click()
    page.fill("input[name=drug]", CANARIES[0])
    page.fill("input[name=dose]", "1 g")
    page.get_by_role("button", name="Log as-needed medicine").click()
    page.evaluate(PLANT, {"canaries": CANARIES[1:], "flags": NO_FLAGS})
    page.evaluate("() => window.ivigapp.syncNow()")
    synced(page)
    screen(page, "#/diary")
    page.wait_for_selector(f"text={CANARIES[5]}")  # the app reads its sealed records
    # The server holds every canary, in clear: what the phone must not.
    assert MedicationDose.objects.filter(drug=CANARIES[0]).count() == 1
    assert SymptomReport.objects.filter(free_text__startswith="CANARY-REST-").count() == 19

    stores = page.evaluate(RAW)
    assert stores["rows"]["count"] >= 20 and stores["rows"]["sealed"] == stores["rows"]["count"]
    assert stores["rows"]["fields"] == ["_sealed", "episode_id", "id", "table"]
    assert stores["meta"]["sealed"] == stores["meta"]["count"] - 1  # all but the key itself
    assert stored_in_clear(stores, CANARIES) == []
    assert page.evaluate(ROLLBACK) == {
        "failed": "roll back",
        "stayed": [True, True],
        "counted": 0,
        "row": None,
        "meta": None,
    }
    page.evaluate(CLEAR_WRITE, CONTROL)
    assert page.problems == []
    context.close()  # everything written so far is on disk; the session stays signed in

    origin = urlparse(live_server.url)
    indexeddb = profile_dir / "Default" / "IndexedDB" / f"http_{origin.hostname}_{origin.port}.indexeddb.leveldb"
    cache_storage = profile_dir / "Default" / "Service Worker"
    assert indexeddb.is_dir() and cache_storage.is_dir()
    assert profile_hits(indexeddb, [CONTROL]) != {}  # the search sees clear text in these files
    assert profile_hits(indexeddb, CANARIES) == {}
    assert profile_hits(cache_storage, CANARIES) == {}
    # The rest of the profile (session restore, HTTP cache, ...) is reported, not asserted.
    print(f"T19 canaries in IndexedDB and Cache Storage: 0 of {len(CANARIES)}")
    print(f"T19 canaries anywhere in the profile while signed in: {len(profile_hits(profile_dir, CANARIES))}")


def test_entries_of_an_unsealed_older_version_are_sealed_and_still_sent(
    browser, chromium_path, live_server, patient, profile_dir, service_worker_built
):
    context, page = persistent_phone(browser, chromium_path, live_server, profile_dir)
    # Signed in without opening the app, then the older version's database is put in place.
    page.goto("/accounts/login/?next=/patients/me/")
    page.fill("#id_username", "patient")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/patients/me/")
    page.evaluate(LEGACY, {"text": CANARIES[0], "flags": NO_FLAGS})
    before = page.evaluate(RAW)
    assert before["outbox"]["sealed"] == 0 and stored_in_clear(before, CANARIES) == [CANARIES[0]]

    page.goto("/app/")
    synced(page)
    assert SymptomReport.objects.filter(free_text=CANARIES[0]).count() == 1
    after = page.evaluate(RAW)
    assert after["rows"]["count"] >= 1 and after["rows"]["sealed"] == after["rows"]["count"]
    assert after["meta"]["sealed"] == after["meta"]["count"] - 1
    assert stored_in_clear(after, CANARIES) == []
    screen(page, "#/diary")
    page.wait_for_selector(f"text={CANARIES[0]}")
    assert page.problems == []
    context.close()
