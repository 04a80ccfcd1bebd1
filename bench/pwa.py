"""PWA budget (SYNC.md 3.6, B4), measured, never asserted in the test suite.

1. JavaScript on first load: every module /app/ loads (main.js and its static imports, Dexie,
   the triage evaluator) plus one translation catalogue, gzip -9, against the 100 KiB budget.
2. With --url: time from "back online" to an empty outbox for 50 entries queued offline, median
   of --runs, in Debian's Chromium through Playwright, signed in as a demo patient
   (`make run` or any server with `seed_demo`; every run writes 50 medicine entries).

    .venv/bin/python bench/pwa.py
    .venv/bin/python bench/pwa.py --url http://127.0.0.1:8000 --user patient1 --runs 5

Lighthouse is not run here (it is not in package.json).
"""

import argparse
import gzip
import os
import re
import statistics
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STATIC = ROOT / "static"
IMPORT = re.compile(r"""^\s*import\s+(?:[^'"]*?\sfrom\s+)?["']([^"']+)["']""", re.MULTILINE)
BUDGET_KIB = 100


def first_load_modules() -> list[Path]:
    """main.js and every module it imports, statically and transitively."""
    seen, todo = [], [STATIC / "js" / "app" / "main.js"]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.append(path)
        for target in IMPORT.findall(path.read_text()):
            if target.startswith("../../vendor/dexie/"):
                todo.append(ROOT / "node_modules" / "dexie" / "dist" / target.removeprefix("../../vendor/dexie/"))
            elif target.startswith("."):
                todo.append((path.parent / target).resolve())
    return seen


def js_budget() -> None:
    files = first_load_modules()
    catalog = ROOT / "static-generated" / "jsi18n" / "ar" / "djangojs.js"
    if catalog.exists():
        files.append(catalog)
    raw = sum(f.stat().st_size for f in files)
    compressed = sum(len(gzip.compress(f.read_bytes(), 9)) for f in files)
    print(f"first-load JS: {len(files)} files, {raw / 1024:.1f} KiB raw, {compressed / 1024:.1f} KiB gzip")
    print(f"budget {BUDGET_KIB} KiB gzip: {'within' if compressed <= BUDGET_KIB * 1024 else 'OVER'}")


QUEUE = """async (count) => {
    const store = await import("/static/js/app/store.js");
    const rows = await store.rowsOf("infusion_episode");
    const open = rows.find((row) => row.status === "in_progress");
    if (!open) throw new Error("start an infusion in the app first");
    for (let i = 0; i < count; i++) {
        await store.write("medication", null, {episode_id: open.id, category: "as_needed", drug: "bench",
                                               dose: "1", given_at: new Date().toISOString()});
    }
    return store.pendingCount();
}"""


def back_online(url: str, username: str, password: str, runs: int, entries: int) -> None:
    from playwright.sync_api import sync_playwright

    timings = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        for _run in range(runs):
            context = browser.new_context(base_url=url, viewport={"width": 360, "height": 740})
            page = context.new_page()
            page.goto("/accounts/login/?next=/app/")
            page.fill("#id_username", username)
            page.fill("#id_password", password)
            page.click("button[type=submit]")
            page.wait_for_function("() => window.ivigapp && window.ivigapp.status().lastSyncedAt", timeout=60000)
            page.evaluate("() => { location.hash = '#/infusion'; }")
            page.wait_for_selector("#start-infusion, #next-step")
            if page.locator("#start-infusion").count():
                page.click("#start-infusion")
                page.wait_for_selector("#next-step")
            context.set_offline(True)
            assert page.evaluate(QUEUE, entries) >= entries
            context.set_offline(False)
            started = time.perf_counter()
            page.wait_for_function("() => window.ivigapp.status().pending === 0", timeout=120000, polling=50)
            timings.append(time.perf_counter() - started)
            context.close()
        browser.close()
    print(f"back online -> empty outbox, {entries} entries: median {statistics.median(timings) * 1000:.0f} ms ")
    print(f"  runs (ms): {', '.join(f'{t * 1000:.0f}' for t in timings)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url")
    parser.add_argument("--user", default="patient1")
    parser.add_argument("--password", default=os.environ.get("DEMO_PASSWORD", "ivig-demo-2026"))
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--entries", type=int, default=50)
    args = parser.parse_args()
    js_budget()
    if args.url:
        back_online(args.url, args.user, args.password, args.runs, args.entries)


if __name__ == "__main__":
    main()
