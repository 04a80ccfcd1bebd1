"""Shared plumbing for the sync benchmarks (bench/sync_push.py, bench/sync_pull.py).

Everything here is loopback-only and bounded: a throwaway PostgreSQL database, a gunicorn on a
free 127.0.0.1 port, pouchdb-server on another, CPU accounting from /proc, and a tiny HTTP
client that signs in like the PWA does (session cookie + X-CSRFToken). `Cleanup` undoes every
start in reverse order, also when a run fails.

Not part of the test suite; nothing here asserts on time.
"""

import concurrent.futures
import contextlib
import gzip
import json
import os
import random
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import requests

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
VENV_BIN = ROOT / ".venv" / "bin"
PYTHON = VENV_BIN / "python"
POUCH_DIR = BENCH / "pouchdb"
PG = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}
CLK_TCK = os.sysconf("SC_CLK_TCK")
PASSWORD = "bench-" + secrets.token_hex(8)
SCHEMA_VERSION = 1


def log(*parts):
    print(*parts, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# Cleanup: every start registers its undo here, run in reverse order even on failure.


class Cleanup(contextlib.ExitStack):
    def __exit__(self, *exc):
        # Ctrl-C during cleanup must not leave servers behind: ignore it until we are done.
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            return super().__exit__(*exc)
        finally:
            signal.signal(signal.SIGINT, previous)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------------------------------------
# PostgreSQL: a throwaway database per script run.


def db_create(cleanup: Cleanup) -> str:
    name = "ivig_bench_" + secrets.token_hex(4)
    with psycopg.connect(dbname="postgres", autocommit=True, **PG) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    cleanup.callback(db_drop, name)
    log(f"created database {name}")
    return name


def db_drop(name: str) -> None:
    assert name.startswith("ivig_bench_")
    with psycopg.connect(dbname="postgres", autocommit=True, **PG) as conn:
        # FORCE ends only the sessions connected to this throwaway database (ours).
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    log(f"dropped database {name}")


def db_url(name: str) -> str:
    return f"postgres://{PG['user']}@{PG['host']}:{PG['port']}/{name}"


def connect(name: str, **kwargs) -> psycopg.Connection:
    return psycopg.connect(dbname=name, **PG, **kwargs)


def app_env(dbname: str, data_dir: Path, *, conn_max_age: int, debug: bool = True) -> dict:
    """The environment gunicorn, migrate and the seeding run with. DEBUG=1 as the brief asks (it
    also keeps plain-HTTP cookies); data dir and Celery's filesystem broker in a temp folder so
    nothing lands in the work tree."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "CELERY_"))}
    env.update(
        DATABASE_URL=db_url(dbname),
        DEBUG="1" if debug else "0",
        DB_CONN_MAX_AGE=str(conn_max_age),
        IVIGAPP_DATA_DIR=str(data_dir),
        DEMO_PASSWORD=PASSWORD,
        DJANGO_SETTINGS_MODULE="ivigapp.settings",
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
        AXES_FAILURE_LIMIT="1000",
    )
    if not debug:
        env.update(
            SECRET_KEY="bench-" + secrets.token_hex(32),
            ALLOWED_HOSTS="127.0.0.1",
            SECURE_SSL_REDIRECT="0",
            SECURE_HSTS_SECONDS="0",
            STATIC_MANIFEST="0",
        )
    return env


def migrate(env: dict) -> float:
    started = time.monotonic()
    subprocess.run(
        [str(PYTHON), "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True, timeout=300
    )
    return time.monotonic() - started


def seed(env: dict, *, patients: int = 1) -> dict:
    """demo_seed + a product, a rate protocol, a plan and an in-progress infusion for patient1
    (and patient2..N with patients=N, under "patients")."""
    out = subprocess.run(
        [str(PYTHON), str(BENCH / "_seed.py")],
        cwd=ROOT,
        env={**env, "BENCH_PATIENTS": str(patients)},
        check=True,
        timeout=300,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------------------------------
# CPU accounting from /proc (utime + stime of live processes; see README for what it misses).


def proc_stat(pid: int):
    """(ppid, cpu seconds) or None when the process is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = raw[raw.rindex(")") + 2 :].split()
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / CLK_TCK


def proc_cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except (FileNotFoundError, ProcessLookupError):
        return ""


def all_pids():
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]


def children(pid: int) -> list[int]:
    found = []
    for p in all_pids():
        st = proc_stat(p)
        if st and st[0] == pid:
            found.append(p)
    return found


PG_BACKGROUND = ("checkpointer", "background writer", "walwriter", "autovacuum launcher", "logical replication")


def postgres_pids(dbname: str) -> list[int]:
    """The postmaster, its background processes (WAL writer etc.), and backends connected to our
    throwaway database only: other sessions' backends on the shared server are left out."""
    pids = []
    for p in all_pids():
        cmd = proc_cmdline(p)
        if not cmd.startswith(("postgres:", "/usr/lib/postgresql/")):
            continue
        if cmd.startswith("/usr/lib/postgresql/") or f" {dbname} " in cmd + " ":
            pids.append(p)
        elif any(name in cmd for name in PG_BACKGROUND):
            pids.append(p)
    return pids


class CpuMeter:
    """Server CPU-seconds between start() and stop(), summed over named groups of processes
    (e.g. {"app": gunicorn.pids, "pg": ...}); each group's function lists pids at both ends, and
    a process born in between counts from zero. stop() returns the total; `by_group` the split."""

    def __init__(self, pids_fn=None, **groups):
        self.groups = groups or {"all": pids_fn}

    def _sample(self) -> dict:
        out = {}
        for name, fn in self.groups.items():
            for pid in fn():
                st = proc_stat(pid)
                if st:
                    out[(name, pid)] = st[1]
        return out

    def start(self):
        self.before = self._sample()

    def stop(self) -> float:
        after = self._sample()
        self.by_group = dict.fromkeys(self.groups, 0.0)
        for (name, pid), cpu in after.items():
            self.by_group[name] += cpu - self.before.get((name, pid), 0.0)
        return sum(self.by_group.values())


# ---------------------------------------------------------------------------------------------
# gunicorn


class Gunicorn:
    def __init__(self, env: dict, cleanup: Cleanup, *, workers: int = 2, threads: int = 1, log_dir: Path):
        """threads > 1 runs gthread workers (keep-alive), as the Procfile does; 1 runs sync workers."""
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = open(log_dir / f"gunicorn-{self.port}.log", "w")  # noqa: SIM115 (closed in stop)
        self.proc = subprocess.Popen(
            [
                str(VENV_BIN / "gunicorn"),
                "ivigapp.wsgi",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(workers),
                "--worker-class",
                "gthread" if threads > 1 else "sync",
                "--threads",
                str(threads),
                "--timeout",
                "60",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        cleanup.callback(self.stop)
        deadline = time.monotonic() + 120
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited: see {self.log.name}")
            try:
                if requests.get(self.base + "/accounts/login/", timeout=30).status_code == 200:
                    break
            except (requests.ConnectionError, requests.Timeout):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("gunicorn did not answer within 120 s")
            time.sleep(0.2)
        log(f"gunicorn pid {self.proc.pid} on {self.base}, workers {self.worker_pids()}")

    def worker_pids(self) -> list[int]:
        return children(self.proc.pid)

    def pids(self) -> list[int]:
        return [self.proc.pid, *self.worker_pids()]

    def stop(self):
        if self.proc.poll() is None:
            workers = self.worker_pids()
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                for pid in [self.proc.pid, *workers]:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
                self.proc.wait(timeout=5)
            log(f"gunicorn pid {self.proc.pid} stopped")
        self.log.close()


# ---------------------------------------------------------------------------------------------
# pouchdb-server (npm), LevelDB on disk


def pouch_install() -> None:
    if (POUCH_DIR / "node_modules" / "pouchdb-server").is_dir() and (
        POUCH_DIR / "node_modules" / "pouchdb-node"
    ).is_dir():
        return
    log("installing bench/pouchdb (npm ci) ...")
    subprocess.run(
        ["npm", "ci", "--no-audit", "--no-fund", "--loglevel", "error"], cwd=POUCH_DIR, check=True, timeout=900
    )


class PouchServer:
    def __init__(self, cleanup: Cleanup, *, work: Path):
        pouch_install()
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.dir = work / f"pouchdb-server-{self.port}"
        self.dir.mkdir()
        self.proc = subprocess.Popen(
            [
                "node",
                str(POUCH_DIR / "node_modules" / "pouchdb-server" / "bin" / "pouchdb-server"),
                "--port",
                str(self.port),
                "--host",
                "127.0.0.1",
                "--dir",
                str(self.dir),
                "--config",
                str(self.dir / "config.json"),
                "--no-stdout-logs",
            ],
            cwd=self.dir,
            stdout=subprocess.DEVNULL,
            stderr=open(self.dir / "stderr.txt", "w"),  # noqa: SIM115
            start_new_session=True,
        )
        cleanup.callback(self.stop)
        deadline = time.monotonic() + 60
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"pouchdb-server exited: see {self.dir}/stderr.txt")
            try:
                info = requests.get(self.base + "/", timeout=30).json()
                break
            except (requests.ConnectionError, requests.Timeout, ValueError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("pouchdb-server did not answer within 60 s")
            time.sleep(0.2)
        self.adapters = info.get("pouchdb-adapters")
        log(f"pouchdb-server pid {self.proc.pid} on {self.base} (adapters {self.adapters}, dir {self.dir})")

    def pids(self) -> list[int]:
        return [self.proc.pid, *children(self.proc.pid)]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
            log(f"pouchdb-server pid {self.proc.pid} stopped")


def _node_argv(script: str, args: dict) -> list[str]:
    argv = ["node", str(POUCH_DIR / script)]
    for key, value in args.items():
        argv += [f"--{key}", str(value)]
    return argv


def node_script(script: str, args: dict, *, timeout: float = 300) -> dict:
    """Runs bench/pouchdb/<script> with --key value args; it prints one JSON object last."""
    out = subprocess.run(
        _node_argv(script, args), cwd=POUCH_DIR, check=True, timeout=timeout, capture_output=True, text=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def node_scripts_parallel(script: str, many_args: list[dict], *, timeout: float = 300) -> list[dict]:
    """node_script for several argument sets at once, one process each; waits for all."""
    procs = [
        subprocess.Popen(
            _node_argv(script, a), cwd=POUCH_DIR, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for a in many_args
    ]
    results = []
    try:
        for proc in procs:
            out, err = proc.communicate(timeout=timeout)
            if proc.returncode:
                raise RuntimeError(f"{script} failed ({proc.returncode}): {err[-500:]}")
            results.append(json.loads(out.strip().splitlines()[-1]))
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=5)
    return results


# ---------------------------------------------------------------------------------------------
# The app's HTTP API, as the PWA speaks it


class ApiClient:
    def __init__(self, base: str, username: str, password: str):
        self.base = base
        self.http = requests.Session()
        page = self.http.get(base + "/accounts/login/", timeout=30)
        page.raise_for_status()
        self._loopback_cookies()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        done = self.http.post(
            base + "/accounts/login/",
            data={"username": username, "password": password, "csrfmiddlewaretoken": token},
            headers={"Referer": base + "/accounts/login/"},
            allow_redirects=False,
            timeout=30,
        )
        if done.status_code != 302:
            raise RuntimeError(f"login failed: {done.status_code}")
        self._loopback_cookies()
        csrf = next(c.value for c in self.http.cookies if c.name.endswith("csrftoken"))
        self.headers = {"X-CSRFToken": csrf, "Content-Type": "application/json"}

    def _loopback_cookies(self) -> None:
        """With DEBUG=0 the app sets Secure `__Host-` cookies; on plain-HTTP loopback send them
        anyway, as a browser does for http://127.0.0.1 (a potentially trustworthy origin)."""
        for cookie in self.http.cookies:
            cookie.secure = False

    def post_raw(self, path: str, body: bytes) -> requests.Response:
        response = self.http.post(self.base + path, data=body, headers=self.headers, timeout=60)
        if "Set-Cookie" in response.headers:
            self._loopback_cookies()
        return response

    def post(self, path: str, payload: dict) -> requests.Response:
        return self.post_raw(path, json.dumps(payload).encode())

    def register(self) -> str:
        client_id = str(uuid.uuid4())
        r = self.post("/api/sync/v1/clients", {"client_id": client_id, "schema_version": SCHEMA_VERSION})
        if r.status_code != 200:
            raise RuntimeError(f"client registration failed: {r.status_code} {r.text[:300]}")
        return client_id


def push_body(client_id: str, mutations: list[dict]) -> bytes:
    return json.dumps(
        {"client_id": client_id, "schema_version": SCHEMA_VERSION, "mutations": mutations}, separators=(",", ":")
    ).encode()


def push_all(api: ApiClient, client_id: str, mutations: list[dict], batch: int, *, check=True, barrier=None) -> dict:
    """Pushes `mutations` in requests of `batch`, bodies encoded before the clock starts.
    Re-sends the tail when the server stops at its time budget (bounded). With a
    threading.Barrier, waits there first, so concurrent clients start together."""
    bodies = [push_body(client_id, mutations[i : i + batch]) for i in range(0, len(mutations), batch)]
    latencies, requests_made, bytes_sent, not_applied = [], 0, 0, 0
    if barrier is not None:
        barrier.wait(timeout=120)
    started = time.perf_counter()
    for i, body in enumerate(bodies):
        chunk = mutations[i * batch : (i + 1) * batch]
        for _attempt in range(10):
            t0 = time.perf_counter()
            r = api.post_raw("/api/sync/v1/push", body)
            latencies.append(time.perf_counter() - t0)
            requests_made += 1
            bytes_sent += len(body)
            if r.status_code != 200:
                raise RuntimeError(f"push failed: {r.status_code} {r.text[:500]}")
            reply = r.json()
            if check:
                not_applied += sum(1 for res in reply["results"] if res["status"] != "applied")
            if reply["last_mutation_id"] >= chunk[-1]["id"]:
                break
            body = push_body(client_id, [m for m in chunk if m["id"] > reply["last_mutation_id"]])
        else:
            raise RuntimeError("push did not finish a batch in 10 requests")
    elapsed = time.perf_counter() - started
    if not_applied:
        raise RuntimeError(f"{not_applied} mutations were not applied (see results)")
    return {
        "seconds": elapsed,
        "started": started,
        "ended": started + elapsed,
        "latencies": latencies,
        "requests": requests_made,
        "bytes_sent": bytes_sent,
    }


def push_concurrently(jobs: list[tuple], batch: int) -> dict:
    """Several devices push at once: jobs are (ApiClient, client_id, mutations), one thread each.
    seconds = from the first start to the last finish (bodies are encoded before the start)."""
    barrier = threading.Barrier(len(jobs))
    with concurrent.futures.ThreadPoolExecutor(len(jobs)) as pool:
        futures = [pool.submit(push_all, api, cid, muts, batch, barrier=barrier) for api, cid, muts in jobs]
        parts = [f.result() for f in futures]
    return {
        "seconds": max(p["ended"] for p in parts) - min(p["started"] for p in parts),
        "latencies": [x for p in parts for x in p["latencies"]],
        "requests": sum(p["requests"] for p in parts),
        "bytes_sent": sum(p["bytes_sent"] for p in parts),
    }


# ---------------------------------------------------------------------------------------------
# The workload: diary mutations on one in-progress infusion (hydration, vial, medication creates)

MEDICINES = [
    ("premed", "paracetamol (acetaminophen) 500 mg tablets", "1 g by mouth"),
    ("premed", "cetirizine hydrochloride 10 mg film-coated tablet", "10 mg by mouth"),
    ("as_needed", "ibuprofen 200 mg tablets, taken with food", "400 mg by mouth"),
    ("as_needed", "chlorphenamine maleate 4 mg tablets", "4 mg by mouth"),
]
PHASES = ["day_before", "same_day", "during", "after"]


def uuid7(ms: int | None = None) -> uuid.UUID:
    """A UUIDv7 as the PWA makes them (48-bit ms timestamp, version 7, random rest)."""
    ms = int(time.time() * 1000) if ms is None else ms
    rand = int.from_bytes(os.urandom(10), "big")
    value = (ms & ((1 << 48) - 1)) << 80 | 0x7 << 76 | (rand >> 68 & 0xFFF) << 64 | 0b10 << 62 | rand & ((1 << 62) - 1)
    return uuid.UUID(int=value)


def make_mutations(episode_id: str, n: int, *, first_id: int = 1, started_at: datetime) -> list[dict]:
    """n create mutations, cycling hydration / vial / medication, timed inside the infusion."""
    now_ms = int(time.time() * 1000)
    out = []
    for i in range(n):
        at = (started_at + timedelta(seconds=5 + (i % 3000))).astimezone(UTC)
        kind = i % 3
        if kind == 0:
            table = "hydration"
            fields = {"phase": PHASES[i % 4], "volume_ml": 100 + (i * 37) % 900, "logged_at": at.isoformat()}
        elif kind == 1:
            table = "vial"
            fields = {
                "lot_number": f"LE{(i * 7919) % 1000000:06d}-AB",
                "expiry_date": "2028-06-30",
                "vial_size_g": ["5.0", "10.0", "20.0"][i % 3],
                "quantity": 1 + i % 4,
            }
        else:
            table = "medication"
            category, drug, dose = MEDICINES[i % len(MEDICINES)]
            fields = {"category": category, "drug": drug, "dose": dose, "given_at": at.isoformat()}
        out.append(
            {
                "id": first_id + i,
                "kind": "upsert",
                "table": table,
                "row_id": str(uuid7(now_ms + i)),
                "base_version": None,
                "set": {"episode_id": episode_id, **fields},
                "base": {},
                "recorded_at": (at + timedelta(seconds=2)).isoformat(),
                "mutation_format": 1,
            }
        )
    return out


EDITS = {  # table -> (field, new value for the i-th edit): a draft correction a phone would send
    "hydration": ("volume_ml", lambda i: 150 + (i * 53) % 800),
    "vial": ("quantity", lambda i: 1 + i % 5),
    "medication": ("dose", lambda i: f"{1 + i % 3} tablets by mouth"),
}


def make_mixed_mutations(episode_id: str, n: int, *, started_at: datetime, seed: int = 1) -> list[dict]:
    """SYNC.md B1's mix: 70 % creates, 20 % field edits and 10 % deletes of rows created earlier in
    the same stream, each edit and delete based on the version the device last saw of its row."""
    rng = random.Random(seed)
    creates = iter(make_mutations(episode_id, n, started_at=started_at))
    live: dict[str, dict] = {}  # row id -> {"table", "version", "set"}
    out = []
    for i in range(n):
        roll = rng.random()
        if live and roll >= 0.7:
            row_id = rng.choice(sorted(live))
            row = live[row_id]
            base = {
                "id": i + 1,
                "table": row["table"],
                "row_id": row_id,
                "base_version": row["version"],
                "recorded_at": None,
                "mutation_format": 1,
            }
            if roll < 0.9:
                field, value = EDITS[row["table"]]
                new = value(i)
                out.append({**base, "kind": "upsert", "set": {field: new}, "base": {field: row["set"][field]}})
                row["set"][field] = new
                row["version"] += 1
            else:
                out.append({**base, "kind": "delete", "set": {}, "base": {}})
                del live[row_id]
            continue
        create = {**next(creates), "id": i + 1}
        out.append(create)
        live[create["row_id"]] = {"table": create["table"], "version": 1, "set": dict(create["set"])}
    return out


def mean_json_bytes(items) -> float:
    return statistics.fmean(len(json.dumps(m, separators=(",", ":"))) for m in items)


# ---------------------------------------------------------------------------------------------
# Numbers


def percentile(values, q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    s = sorted(values)
    if not s:
        return float("nan")
    k = (len(s) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def median(values) -> float:
    return statistics.median(values) if values else float("nan")


def iqr(values) -> tuple[float, float]:
    return percentile(values, 0.25), percentile(values, 0.75)


def gzip_len(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=6))


def table(rows: list[list], header: list[str]) -> str:
    cells = [header, *[[str(c) for c in r] for r in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = []
    for j, r in enumerate(cells):
        lines.append("  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True))))
        if j == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def machine_note() -> str:
    load = os.getloadavg()
    return (
        f"{datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}; {os.cpu_count()} CPUs; "
        f"load average at start {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
    )


def workdir(cleanup: Cleanup) -> Path:
    path = Path(tempfile.mkdtemp(prefix="ivig-bench-"))
    cleanup.callback(shutil.rmtree, path, True)
    return path
