"""B2: first sync of a patient with 10,000 rows, and incremental pulls, against baselines in the same run.

    .venv/bin/python bench/sync_pull.py               # rows seeded by set-wise SQL (same rows the services store)
    .venv/bin/python bench/sync_pull.py --seed push   # rows seeded through push, batch 500 (slow; timed apart)
    .venv/bin/python bench/sync_pull.py --quick      # 1,000 rows, 1 run: a smoke test of the harness

What it does (DESIGN.md section 11, SYNC.md part 3 B2):
  1. a throwaway PostgreSQL database (dropped at the end), demo_seed + plan + in-progress infusion for
     patient1 (the demo also gives patient1 a few hundred history rows), gunicorn (2 sync workers,
     DEBUG=1) on 127.0.0.1, pouchdb-server (LevelDB on disk) on 127.0.0.1;
  2. seeds --rows (10,000) diary rows into patient1's scope, timed and reported on its own: by
     default with set-wise SQL that stores exactly what the services store (scope version bumped,
     rows stamped, mutation log written; bench/sync_push.py's "hand-SQL push"), or with
     --seed push through POST /api/sync/v1/push in batches of 500 (about 10k / 20-60 per second);
  3. contenders, interleaved run by run:
     - pull:  a new device's first sync, POST /api/sync/v1/pull from cursor null until has_more is
              false, page 100 / 500 / 2000. The client applies every page and its cursor to an
              on-disk SQLite replica in one transaction (SYNC.md 2.5 client obligation), so it does
              the same local work as the PouchDB client below;
     - COPY:  `COPY (SELECT * FROM <table> WHERE scope_id = .. AND NOT deleted) TO STDOUT` for every
              syncable table (the physical limit for reading the same rows);
     - PouchDB: replicate.from(pouchdb-server) of the same rows as documents into a fresh local
              PouchDB (LevelDB on disk), batch_size 100 (its default) / 500 / 2000
              (bench/pouchdb/pull.mjs);
  4. no-op incremental pull latency (app and PouchDB), and the latency of an incremental pull
     that carries one new change;
  5. prints time, requests, bytes (raw and what gzip would make of them), server CPU-s, and the
     ratios: first sync of 10k rows no slower than the PouchDB peer (DESIGN.md section 11).
Nothing here asserts on time. Loopback only; every loop is bounded.
"""

import argparse
import json
import sqlite3
import sys
import time
import uuid
from collections import defaultdict
from datetime import datetime
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness as h  # noqa: E402
from sync_push import run_hand_sql  # noqa: E402  (the set-wise SQL seeding path)

PAGES = (100, 500, 2000)


class Replica:
    """The device side: rows and cursor in one SQLite transaction per page (like IndexedDB)."""

    def __init__(self, path: Path):
        self.db = sqlite3.connect(path, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("CREATE TABLE row (tbl TEXT, id TEXT, version INT, body TEXT, PRIMARY KEY (tbl, id))")
        self.db.execute("CREATE TABLE meta (k TEXT PRIMARY KEY, v TEXT)")

    def apply(self, body: dict) -> None:
        self.db.execute("BEGIN")
        if body["reset"]:
            self.db.execute("DELETE FROM row")
        upserts, deletes = [], []
        for c in body["changes"]:
            if c["deleted"]:
                deletes.append((c["table"], c["id"]))
            else:
                upserts.append((c["table"], c["id"], c["version"], json.dumps(c["row"])))
        self.db.executemany("INSERT OR REPLACE INTO row VALUES (?, ?, ?, ?)", upserts)
        self.db.executemany("DELETE FROM row WHERE tbl = ? AND id = ?", deletes)
        self.db.execute("INSERT OR REPLACE INTO meta VALUES ('cursor', ?)", (body["cursor"],))
        self.db.execute("COMMIT")

    def count(self) -> int:
        return self.db.execute("SELECT count(*) FROM row").fetchone()[0]

    def close(self):
        self.db.close()


def pull_loop(api, client_id, cursor, page, replica=None, *, keep_changes=False, max_requests=1000):
    """Pull until has_more is false, applying each page to `replica` inside the timed loop.
    Returns figures, the last cursor and (keep_changes) the changes seen."""
    latencies, bodies, rows, changes = [], [], 0, []
    started = time.perf_counter()
    for _ in range(max_requests):
        payload = json.dumps({"client_id": client_id, "schema_version": 1, "cursor": cursor, "limit": page}).encode()
        t0 = time.perf_counter()
        r = api.post_raw("/api/sync/v1/pull", payload)
        latencies.append(time.perf_counter() - t0)
        if r.status_code != 200:
            raise RuntimeError(f"pull failed: {r.status_code} {r.text[:300]}")
        body = r.json()
        if replica is not None:
            replica.apply(body)
        bodies.append(r.content)
        rows += len(body["changes"])
        if keep_changes:
            changes.extend(body["changes"])
        cursor = body["cursor"]
        if not body["has_more"]:
            break
    else:
        raise RuntimeError(f"pull did not reach has_more=false in {max_requests} requests")
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "latencies": latencies,
        "requests": len(latencies),
        "bytes": sum(len(b) for b in bodies),
        # What gzip would make of each response (computed after the clock stopped): the app
        # itself sends uncompressed JSON (no GZipMiddleware), so "bytes" is what crossed the wire.
        "gzip_bytes": sum(h.gzip_len(b) for b in bodies),
        "rows": rows,
        "cursor": cursor,
        "changes": changes,
    }


def scope_tables(conn) -> list[str]:
    return [
        r[0]
        for r in conn.execute(
            "SELECT table_name FROM information_schema.columns WHERE table_schema = 'public' AND column_name = "
            "'scope_id' ORDER BY table_name"
        )
    ]


def run_copy(conn, db, scope_id, tables):
    meter = h.CpuMeter(pg=lambda: h.postgres_pids(db))
    meter.start()
    t0 = time.perf_counter()
    nbytes, nrows = 0, 0
    with conn.transaction(), conn.cursor() as cur:
        for t in tables:
            with cur.copy(
                # Table names come from information_schema, the scope id is checked by _literal.
                f"COPY (SELECT * FROM {t} WHERE scope_id = {_literal(scope_id)} AND NOT deleted "  # noqa: S608
                "ORDER BY server_version) TO STDOUT"
            ) as copy:
                for block in copy:
                    nbytes += len(block)
                    nrows += bytes(block).count(b"\n")
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "cpu": meter.stop(), "bytes": nbytes, "rows": nrows, "requests": 0}


def _literal(text: str) -> str:
    assert all(c.isalnum() or c in ":-" for c in text)
    return f"'{text}'"


def run_pull(api, gunicorn, db, page, work):
    client_id = api.register()
    replica = Replica(work / f"replica-{uuid.uuid4().hex[:8]}.sqlite3")
    meter = h.CpuMeter(app=gunicorn.pids, pg=lambda: h.postgres_pids(db))
    meter.start()
    try:
        result = pull_loop(api, client_id, None, page, replica)
    finally:
        result_cpu = meter.stop()
    result["cpu"] = result_cpu
    result["cpu_app"], result["cpu_pg"] = meter.by_group["app"], meter.by_group["pg"]
    result["replica_rows"] = replica.count()
    replica.close()
    result["client_id"] = client_id
    return result


def run_pouch_pull(pouch, work, db_name, batch, noop):
    meter = h.CpuMeter(app=pouch.pids)
    meter.start()
    result = h.node_script(
        "pull.mjs",
        {
            "remote": pouch.base,
            "db": db_name,
            "local": work / f"pouch-pull-{uuid.uuid4().hex[:8]}",
            "batch-size": batch,
            "noop": noop,
        },
    )
    result["cpu"] = meter.stop()
    if result["errors"]:
        raise RuntimeError(f"PouchDB pull failed: {result}")
    return result


def pouch_load(pouch, db_name, docs) -> float:
    """Loads the documents into pouchdb-server (not timed as a contender; reported)."""
    t0 = time.monotonic()
    r = requests.put(f"{pouch.base}/{db_name}", timeout=60)
    r.raise_for_status()
    for i in range(0, len(docs), 1000):
        r = requests.post(f"{pouch.base}/{db_name}/_bulk_docs", json={"docs": docs[i : i + 1000]}, timeout=300)
        r.raise_for_status()
        if any("error" in x for x in r.json()):
            raise RuntimeError("pouchdb-server refused documents")
    return time.monotonic() - t0


def fmt(x, digits=0):
    return "-" if x is None else f"{x:,.{digits}f}"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10000, help="rows added to patient1's scope")
    parser.add_argument("--seed", choices=("push", "sql"), default="sql")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--noop", type=int, default=20, help="no-op incremental pulls to time")
    parser.add_argument("--conn-max-age", type=int, default=60)
    parser.add_argument("--no-pouch", action="store_true")
    parser.add_argument("--quick", action="store_true", help="1,000 rows, 1 run, SQL seeding")
    parser.add_argument("--json", help="also write all figures as JSON to this file")
    args = parser.parse_args()
    if args.quick:
        args.rows, args.runs, args.seed, args.noop = 1000, 1, "sql", 5

    started = time.monotonic()
    print(f"# B2 sync pull, {h.machine_note()}")
    with h.Cleanup() as cleanup:
        work = h.workdir(cleanup)
        db = h.db_create(cleanup)
        env = h.app_env(db, work, conn_max_age=args.conn_max_age)
        h.migrate(env)
        seeded = h.seed(env)
        gunicorn = h.Gunicorn(env, cleanup, log_dir=work)
        pouch = None if args.no_pouch else h.PouchServer(cleanup, work=work)
        api = h.ApiClient(gunicorn.base, seeded["username"], h.PASSWORD)
        conn = h.connect(db)
        cleanup.callback(conn.close)
        started_at = datetime.fromisoformat(seeded["started_at"])

        # 1. Seeding, reported apart.
        h.log(f"seeding {args.rows} rows via {args.seed} ...")
        mutations = h.make_mutations(seeded["episode_id"], args.rows, started_at=started_at)
        if args.seed == "push":
            seed_client = api.register()
            meter = h.CpuMeter(app=gunicorn.pids, pg=lambda: h.postgres_pids(db))
            meter.start()
            pushed = h.push_all(api, seed_client, mutations, 500)
            seed_cpu = meter.stop()
            seeding = {
                "via": "push, batch 500",
                "seconds": pushed["seconds"],
                "requests": pushed["requests"],
                "rate": args.rows / pushed["seconds"],
                "cpu_per_1k": seed_cpu / args.rows * 1000,
                "p95_ms": h.percentile(pushed["latencies"], 0.95) * 1000,
            }
        else:
            r = run_hand_sql(conn, db, mutations, seeded)
            seeding = {
                "via": "hand SQL, 100/txn",
                "seconds": r["seconds"],
                "requests": r["requests"],
                "rate": args.rows / r["seconds"],
                "cpu_per_1k": r["cpu"] / args.rows * 1000,
            }
        tables = scope_tables(conn)
        expected = sum(
            conn.execute(
                f"SELECT count(*) FROM {t} WHERE scope_id = %s AND NOT deleted",  # noqa: S608 (names from the catalog)
                (seeded["scope_id"],),
            ).fetchone()[0]
            for t in tables
        )
        conn.commit()
        h.log(f"seeded in {seeding['seconds']:.1f} s; patient1's scope now holds {expected} live rows")

        # 2. Warm-up first sync (discarded); its changes become the PouchDB documents.
        h.log("warm-up first sync ...")
        warm_client = api.register()
        warm = pull_loop(api, warm_client, None, 2000, keep_changes=True)
        if warm["rows"] != expected:
            raise RuntimeError(f"first sync returned {warm['rows']} rows, the database holds {expected}")
        docs = [
            {"_id": f"{c['table']}:{c['id']}", "table": c["table"], "version": c["version"], **c["row"]}
            for c in warm["changes"]
        ]
        doc_bytes = h.mean_json_bytes(docs)
        pouch_db = "patient1"
        pouch_load_s = pouch_load(pouch, pouch_db, docs) if pouch else None
        run_copy(conn, db, seeded["scope_id"], tables)
        if pouch:
            run_pouch_pull(pouch, work, pouch_db, 100, 1)

        # 3. Contenders, interleaved.
        plan = [("pull", p) for p in PAGES] + [("COPY", None)]
        if pouch:
            plan += [("PouchDB", p) for p in PAGES]
        results = defaultdict(list)
        last_cursor = {}
        for run_no in range(1, args.runs + 1):
            for kind, page in plan:
                h.log(f"run {run_no}/{args.runs}: {kind} {page or ''} ...")
                if kind == "pull":
                    r = run_pull(api, gunicorn, db, page, work)
                    if r["replica_rows"] != expected:
                        raise RuntimeError(f"replica holds {r['replica_rows']} rows, expected {expected}")
                    last_cursor[page] = (r["client_id"], r["cursor"])
                elif kind == "COPY":
                    r = run_copy(conn, db, seeded["scope_id"], tables)
                else:
                    r = run_pouch_pull(pouch, work, pouch_db, page, args.noop if page == 100 else 1)
                    if r["docs_written"] != len(docs):
                        raise RuntimeError(f"PouchDB wrote {r['docs_written']} of {len(docs)} docs")
                results[(kind, page)].append(r)
                h.log(f"    {r['seconds']:.2f} s, {r['cpu']:.2f} CPU-s")

        # 4. Incremental pulls: no-op, and one new change.
        client_id, cursor = last_cursor[500]
        noop = []
        for _ in range(args.noop):
            r = pull_loop(api, client_id, cursor, 500)
            assert r["rows"] == 0
            noop.extend(r["latencies"])
        one_change = []
        extra = h.make_mutations(seeded["episode_id"], 5, started_at=started_at)
        writer = api.register()
        for i, m in enumerate(extra):
            m["id"] = i + 1
            h.push_all(api, writer, [m], 1)
            r = pull_loop(api, client_id, cursor, 500)
            assert r["rows"] == 1, r["rows"]
            cursor = r["cursor"]
            one_change.extend(r["latencies"])

    # ------------------------------------------------------------------------------------------
    def summary(kind, page):
        runs = results[(kind, page)]
        secs = [r["seconds"] for r in runs]
        out = {
            "kind": kind,
            "page": page,
            "runs": len(runs),
            "seconds_median": h.median(secs),
            "seconds_iqr": h.iqr(secs),
            "rows_per_s": expected / h.median(secs),
            "cpu": h.median([r["cpu"] for r in runs]),
        }
        if kind == "pull":
            lat = [x for r in runs for x in r["latencies"]]
            out.update(
                requests=runs[0]["requests"],
                bytes=runs[0]["bytes"],
                gzip_bytes=runs[0]["gzip_bytes"],
                p50_ms=h.percentile(lat, 0.5) * 1000,
                p95_ms=h.percentile(lat, 0.95) * 1000,
                cpu_app=h.median([r["cpu_app"] for r in runs]),
                cpu_pg=h.median([r["cpu_pg"] for r in runs]),
            )
        elif kind == "COPY":
            out.update(requests=0, bytes=runs[0]["bytes"])
        else:
            out["noop_ms"] = [x for r in runs for x in r["noop_ms"]]
        return out

    summaries = {(k, p): summary(k, p) for k, p in plan}
    print()
    print(
        f"patient1's scope: {expected} live rows ({args.rows} seeded + demo history) in {len(tables)} tables; "
        f"PouchDB doc {doc_bytes:.0f} B mean"
    )
    print(
        f"seeding via {seeding['via']}: {seeding['seconds']:.1f} s ({seeding['rate']:.0f} rows/s, "
        f"{seeding['cpu_per_1k']:.2f} server CPU-s/1k, {seeding['requests']} requests"
        + (f", p95 {seeding['p95_ms']:.0f} ms" if "p95_ms" in seeding else "")
        + (f"); pouchdb-server load {pouch_load_s:.1f} s" if pouch else ")")
    )
    rows = []
    for (kind, page), s in summaries.items():
        lo, hi = s["seconds_iqr"]
        label = {
            "pull": "pull first sync (+ SQLite apply)",
            "COPY": "COPY (SELECT ..) TO STDOUT",
            "PouchDB": "PouchDB replicate.from",
        }[kind]
        rows.append(
            [
                label,
                page or "-",
                s["runs"],
                fmt(s["seconds_median"], 2),
                f"{lo:.2f}-{hi:.2f}",
                fmt(s["rows_per_s"]),
                fmt(s.get("requests")),
                fmt(s["bytes"] / 1e6, 2) if s.get("bytes") else "-",
                fmt(s["gzip_bytes"] / 1e6, 2) if s.get("gzip_bytes") else "-",
                fmt(s.get("p50_ms"), 1),
                fmt(s.get("p95_ms"), 1),
                fmt(s["cpu"], 2),
            ]
        )
    print(
        h.table(
            rows,
            [
                "contender",
                "page",
                "runs",
                "seconds (median)",
                "IQR",
                "rows/s",
                "requests",
                "MB raw",
                "MB gzip",
                "p50 ms",
                "p95 ms",
                "server CPU-s",
            ],
        )
    )
    print(
        f"no-op incremental pull: app p50 {h.percentile(noop, 0.5) * 1000:.1f} ms, "
        f"p95 {h.percentile(noop, 0.95) * 1000:.1f} ms"
        f" ({len(noop)} pulls)"
        + (
            f"; PouchDB no-op replicate.from p50 {h.percentile(summaries[('PouchDB', 100)]['noop_ms'], 0.5):.1f} ms, "
            f"p95 {h.percentile(summaries[('PouchDB', 100)]['noop_ms'], 0.95):.1f} ms"
            if pouch
            else ""
        )
    )
    print(
        f"incremental pull carrying 1 new change: app p50 {h.percentile(one_change, 0.5) * 1000:.1f} ms "
        f"({len(one_change)} pulls)"
    )
    print()
    print(
        "ratios (the other's time / our pull's time, and the other's server CPU-s / ours; >= 1 means our first "
        "sync is no slower / no costlier):"
    )
    ratios = {}
    p500 = summaries[("pull", 500)]

    def show(name, other, ours, target=None):
        r = other["seconds_median"] / ours["seconds_median"]
        c = other["cpu"] / ours["cpu"] if ours["cpu"] else float("nan")
        ratios[name] = {"time": r, "cpu": c}
        verdict = ""
        if target is not None:
            verdict = (
                f"  target >= {target:g}: {'MET' if r >= target else 'MISSED'} "
                f"(by CPU: {'met' if c >= target else 'missed'})"
            )
        print(f"  {name:58s} time {r:6.2f}  CPU {c:6.2f}{verdict}")

    if pouch:
        for page in PAGES:
            show(f"PouchDB batch {page} / pull page {page}", summaries[("PouchDB", page)], summaries[("pull", page)])
        show("PouchDB batch 100 (its default) / pull page 500 (ours)", summaries[("PouchDB", 100)], p500, 1.0)
    show("COPY / pull page 500 (physical limit, context)", summaries[("COPY", None)], p500)
    print(
        f"  pull page 500 total {p500['seconds_median']:.2f} s (SYNC.md B2 target <= 5 s: "
        f"{'MET' if p500['seconds_median'] <= 5 else 'MISSED'}); gzip/raw {p500['gzip_bytes'] / p500['bytes']:.2f}"
    )
    print(f"\ntotal wall time {time.monotonic() - started:.0f} s")
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {
                    "machine": h.machine_note(),
                    "rows": expected,
                    "seeding": seeding,
                    "summaries": {f"{k} {p}": v for (k, p), v in summaries.items()},
                    "noop_ms": [x * 1000 for x in noop],
                    "one_change_ms": [x * 1000 for x in one_change],
                    "ratios": ratios,
                },
                indent=2,
                default=str,
            )
        )


if __name__ == "__main__":
    main()
