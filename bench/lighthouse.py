"""PWA first load (DESIGN.md section 11): Lighthouse mobile scores of the sign-in page and of the
patient app signed in, median of --runs, with the spread and the audits that fail.

Lighthouse 12 comes from its own npm project in bench/lighthouse/ (`npm ci` on the first run), not
from the root package.json. It drives Debian's Chromium (headless; --no-sandbox as root) with its
mobile defaults: Moto G Power emulation, simulated slow 4G and 4x CPU slowdown. Each run has a
fresh profile, so the app's load is a first load: no service worker, caches or IndexedDB yet.

Without --url the script sets up its own production-like server and removes it at the end: a
throwaway PostgreSQL database, `migrate`, the demo data (`bench/_seed.py`), the translations, the
collected static files and the service worker in a temp data folder, then gunicorn with
`DEBUG=0` and WhiteNoise's compressed manifest storage, as a deployment serves them (plain HTTP on
127.0.0.1: no SSL redirect, no HSTS).

    .venv/bin/python bench/lighthouse.py                      # about 6 min on 2 shared cores
    .venv/bin/python bench/lighthouse.py --runs 1 --only app  # a smoke test, not a measurement
    .venv/bin/python bench/lighthouse.py --url http://127.0.0.1:8000 --password ivig-demo-2026

Full JSON reports are written to var/lighthouse/ (git-ignored). Nothing here asserts.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

from _harness import PASSWORD, PYTHON, ROOT, Cleanup, Gunicorn, app_env, db_create, log, migrate, seed

LIGHTHOUSE_DIR = Path(__file__).resolve().parent / "lighthouse"
CATEGORIES = ["performance", "accessibility", "best-practices"]
BUDGET = {"performance": 90, "accessibility": 100}
METRICS = {
    "first-contentful-paint": ("FCP", "ms"),
    "largest-contentful-paint": ("LCP", "ms"),
    "total-blocking-time": ("TBT", "ms"),
    "cumulative-layout-shift": ("CLS", ""),
    "speed-index": ("SI", "ms"),
}


def install() -> None:
    if (LIGHTHOUSE_DIR / "node_modules" / "lighthouse").is_dir():
        return
    log("installing bench/lighthouse (npm ci) ...")
    subprocess.run(
        ["npm", "ci", "--no-audit", "--no-fund", "--loglevel", "error"], cwd=LIGHTHOUSE_DIR, check=True, timeout=900
    )


def serve(cleanup: Cleanup) -> str:
    """A DEBUG=0 gunicorn with compressed static files, on a throwaway database; its base URL."""
    data_dir = Path(tempfile.mkdtemp(prefix="ivig-lighthouse-"))
    cleanup.callback(lambda: subprocess.run(["rm", "-rf", str(data_dir)], check=False))
    env = app_env(db_create(cleanup), data_dir, conn_max_age=60, debug=False)
    env.update(STATIC_MANIFEST="1", ALLOWED_HOSTS="127.0.0.1,localhost")
    log(f"migrate: {migrate(env):.0f} s")
    seed(env)
    for command in (
        [str(PYTHON), "manage.py", "compilejsi18n", "-v", "0"],
        [str(PYTHON), "manage.py", "collectstatic", "--noinput", "-v", "0"],
        ["node", "tools/build-sw.mjs"],
    ):
        subprocess.run(command, cwd=ROOT, env=env, check=True, timeout=600, capture_output=True)
    return Gunicorn(env, cleanup, workers=2, log_dir=data_dir).base


def measure(base: str, *, user: str, password: str, runs: int, only: str | None) -> list[dict]:
    reports = ROOT / "var" / "lighthouse"
    reports.mkdir(parents=True, exist_ok=True)
    options = {
        "base": base,
        "user": user,
        "password": password,
        "runs": runs,
        "only": only,
        "chrome": os.environ.get("CHROME_PATH", "/usr/bin/chromium"),
        "reports": str(reports),
    }
    results = []
    with subprocess.Popen(
        ["node", str(LIGHTHOUSE_DIR / "run.mjs"), json.dumps(options)], cwd=ROOT, stdout=subprocess.PIPE, text=True
    ) as node:
        for line in node.stdout:
            result = json.loads(line)
            scores = " ".join(f"{name} {score}" for name, score in result["scores"].items())
            log(f"  {result['page']} run {result['run']}: {scores}")
            results.append(result)
    if node.returncode:
        raise RuntimeError(f"run.mjs exited with {node.returncode}")
    log(f"full reports in {reports}/")
    return results


def spread(values) -> str:
    values = [v for v in values if v is not None]
    if not values:
        return "n/a"
    median = statistics.median(values)
    return f"{median:g} ({min(values):g}-{max(values):g})"


def report(results: list[dict]) -> None:
    by_page = defaultdict(list)
    for result in results:
        by_page[result["page"]].append(result)
    for page, rows in by_page.items():
        print(f"\n{page}: {rows[0]['final_url']}, {len(rows)} runs (median (min-max))")
        for row in rows:
            if row["runtime_error"]:
                print(f"  run {row['run']}: runtime error {row['runtime_error']}")
            elif row["attempt"] > 1:
                print(f"  run {row['run']}: recorded at attempt {row['attempt']}")
            for warning in row["warnings"]:
                print(f"  run {row['run']}: warning {warning}")
        for name in CATEGORIES:
            values = [row["scores"][name] for row in rows]
            median = statistics.median([v for v in values if v is not None] or [0])
            verdict = ""
            if name in BUDGET:
                verdict = "  budget met" if median >= BUDGET[name] else f"  BUDGET MISSED (>= {BUDGET[name]})"
            print(f"  {name:15} {spread(values)}  runs: {values}{verdict}")
        for metric, (label, unit) in METRICS.items():
            values = [row["metrics"].get(metric) for row in rows]  # absent after a runtime error
            digits = 3 if not unit else 0
            print(f"  {label:15} {spread([round(v, digits) for v in values if v is not None])} {unit}")
        kib = [row["script_transfer_bytes"] / 1024 for row in rows if row["script_transfer_bytes"] is not None]
        requests = {row["script_requests"] for row in rows}
        print(f"  JS transferred  {spread([round(k, 1) for k in kib])} KiB in {sorted(requests)} requests")
        counts = Counter()
        detail = {}
        for row in rows:
            for audit in row["failing"]:
                key = (audit["category"], audit["id"])
                counts[key] += 1
                detail[key] = audit
        if not counts:
            print("  failing audits: none")
        # Weight 0: diagnostics and insights, shown for what they say; they do not move the score.
        for (category, audit_id), count in sorted(counts.items(), key=lambda item: -detail[item[0]]["weight"]):
            audit = detail[(category, audit_id)]
            kind = f"weight {audit['weight']}" if audit["weight"] else "diagnostic"
            print(f"  below 0.9 in {count}/{len(rows)} runs: {category}/{audit_id} ({kind}) {audit['value']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="an already running server with seed_demo (default: start one)")
    parser.add_argument("--user", default="patient1")
    parser.add_argument("--password", help="default: the demo password the script seeded (or DEMO_PASSWORD)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", choices=["login", "app"])
    args = parser.parse_args()
    install()
    with Cleanup() as cleanup:
        if args.url:
            base = args.url.rstrip("/")
            password = args.password or os.environ.get("DEMO_PASSWORD", "ivig-demo-2026")
        else:
            base, password = serve(cleanup), args.password or PASSWORD
        results = measure(base, user=args.user, password=password, runs=args.runs, only=args.only)
    report(results)


if __name__ == "__main__":
    sys.exit(main())
