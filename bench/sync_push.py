"""B1: sync push ingest throughput against its baselines, measured in the same run.

    .venv/bin/python bench/sync_push.py            # 4-7 minutes on the 2-core box, by its load
    .venv/bin/python bench/sync_push.py --quick    # smaller N, 1 run: a smoke test of the harness

What it does (DESIGN.md section 11, SYNC.md part 3 B1):
  1. a throwaway PostgreSQL database (ivig_bench_<random>, dropped at the end), migrated;
     demo_seed + a plan + an in-progress infusion for patient1, through the services;
  2. gunicorn (2 sync workers, DEBUG=0 as in production, or --debug 1) on a free 127.0.0.1 port,
     signed in as patient1 with the login form + CSRF, one registered sync client per run;
  3. contenders, interleaved run by run (run 1 of each, then run 2 of each, ...):
     - push:      POST /api/sync/v1/push with N create mutations (hydration / vial / medication on
                  the infusion, ~360 B of JSON each) at batch 10, 100 and 500;
     - per-record (naive anchor): the same endpoint at batch 1 (one POST and one commit per record;
                  the app has no per-record ModelViewSet, so this stands in for it);
     - executemany upsert: psycopg `INSERT .. ON CONFLICT (id) DO UPDATE` of the same rows into the
                  same tables (same indexes, foreign keys), 100-row groups, one transaction;
     - COPY:      `COPY .. FROM STDIN` of the same rows, one transaction;
     - hand-SQL push: what one push request must do, written set-wise by hand (lock the client row,
                  check the episode, bump the scope version once, insert rows + mutation log,
                  advance last_mutation_id), one transaction per 100 rows: the floor for the
                  endpoint's semantics, to split "PostgreSQL" from "our Python";
     - PouchDB:   pouchdb-node 9 (LevelDB on disk) replicate.to(pouchdb-server 4.2, LevelDB on
                  disk) of the same N documents, batch_size 100 (bench/pouchdb/push.mjs).
  4. per contender: median (IQR) mutations/s, request latency p50/p95, server CPU-seconds per 1,000
     mutations (utime+stime from /proc of gunicorn master+workers and our database's postgres
     backends + postgres background processes; of pouchdb-server for PouchDB), then the ratios
     DESIGN.md section 11 asks for.

Nothing here asserts on time; it prints figures. Loopback only; every loop is bounded.
"""

import argparse
import json
import sys
import time
import uuid
from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness as h  # noqa: E402

TABLES = {
    "hydration": "reactions_hydrationlog",
    "vial": "reactions_vialusage",
    "medication": "reactions_medicationdose",
}
COMMON = (
    "id",
    "scope_id",
    "version",
    "server_version",
    "deleted",
    "updated_by_client",
    "recorded_at",
    "received_at",
    "entered_by",
    "entered_by_user_id",
    "patient_id",
    "episode_id",
)
FIELDS = {
    "hydration": ("phase", "volume_ml", "logged_at"),
    "vial": ("lot_number", "expiry_date", "vial_size_g", "quantity"),
    "medication": ("category", "drug", "dose", "given_at"),
}
PARSE = {
    "logged_at": datetime.fromisoformat,
    "given_at": datetime.fromisoformat,
    "expiry_date": date.fromisoformat,
    "vial_size_g": Decimal,
}


# ---------------------------------------------------------------------------------------------
# The same rows, as the baselines write them


def sql_rows(mutations, seeded, client_id, first_server_version):
    """Per table: (columns, list of tuples) holding exactly what the service would store."""
    now = datetime.now().astimezone()
    out = {name: [] for name in TABLES}
    for i, m in enumerate(mutations):
        name = m["table"]
        data = m["set"]
        common = (
            uuid.UUID(m["row_id"]),
            seeded["scope_id"],
            1,
            first_server_version + i,
            False,
            client_id,
            datetime.fromisoformat(m["recorded_at"]),
            now,
            "patient",
            seeded["user_id"],
            uuid.UUID(seeded["patient_id"]),
            uuid.UUID(data["episode_id"]),
        )
        values = tuple(PARSE.get(f, lambda v: v)(data[f]) for f in FIELDS[name])
        if name == "vial":
            values = (values[0].upper(), *values[1:])
        out[name].append(common + values)
    return out


def upsert_sql(name):
    cols = COMMON + FIELDS[name]
    sets = ", ".join(f"{c} = EXCLUDED.{c}" for c in cols if c != "id")
    marks = ", ".join(["%s"] * len(cols))
    # Table and column names are the constants above, never input.
    return f"INSERT INTO {TABLES[name]} ({', '.join(cols)}) VALUES ({marks}) ON CONFLICT (id) DO UPDATE SET {sets}"  # noqa: S608


def insert_sql(name):
    cols = COMMON + FIELDS[name]
    return f"INSERT INTO {TABLES[name]} ({', '.join(cols)}) VALUES ({', '.join(['%s'] * len(cols))})"  # noqa: S608


def groups(mutations, size):
    for i in range(0, len(mutations), size):
        yield mutations[i : i + size]


def run_executemany(conn, db, mutations, seeded):
    """INSERT .. ON CONFLICT DO UPDATE via psycopg executemany, 100-row groups, one transaction."""
    client_id = uuid.uuid4()
    prepared = []
    for group in groups(mutations, 100):
        rows = sql_rows(group, seeded, client_id, 10**12 + int(time.time() * 1000) % 10**9)
        prepared.append([(upsert_sql(name), rows[name]) for name in TABLES if rows[name]])
    meter = h.CpuMeter(pg=lambda: h.postgres_pids(db))
    meter.start()
    t0 = time.perf_counter()
    with conn.transaction(), conn.cursor() as cur:
        for statements in prepared:
            for sql, rows in statements:
                cur.executemany(sql, rows)
    seconds = time.perf_counter() - t0
    cpu = meter.stop()
    return {"seconds": seconds, "cpu": cpu, "cpu_app": 0.0, "cpu_pg": cpu, "requests": 0}


def run_copy(conn, db, mutations, seeded):
    """COPY .. FROM STDIN of the same rows, one transaction."""
    rows = sql_rows(mutations, seeded, uuid.uuid4(), 2 * 10**12 + int(time.time() * 1000) % 10**9)
    meter = h.CpuMeter(pg=lambda: h.postgres_pids(db))
    meter.start()
    t0 = time.perf_counter()
    with conn.transaction(), conn.cursor() as cur:
        for name, items in rows.items():
            with cur.copy(f"COPY {TABLES[name]} ({', '.join(COMMON + FIELDS[name])}) FROM STDIN") as copy:
                for row in items:
                    copy.write_row(row)
    seconds = time.perf_counter() - t0
    cpu = meter.stop()
    return {"seconds": seconds, "cpu": cpu, "cpu_app": 0.0, "cpu_pg": cpu, "requests": 0}


def run_hand_sql(conn, db, mutations, seeded):
    """The push endpoint's work, set-wise, one transaction per 100 mutations."""
    client_id = uuid.uuid4()
    with conn.transaction():
        conn.execute(
            "INSERT INTO sync_syncclient (id, user_id, last_mutation_id, schema_version, device_label, created_at,"
            " last_seen_at) VALUES (%s, %s, 0, 1, 'bench', now(), now())",
            (client_id, seeded["user_id"]),
        )
    payloads = [
        [
            (
                client_id,
                m["id"],
                json.dumps(m),
                json.dumps({"id": m["id"], "status": "applied", "row_version": 1}),
            )
            for m in group
        ]
        for group in groups(mutations, 100)
    ]
    meter = h.CpuMeter(pg=lambda: h.postgres_pids(db))
    meter.start()
    t0 = time.perf_counter()
    latencies = []
    for group, log_rows in zip(groups(mutations, 100), payloads, strict=True):
        g0 = time.perf_counter()
        with conn.transaction(), conn.cursor() as cur:
            cur.execute("SELECT last_mutation_id FROM sync_syncclient WHERE id = %s FOR UPDATE", (client_id,))
            last = cur.fetchone()[0]
            assert last + 1 == group[0]["id"]
            cur.execute(
                "SELECT mutation_id FROM sync_mutationlog WHERE client_id = %s AND mutation_id = ANY(%s)",
                (client_id, [m["id"] for m in group]),
            )
            cur.execute(
                "SELECT id FROM reactions_infusionepisode WHERE id = ANY(%s) AND patient_id = %s AND NOT deleted",
                (list({uuid.UUID(m["set"]["episode_id"]) for m in group}), uuid.UUID(seeded["patient_id"])),
            )
            assert cur.fetchall()
            cur.execute(
                "UPDATE sync_syncscope SET version = version + %s WHERE id = %s RETURNING version",
                (len(group), seeded["scope_id"]),
            )
            top = cur.fetchone()[0]
            rows = sql_rows(group, seeded, client_id, top - len(group) + 1)
            for name, items in rows.items():
                if items:
                    cur.executemany(insert_sql(name), items)
            cur.executemany(
                "INSERT INTO sync_mutationlog (client_id, mutation_id, received_at, payload, result, response)"
                " VALUES (%s, %s, now(), %s::jsonb, 'applied', %s::jsonb)",
                log_rows,
            )
            cur.execute(
                "UPDATE sync_syncclient SET last_mutation_id = %s, last_seen_at = now() WHERE id = %s",
                (group[-1]["id"], client_id),
            )
        latencies.append(time.perf_counter() - g0)
    seconds = time.perf_counter() - t0
    cpu = meter.stop()
    return {
        "seconds": seconds,
        "cpu": cpu,
        "cpu_app": 0.0,
        "cpu_pg": cpu,
        "latencies": latencies,
        "requests": len(latencies),
    }


def run_push(api, gunicorn, db, mutations, batch):
    client_id = api.register()
    meter = h.CpuMeter(app=gunicorn.pids, pg=lambda: h.postgres_pids(db))
    meter.start()
    result = h.push_all(api, client_id, mutations, batch)
    result["cpu"] = meter.stop()
    result["cpu_app"], result["cpu_pg"] = meter.by_group["app"], meter.by_group["pg"]
    return result


def run_push_devices(jobs, gunicorn, db, batch):
    """Several devices at once: jobs are (ApiClient, mutations); each registers its own client."""
    meter = h.CpuMeter(app=gunicorn.pids, pg=lambda: h.postgres_pids(db))
    prepared = [(api, api.register(), muts) for api, muts in jobs]
    meter.start()
    result = h.push_concurrently(prepared, batch)
    result["cpu"] = meter.stop()
    result["cpu_app"], result["cpu_pg"] = meter.by_group["app"], meter.by_group["pg"]
    return result


def pouch_docs(mutations, seeded):
    """The same records as PouchDB documents (one per row, _id = the row's UUID)."""
    return [
        {
            "_id": m["row_id"],
            "table": m["table"],
            "scope": seeded["scope_id"],
            **m["set"],
            "recorded_at": m["recorded_at"],
            "entered_by": "patient",
        }
        for m in mutations
    ]


def push_args(pouch, work, docs_file, db_prefix, batch) -> dict:
    """push.mjs arguments: a fresh remote database and a fresh local one for each replication."""
    return {
        "remote": pouch.base,
        "db": f"{db_prefix}_{uuid.uuid4().hex[:8]}",
        "docs": docs_file,
        "local": work / f"pouch-local-{uuid.uuid4().hex[:8]}",
        "batch-size": batch,
    }


def run_pouch(pouch, work, docs_file, run_no, batch):
    meter = h.CpuMeter(app=pouch.pids)
    meter.start()
    result = h.node_script("push.mjs", push_args(pouch, work, docs_file, f"push_{run_no}", batch))
    # The client's local LevelDB load is in the node process, not pouchdb-server: not counted.
    cpu = meter.stop()
    if result["docs_written"] != result["docs"] or result["errors"]:
        raise RuntimeError(f"PouchDB replication incomplete: {result}")
    return {
        "seconds": result["seconds"],
        "cpu": cpu,
        "cpu_app": cpu,
        "cpu_pg": 0.0,
        "requests": None,
        "pouchdb": result["pouchdb"],
    }


def run_pouch_devices(pouch, work, docs_files, run_no, batch):
    """Several PouchDB devices replicate at once, each its own database on the same pouchdb-server
    (one node process per device; they load their local LevelDB first, then start together)."""
    lead = 4 + 1.5 * len(docs_files)
    for _attempt in range(3):
        start_at = int((time.time() + lead) * 1000)
        meter = h.CpuMeter(app=pouch.pids)
        meter.start()
        parts = h.node_scripts_parallel(
            "push.mjs",
            [
                {**push_args(pouch, work, docs_file, f"push_{run_no}_{i}", batch), "start-at": start_at}
                for i, docs_file in enumerate(docs_files)
            ],
        )
        cpu = meter.stop()  # includes the devices' waiting, when pouchdb-server is idle
        for r in parts:
            if r["docs_written"] != r["docs"] or r["errors"]:
                raise RuntimeError(f"PouchDB replication incomplete: {r}")
        late = max(r["started_epoch_ms"] for r in parts) - start_at
        if late <= 250:
            break
        h.log(f"    a PouchDB device started {late:.0f} ms late; again with more lead time")
        lead *= 2
    else:
        raise RuntimeError("PouchDB devices did not start together")
    return {
        "seconds": (max(r["ended_epoch_ms"] for r in parts) - min(r["started_epoch_ms"] for r in parts)) / 1000,
        "cpu": cpu,
        "cpu_app": cpu,
        "cpu_pg": 0.0,
        "requests": None,
    }


# ---------------------------------------------------------------------------------------------


def summarise(label, n, batch, runs):
    rates = [n / r["seconds"] for r in runs]
    lat = [x for r in runs for x in r.get("latencies", [])]
    cpu = [r["cpu"] / n * 1000 for r in runs]
    reqs = [r["requests"] for r in runs if r.get("requests")]
    return {
        "label": label,
        "n": n,
        "batch": batch,
        "runs": len(runs),
        "rate_median": h.median(rates),
        "rate_iqr": h.iqr(rates),
        "rates": rates,
        "p50_ms": h.percentile(lat, 0.5) * 1000 if lat else None,
        "p95_ms": h.percentile(lat, 0.95) * 1000 if lat else None,
        "cpu_per_1k": h.median(cpu),
        "cpu_app_per_1k": h.median([r["cpu_app"] / n * 1000 for r in runs]),
        "cpu_pg_per_1k": h.median([r["cpu_pg"] / n * 1000 for r in runs]),
        "requests_per_run": h.median(reqs) if reqs else None,
    }


def fmt(x, digits=0):
    if x is None:
        return "-"
    return f"{x:,.{digits}f}"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=2000, help="mutations per run at batch 100 and the baselines")
    parser.add_argument("--n-other", type=int, default=500, help="mutations per run at batch 10 and 500")
    parser.add_argument("--n-batch1", type=int, default=200, help="mutations per run at batch 1 (per-record)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--threads", type=int, default=1, help="gunicorn threads per worker (the Procfile runs 4: gthread, keep-alive)"
    )
    parser.add_argument(
        "--conn-max-age",
        type=int,
        default=60,
        help="DB_CONN_MAX_AGE for gunicorn (default 60: persistent connections; the app's own default is 0)",
    )
    parser.add_argument(
        "--debug", type=int, default=0, choices=(0, 1), help="the app's DEBUG (0, as in production, by default)"
    )
    parser.add_argument(
        "--clients",
        type=int,
        default=4,
        help="also push from this many devices at once, at batch 100 (SYNC.md B1 concurrency: 4 or 16; 1 to skip; at "
        "most 16): one device per patient, and as many devices of one patient",
    )
    parser.add_argument(
        "--mix",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also push SYNC.md B1's mix of creates, edits and deletes at batch 100 (N = --n-other)",
    )
    parser.add_argument("--no-pouch", action="store_true", help="skip the PouchDB peer")
    parser.add_argument("--quick", action="store_true", help="N=300, 1 run: checks the harness, not a measurement")
    parser.add_argument("--json", help="also write all figures as JSON to this file")
    args = parser.parse_args()
    if args.quick:
        args.n, args.n_other, args.n_batch1, args.runs = 300, 300, 50, 1

    started = time.monotonic()
    print(f"# B1 sync push, {h.machine_note()}")
    with h.Cleanup() as cleanup:
        work = h.workdir(cleanup)
        db = h.db_create(cleanup)
        env = h.app_env(db, work, conn_max_age=args.conn_max_age, debug=bool(args.debug))
        migrate_s = h.migrate(env)
        t0 = time.monotonic()
        k = max(1, min(args.clients, 16))
        seeded = h.seed(env, patients=k)
        seed_s = time.monotonic() - t0
        h.log(
            f"migrated in {migrate_s:.1f} s, seeded in {seed_s:.1f} s: "
            f"{len(seeded['patients'])} patients, first infusion {seeded['episode_id']}"
        )
        gunicorn = h.Gunicorn(env, cleanup, workers=args.workers, threads=args.threads, log_dir=work)
        pouch = None if args.no_pouch else h.PouchServer(cleanup, work=work)
        api = h.ApiClient(gunicorn.base, seeded["username"], h.PASSWORD)
        conn = h.connect(db)
        cleanup.callback(conn.close)

        def mutations(n, infusion=None):
            infusion = infusion or seeded
            return h.make_mutations(
                infusion["episode_id"], n, started_at=datetime.fromisoformat(infusion["started_at"])
            )

        # SYNC.md B1 concurrency: k devices at once, one per patient ("distinct") or all of patient1 ("hot").
        if k > 1:
            apis_distinct = [h.ApiClient(gunicorn.base, p["username"], h.PASSWORD) for p in seeded["patients"]]
            apis_hot = [api] + [h.ApiClient(gunicorn.base, seeded["username"], h.PASSWORD) for _ in range(k - 1)]

            def jobs(layout, n):
                if layout == "distinct":
                    return [(a, mutations(n // k, p)) for a, p in zip(apis_distinct, seeded["patients"], strict=True)]
                return [(a, mutations(n // k)) for a in apis_hot]

            docs_files = []
            for i, p in enumerate(seeded["patients"]):
                docs_files.append(work / f"docs_{i}.json")
                docs_files[-1].write_text(json.dumps(pouch_docs(mutations(args.n // k, p), p)))

        sample = mutations(args.n)
        mean_bytes = h.mean_json_bytes(sample)
        docs = pouch_docs(sample, seeded)
        docs_file = work / "docs.json"
        docs_file.write_text(json.dumps(docs))
        doc_bytes = h.mean_json_bytes(docs)

        # Warm-up, discarded: both gunicorn workers, the baseline connection, node + pouchdb-server.
        h.log("warm-up ...")
        run_push(api, gunicorn, db, mutations(300), 100)
        run_executemany(conn, db, mutations(300), seeded)
        if pouch:
            warm = work / "warm.json"
            warm.write_text(json.dumps(docs[:300]))
            run_pouch(pouch, work, warm, 0, 100)
        if k > 1:
            run_push_devices(jobs("distinct", 100 * k), gunicorn, db, 100)
            run_push_devices(jobs("hot", 100 * k), gunicorn, db, 100)

        plan = [
            ("push", 10, args.n_other),
            ("push", 100, args.n),
            ("push", 500, args.n_other),
            ("per-record (push batch 1)", 1, args.n_batch1),
            ("executemany upsert, 100/group, 1 txn", 100, args.n),
            ("COPY FROM STDIN, 1 txn", None, args.n),
            ("hand-SQL push, 100/txn", 100, args.n),
        ]
        if pouch:
            plan.append(("PouchDB replicate.to, batch_size 100", 100, args.n))
        if args.mix:
            plan.append(("push, SYNC.md mix: 70 % create, 20 % edit, 10 % delete", 100, args.n_other))
        if k > 1:
            plan.append((f"push, {k} devices of {k} patients at once", 100, args.n // k * k))
            plan.append((f"push, {k} devices of one patient at once", 100, args.n // k * k))
            if pouch:
                plan.append((f"PouchDB, {k} devices at once, batch_size 100", 100, args.n // k * k))
        results = defaultdict(list)
        for run_no in range(1, args.runs + 1):
            for label, batch, n in plan:
                h.log(f"run {run_no}/{args.runs}: {label} (n={n}, batch={batch}) ...")
                if label == "push" or label.startswith("per-record"):
                    r = run_push(api, gunicorn, db, mutations(n), batch)
                elif label.startswith("push, SYNC.md mix"):
                    muts = h.make_mixed_mutations(
                        seeded["episode_id"], n, started_at=datetime.fromisoformat(seeded["started_at"]), seed=run_no
                    )
                    r = run_push(api, gunicorn, db, muts, batch)
                elif label.startswith("push, "):
                    r = run_push_devices(jobs("distinct" if "patients" in label else "hot", n), gunicorn, db, batch)
                elif label.startswith("PouchDB, "):
                    r = run_pouch_devices(pouch, work, docs_files, run_no, batch)
                elif label.startswith("executemany"):
                    r = run_executemany(conn, db, mutations(n), seeded)
                elif label.startswith("COPY"):
                    r = run_copy(conn, db, mutations(n), seeded)
                elif label.startswith("hand-SQL"):
                    r = run_hand_sql(conn, db, mutations(n), seeded)
                else:
                    r = run_pouch(pouch, work, docs_file, run_no, batch)
                results[(label, batch, n)].append(r)
                h.log(f"    {n / r['seconds']:,.0f}/s, {r['cpu']:.2f} CPU-s")

        summary = [summarise(label, n, batch, results[(label, batch, n)]) for label, batch, n in plan]
        pouch_version = results[(plan[7][0], 100, args.n)][0].get("pouchdb") if pouch else None

    by = {(s["label"], s["batch"]): s for s in summary}
    push100 = by[("push", 100)]
    rows = []
    for s in summary:
        lo, hi = s["rate_iqr"]
        rows.append(
            [
                s["label"],
                s["batch"] or "-",
                s["n"],
                s["runs"],
                fmt(s["rate_median"]),
                f"{fmt(lo)}-{fmt(hi)}",
                fmt(s["p50_ms"], 1),
                fmt(s["p95_ms"], 1),
                fmt(s["cpu_per_1k"], 2),
                f"{fmt(s['cpu_app_per_1k'], 2)} / {fmt(s['cpu_pg_per_1k'], 2)}",
                fmt(s["requests_per_run"]),
            ]
        )
    print()
    print(
        f"mutation JSON {mean_bytes:.0f} B mean; PouchDB doc {doc_bytes:.0f} B mean; gunicorn {args.workers} "
        f"{'sync' if args.threads == 1 else f'gthread x {args.threads}'} workers, DEBUG={args.debug}, "
        f"DB_CONN_MAX_AGE={args.conn_max_age}; each device sends its requests one after another; "
        f"pouchdb-node {pouch_version or '-'} -> pouchdb-server 4.2 (LevelDB on disk)"
    )
    print(
        h.table(
            rows,
            [
                "contender",
                "batch",
                "N",
                "runs",
                "mut/s (median)",
                "IQR",
                "p50 ms",
                "p95 ms",
                "server CPU-s/1k",
                "app / PG",
                "requests/run",
            ],
        )
    )

    def ratio(a, b, key="rate_median"):
        return a[key] / b[key] if b and b[key] else float("nan")

    def cpu_ratio(a, b):
        return b["cpu_per_1k"] / a["cpu_per_1k"] if b and a["cpu_per_1k"] else float("nan")

    checks = [
        ("push(batch 100) / executemany upsert", by[("executemany upsert, 100/group, 1 txn", 100)], 0.25),
        ("push(batch 100) / PouchDB replicate.to", by.get(("PouchDB replicate.to, batch_size 100", 100)), 2.0),
        ("push(batch 100) / per-record (batch 1)", by[("per-record (push batch 1)", 1)], 20.0),
    ]
    print()
    print("DESIGN.md section 11 ratios (throughput = median mutations/s; CPU = inverse CPU-s per 1k):")
    ratios = {}
    for name, other, target in checks:
        if other is None:
            print(f"  {name:42s} skipped")
            continue
        r, c = ratio(push100, other), cpu_ratio(push100, other)
        ratios[name] = {"throughput": r, "cpu": c, "target": target}
        verdict = "MET" if r >= target else "MISSED"
        print(f"  {name:42s} {r:8.3f}  (target >= {target:g}: {verdict}); by CPU {c:8.3f}")
    many = [s for s in summary if s["label"].startswith("push, ") and "mix" not in s["label"]]
    mix = next((s for s in summary if "mix" in s["label"]), None)
    if mix:
        print(
            f"  push(batch 100), SYNC.md mix / creates only: {ratio(mix, push100):.3f} "
            f"({mix['rate_median']:,.0f}/s); p95 per request {mix['p95_ms']:.0f} ms (SYNC.md B1 target <= 300 ms: "
            f"{'MET' if mix['p95_ms'] <= 300 else 'MISSED'})"
        )
    pouch_many = next((s for s in summary if s["label"].startswith("PouchDB, ")), None)
    for s in many:
        k_label = s["label"].removeprefix("push, ")
        pairs = [
            ("executemany upsert (1 connection)", by[("executemany upsert, 100/group, 1 txn", 100)], 0.25),
            ("PouchDB, as many devices at once", pouch_many, 2.0),
        ]
        for other_name, other, target in pairs:
            if other is None:
                continue
            name = f"push({k_label}) / {other_name}"
            r, c = ratio(s, other), cpu_ratio(s, other)
            ratios[name] = {"throughput": r, "cpu": c, "target": target}
            verdict = "MET" if r >= target else "MISSED"
            print(f"  {name:42s} {r:8.3f}  (target >= {target:g}: {verdict}); by CPU {c:8.3f}")
        print(f"  p95 per request, {k_label}: {s['p95_ms']:.0f} ms")
    extra = [
        ("push(batch 100) / COPY", by[("COPY FROM STDIN, 1 txn", None)]),
        ("push(batch 100) / hand-SQL push", by[("hand-SQL push, 100/txn", 100)]),
    ]
    for name, other in extra:
        r, c = ratio(push100, other), cpu_ratio(push100, other)
        ratios[name] = {"throughput": r, "cpu": c}
        print(f"  {name:42s} {r:8.3f}  (context); by CPU {c:8.3f}")
    p95 = push100["p95_ms"]
    print(
        f"  p95 per 100-mutation request: {p95:.0f} ms "
        f"(SYNC.md B1 target <= 300 ms: {'MET' if p95 <= 300 else 'MISSED'})"
    )
    print(f"\ntotal wall time {time.monotonic() - started:.0f} s")
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {"machine": h.machine_note(), "summary": summary, "ratios": ratios, "mean_mutation_bytes": mean_bytes},
                indent=2,
                default=str,
            )
        )


if __name__ == "__main__":
    main()
