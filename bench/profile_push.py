"""Where does a push (or pull) request spend its time? In-process profiles of the real endpoint.

pyinstrument is NOT a project dependency: install it in a throwaway venv made from the same
Python as .venv and put that venv's site-packages on PYTHONPATH, e.g.

    python3.11 -m venv /tmp/prof && /tmp/prof/bin/pip install pyinstrument
    PYTHONPATH=/tmp/prof/lib/python3.11/site-packages .venv/bin/python bench/profile_push.py
    PYTHONPATH=... .venv/bin/python bench/profile_push.py --pull      # first-sync pull pages

Without pyinstrument only the SQL census and the CPU profile (stdlib cProfile) are printed.

It makes a throwaway database (dropped at the end), seeds it like sync_push.py, then drives the
real URL through Django's test client (the whole middleware stack, DRF, the services; no
gunicorn or socket) in passes over fresh mutations:
  0. this process's CPU per mutation without a profiler (median of 5 passes), and for a push,
     the same by stage (0b: the push's steps wrapped in process_time counters);
  1. SQL census: statements per request, by verb and table;
  2. pyinstrument (wall clock, so it includes waiting for PostgreSQL and for the CPU);
  3. cProfile with time.process_time (this process's CPU only), summed by layer
     (ORM, DB driver, DRF, our code, ...) plus the top functions by own CPU time.
"""

import argparse
import collections
import cProfile
import importlib.util
import os
import pstats
import sys
import time
import uuid
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness as h  # noqa: E402

# bench/pwa.py would shadow django-pwa's `pwa` package once Django loads the URLs in-process.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

LAYERS = [
    ("psycopg (driver, C and Python)", ("psycopg",)),
    ("django.db.models (ORM: querysets, SQL compiler, model init/save, full_clean fields)", ("django/db/models",)),
    (
        "django.db.backends + transaction (cursor wrappers, DEBUG query log, savepoints)",
        ("django/db/backends", "django/db/transaction", "django/db/utils"),
    ),
    ("rest_framework (parsers, serializers, fields, Response)", ("rest_framework",)),
    ("django core/middleware/http/sessions/auth/validators/i18n", ("django/",)),
    ("ivigapp (our code)", ("ivigapp/",)),
    ("other site-packages (axes, csp, whitenoise, ...)", ("site-packages",)),
    ("stdlib json", ("json/",)),
]


def layer_of(filename: str) -> str:
    for name, needles in LAYERS:
        if any(n in filename for n in needles):
            return name
    if filename.startswith("~") or filename.startswith("<"):
        return "builtins (C functions: json, str, dict, socket ...)"
    return "other stdlib (copy, uuid, datetime, decimal, re, ...)"


def stages_pass(requests_pass, unit):
    """Pass 0b: CPU by stage, without a profiler: the push's steps wrapped in process_time
    counters where they are called from (nested stages are included in their parents)."""
    import ivigapp.reactions.services.common as common
    import ivigapp.reactions.services.diary as diary
    import ivigapp.sync.api as api
    import ivigapp.sync.push as push

    spent = collections.Counter()

    def timed(name, fn):
        def wrapper(*a, **kw):
            t0 = time.process_time()
            try:
                return fn(*a, **kw)
            finally:
                spent[name] += time.process_time() - t0

        return wrapper

    patches = [
        (api, "push_apply", "push_apply (one transaction)"),
        (api, "_push_parse", "envelope parse (PushIn)"),
        (push, "_apply_run", "  _apply_run (set-wise run)"),
        (push, "_existing", "    rows that exist already"),
        (push, "diary_entries_record", "    diary_entries_record"),
        (diary, "validate_row", "      validate_row (full_clean)"),
        (diary, "save_many", "      save_many (stamp + COPY / UPDATE)"),
        (push, "insert_values", "  mutation log (COPY)"),
        (push, "_episodes", "    infusions (access module)"),
        (diary, "_part_new", "        _part_new (instances)"),
        (common, "stamp_rows", "        stamp_rows"),
        (common, "insert_new", "        insert_new (COPY)"),
        (api, "_plain", "  _plain"),
    ]
    saved = [(mod, attr, getattr(mod, attr)) for mod, attr, _ in patches]
    builders, parsers = dict(diary.ENTRY_BUILDERS), dict(push._CREATE_PARSE)
    try:
        for mod, attr, name in patches:
            setattr(mod, attr, timed(name, getattr(mod, attr)))
        for key, fn in builders.items():
            diary.ENTRY_BUILDERS[key] = timed("      builders (model instances)", fn)
        for key, fn in parsers.items():
            push._CREATE_PARSE[key] = timed("    table parse", fn)
        calls = requests_pass()
        cpu0 = time.process_time()
        for call in calls:
            call()
        total = time.process_time() - cpu0
    finally:
        for mod, attr, fn in saved:
            setattr(mod, attr, fn)
        diary.ENTRY_BUILDERS.update(builders)
        push._CREATE_PARSE.update(parsers)
    per = 1000 / (len(calls) * unit)
    names = [patches[1][2], patches[0][2], patches[2][2], patches[3][2], "    table parse", patches[4][2]]
    names += ["      builders (model instances)", patches[5][2], patches[6][2], patches[7][2]]
    names += [p[2] for p in patches[8:]]
    print(f"## 0b. CPU by stage, ms per mutation (one pass of {len(calls)} requests, no profiler; nested)")
    print(f"  {total * per:6.3f}  whole request (test client, middleware, view)")
    for name in names:  # in the order they nest
        print(f"  {spent[name] * per:6.3f}  {name}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--batches", type=int, default=3, help="requests per pass")
    parser.add_argument("--pull", action="store_true", help="profile first-sync pull pages instead")
    parser.add_argument("--rows", type=int, default=3000, help="rows seeded (by SQL) before profiling a pull")
    parser.add_argument("--page", type=int, default=500)
    parser.add_argument("--debug", type=int, default=1, choices=(0, 1), help="DEBUG setting of the app (default 1)")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--mix", action="store_true", help="SYNC.md B1's mix: 70 %% create, 20 %% edit, 10 %% delete")
    parser.add_argument("--cpu-only", action="store_true", help="pass 0 only (for comparing two checkouts)")
    parser.add_argument("--passes", type=int, default=5, help="passes of pass 0 (median)")
    args = parser.parse_args()
    try:
        from pyinstrument import Profiler
    except ImportError:
        Profiler = None
        h.log("pyinstrument not importable: skipping the wall-clock tree (see the docstring)")

    with h.Cleanup() as cleanup:
        work = h.workdir(cleanup)
        db = h.db_create(cleanup)
        env = h.app_env(db, work, conn_max_age=60, debug=bool(args.debug))
        h.migrate(env)
        seeded = h.seed(env)
        os.environ.update(env)
        sys.path.insert(0, str(h.ROOT))
        import django

        django.setup()
        from django.contrib.auth import get_user_model
        from django.db import connection
        from django.test import Client
        from django.test.utils import CaptureQueriesContext

        cleanup.callback(connection.close)
        http = Client(HTTP_HOST="127.0.0.1")
        http.force_login(get_user_model().objects.get(username=seeded["username"]))
        client_id = str(uuid.uuid4())
        r = http.post(
            "/api/sync/v1/clients", {"client_id": client_id, "schema_version": 1}, content_type="application/json"
        )
        assert r.status_code == 200, r.content
        started_at = datetime.fromisoformat(seeded["started_at"])
        state = {"next_id": 1, "cursor": None}

        def push(mutations):
            """One request, then more only if the server stopped at its time budget (bounded)."""
            for _attempt in range(10):
                body = h.push_body(client_id, mutations)
                r = http.generic("POST", "/api/sync/v1/push", body, content_type="application/json")
                assert r.status_code == 200, r.content
                done = r.json()["last_mutation_id"]
                mutations = [m for m in mutations if m["id"] > done]
                if not mutations:
                    return
            raise RuntimeError("push did not finish in 10 requests")

        def fresh(n):
            if args.mix:  # edits and deletes refer to rows created earlier in the same batch
                muts = h.make_mixed_mutations(seeded["episode_id"], n, started_at=started_at, seed=state["next_id"])
                muts = [{**m, "id": m["id"] + state["next_id"] - 1} for m in muts]
            else:
                muts = h.make_mutations(seeded["episode_id"], n, first_id=state["next_id"], started_at=started_at)
            state["next_id"] += n
            return muts

        if args.pull:
            # bench/ is off sys.path (see the top), so load the sibling script by its path.
            spec = importlib.util.spec_from_file_location("sync_push", Path(__file__).resolve().parent / "sync_push.py")
            sync_push = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(sync_push)
            run_hand_sql = sync_push.run_hand_sql

            with h.connect(db) as conn:
                run_hand_sql(conn, db, h.make_mutations(seeded["episode_id"], args.rows, started_at=started_at), seeded)

            def one_request():
                r = http.post(
                    "/api/sync/v1/pull",
                    {"client_id": client_id, "schema_version": 1, "cursor": state["cursor"], "limit": args.page},
                    content_type="application/json",
                )
                body = r.json()
                # Walk the first sync; start again from null when it is done.
                state["cursor"] = body["cursor"] if body["has_more"] else None

            what = f"first-sync pull pages of {args.page} rows ({args.rows}+ rows in the scope)"
            unit = args.page
        else:

            def one_request(muts=None):
                push(muts)

            what = f"push requests of {args.batch} create mutations"
            unit = args.batch

        def requests_pass():
            """(callable, ) per request; push bodies are made before the clock starts."""
            if args.pull:
                return [one_request for _ in range(args.batches)]
            batches = [fresh(args.batch) for _ in range(args.batches)]
            return [lambda m=m: one_request(m) for m in batches]

        for call in requests_pass():  # warm-up: imports, caches, first connection
            call()

        # Pass 0: this process's CPU without any profiler, median of the passes.
        plain = []
        for _ in range(args.passes):
            calls = requests_pass()
            cpu0 = time.process_time()
            for call in calls:
                call()
            plain.append((time.process_time() - cpu0) / (len(calls) * unit))
        print(
            f"## 0. CPU of the Django process without a profiler: {h.median(plain) * 1000:.2f} ms per "
            f"{'row' if args.pull else 'mutation'} (median of {args.passes} passes of {args.batches} requests; "
            f"range {min(plain) * 1000:.3f}-{max(plain) * 1000:.3f})"
        )

        if args.cpu_only:
            return
        if not args.pull:
            stages_pass(requests_pass, unit)

        # Pass 1: SQL census.
        per_request = []
        seconds = []
        for call in requests_pass():
            with CaptureQueriesContext(connection) as queries:
                t0 = time.perf_counter()
                call()
                seconds.append(time.perf_counter() - t0)
            per_request.append(queries.captured_queries)
        kinds, kind_seconds = collections.Counter(), collections.Counter()
        for q in per_request:
            for item in q:
                sql = item["sql"].lstrip()
                verb = sql.split(" ", 1)[0].upper()
                table = ""
                for marker in (' FROM "', ' INTO "', 'UPDATE "'):
                    if marker in sql:
                        table = sql.split(marker, 1)[1].split('"', 1)[0]
                        break
                kinds[f"{verb} {table}".strip()] += 1
                kind_seconds[f"{verb} {table}".strip()] += float(item["time"])
        counts = [len(q) for q in per_request]
        print(f"# {what}, DEBUG={args.debug}, {h.machine_note()}")
        print(
            f"\n## 1. SQL census over {len(per_request)} requests: {counts} statements per request "
            f"(~{h.median(counts) / unit:.2f} per {'row' if args.pull else 'mutation'}); "
            f"median request {h.median(seconds) * 1000:.0f} ms wall, of which "
            f"{sum(kind_seconds.values()) / len(seconds) * 1000:.0f} ms inside cursor.execute"
        )
        for key, n in kinds.most_common(30):
            print(f"  {n:6d}  {kind_seconds[key]:7.3f} s  {key}")

        # Pass 2: pyinstrument, wall clock.
        if Profiler is not None:
            profiler = Profiler(interval=0.001)
            for call in requests_pass():
                profiler.start()
                call()
                profiler.stop()
            print("\n## 2. pyinstrument (wall clock; includes waiting for PostgreSQL and for a CPU)")
            print(profiler.output_text(unicode=False, color=False, show_all=False, short_mode=True))

        # Pass 3: cProfile on this process's CPU time.
        prof = cProfile.Profile(time.process_time)
        calls = requests_pass()
        cpu0 = time.process_time()
        prof.enable()
        for call in calls:
            call()
        prof.disable()
        cpu = time.process_time() - cpu0
        stats = pstats.Stats(prof)
        by_layer = collections.Counter()
        rows = []
        for (filename, line, func), (_cc, nc, tt, ct, _callers) in stats.stats.items():
            by_layer[layer_of(filename)] += tt
            rows.append((tt, ct, nc, f"{filename.split('site-packages/')[-1].split('/work/main/')[-1]}:{line}({func})"))
        total = sum(by_layer.values()) or 1
        n_units = len(calls) * unit
        print(
            f"\n## 3. CPU of the Django process (cProfile, process_time; profiler overhead inflates it): "
            f"{cpu:.2f} s for {len(calls)} requests = {cpu / n_units * 1000:.2f} ms per "
            f"{'row' if args.pull else 'mutation'}"
        )
        print("own CPU time by layer:")
        for name, tt in by_layer.most_common():
            print(f"  {tt / total * 100:5.1f}%  {name}")
        print(f"top {args.top} functions by own CPU time (tottime, cumtime, calls):")
        for tt, ct, nc, name in sorted(rows, reverse=True)[: args.top]:
            print(f"  {tt:7.3f} {ct:7.3f} {nc:8d}  {name}")
        print("cumulative CPU of selected steps:")
        wanted = (
            "push",
            "push_apply",
            "_apply_run",
            "diary_entries_record",
            "save_many",
            "bulk_create",
            "run_validation",
            "_apply",
            "_patient_for",
            "_apply_to_row",
            "create_row",
            "is_valid",
            "validate_row",
            "full_clean",
            "stamp_row",
            "save_new",
            "_episode",
            "pull_changes",
            "_row",
            "_open_conflicts",
            "render",
        )
        seen = set()
        for _tt, ct, nc, name in sorted(rows, key=lambda r: -r[1]):
            func = name.rsplit("(", 1)[1][:-1]
            if (
                func in wanted
                and func not in seen
                and ("ivigapp" in name or func in ("is_valid", "full_clean", "render"))
            ):
                seen.add(func)
                print(f"  {ct / cpu * 100:5.1f}%  {ct:7.3f} s  {nc:7d} calls  {name}")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
