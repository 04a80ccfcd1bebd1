"""RELIABILITY T15 / DESIGN section 11: a Monday-morning burst of reminders on this 2-core machine.

    .venv/bin/python bench/reminders_burst.py                      # 10,000 reminders, the figure
    .venv/bin/python bench/reminders_burst.py --reminders 1000     # a quick trial
    .venv/bin/python bench/reminders_burst.py --profile            # + where the time goes

What it does, all on loopback and bounded (a total cap of about 6 minutes, `--cap`):
  1. a throwaway PostgreSQL database (random name, dropped at the end), `manage.py migrate` in a
     subprocess, the demo seed (bench/_seed.py), DEBUG=0 and the shipped DB_CONN_MAX_AGE=0;
  2. a loopback Web Push service in this process (tests/reminders/pushreceiver.py: real P-256
     subscription keys, decrypts every RFC 8291 payload) with one subscription per patient, and
     the time each payload arrives;
  3. the baseline: a bare `pywebpush.webpush()` loop (encrypt + VAPID + POST, the same arguments
     channels.push_send uses, no database, no Celery) to the same receiver, in 1 and 2 processes;
     webpush() opens a connection and signs a VAPID token per send. Then the same loop with one
     keep-alive session and one VAPID signature ("x1 keep-alive"), the app's transport without
     the database and Celery;
  4. N reminders (default 10,000) due at the same instant, written in bulk as test data;
  5. real Celery workers (subprocesses, Redis broker, a private queue; `-c 2` prefork as the
     Procfile) and a dispatcher loop in this process calling `reminders_dispatch(limit=1000)` every
     second (beat's `reminders_dispatch_all` loops the same call until nothing is due); each call
     publishes one send task per 100 deliveries. It runs until every tag has arrived and every
     delivery is `sent`, or the cap;
  6. the figures: p50/p99 lag from due to received, sends/s, lost, duplicates by tag, CPU.

Nothing here asserts on time; it prints what it measured, also when the burst did not finish.
"""

import argparse
import contextlib
import cProfile
import json
import os
import pstats
import secrets
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from datetime import timedelta
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(ROOT))

import _harness as h  # noqa: E402

BODY = "You have a reminder from your care team. Open ivigapp to see it."
VAPID_SUBJECT = "mailto:care-team@ivigapp.invalid"
PUSH_TTL = 4 * 3600


# ---------------------------------------------------------------------------------------------
# The baseline: a bare pywebpush loop, in a child process (so the receiver's process is the same
# for the baseline and for the app). It prints "ready", waits for a line on stdin, sends, and
# prints one JSON line.


def bare_child(spec: dict) -> None:
    from py_vapid import Vapid
    from pywebpush import WebPushException, webpush

    key = Vapid.from_file(spec["vapid_pem"])
    subscription = {"endpoint": spec["endpoint"], "keys": spec["keys"]}
    aud = spec["endpoint"].split("/push/")[0]
    session = authorization = None
    if spec.get("keepalive"):
        # The loop with the app's transport tricks and nothing else: one keep-alive session that
        # does not re-read the proxy variables per request, and one VAPID signature for the run.
        import requests

        session = requests.Session()
        session.trust_env = False
        authorization = key.sign({"sub": VAPID_SUBJECT, "aud": aud, "exp": int(time.time()) + 12 * 3600})
    print("ready", flush=True)
    sys.stdin.readline()
    spec_cpu = sum(os.times()[:2])  # CPU before the first send: imports and key loading left out
    sent = errors = 0
    first = time.time()
    for _ in range(spec["count"]):
        if time.time() - first > spec["budget"]:
            break
        rid = uuid.uuid4()
        data = json.dumps(
            {
                "type": "reminder",
                "id": str(rid),
                "tag": rid.hex,
                "title": "ivigapp",
                "body": BODY,
                "url": f"/app/#/reminder/{rid}",
            }
        )
        try:
            webpush(
                subscription_info=subscription,
                data=data,
                vapid_private_key=key,
                vapid_claims=None if authorization else {"sub": VAPID_SUBJECT, "aud": aud},
                ttl=PUSH_TTL,
                headers={"Topic": rid.hex, "Urgency": "high", **(authorization or {})},
                timeout=10,
                requests_session=session,
            )
            sent += 1
        except (WebPushException, OSError):
            errors += 1
    last = time.time()
    cpu = sum(os.times()[:2])  # this process's user + system seconds (imports included, see below)
    print(json.dumps({"sent": sent, "errors": errors, "first": first, "last": last, "cpu": cpu - spec_cpu}), flush=True)


def bare_run(
    receiver, subscription: dict, vapid_pem: Path, total: int, processes: int, budget: float, keepalive: bool = False
) -> dict:
    """`total` payloads split over `processes` children started together; rate over the union of
    their sending windows. The CPU of the senders and of this process (the receiver) is counted."""
    receiver_reset(receiver)
    counts = [total // processes + (1 if i < total % processes else 0) for i in range(processes)]
    children = []
    try:
        for count in counts:
            spec = {**subscription, "vapid_pem": str(vapid_pem), "count": count, "budget": budget}
            spec["keepalive"] = keepalive
            child = subprocess.Popen(
                [str(h.PYTHON), __file__, "--bare-child", json.dumps(spec)],
                cwd=ROOT,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
                start_new_session=True,
            )
            children.append(child)
        for child in children:
            if child.stdout.readline().strip() != "ready":
                raise RuntimeError("bare pywebpush child did not start")
        meter = h.CpuMeter(receiver=lambda: [os.getpid()])
        meter.start()
        for child in children:
            child.stdin.write("go\n")
            child.stdin.flush()
        results = [json.loads(child.communicate(timeout=budget + 60)[0].strip().splitlines()[-1]) for child in children]
        receiver_cpu = meter.stop()
    finally:
        for child in children:
            if child.poll() is None:
                os.killpg(child.pid, signal.SIGKILL)
                child.wait(timeout=10)
    sent = sum(r["sent"] for r in results)
    seconds = max(r["last"] for r in results) - min(r["first"] for r in results)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and len(receiver_snapshot(receiver)) < sent:
        time.sleep(0.1)
    tags = Counter(payload["tag"] for _, payload in receiver_snapshot(receiver))
    return {
        "processes": processes,
        "name": f"x{processes}" + (" keep-alive" if keepalive else ""),
        "asked": total,
        "sent": sent,
        "errors": sum(r["errors"] for r in results),
        "received": len(tags),
        "duplicates": sum(tags.values()) - len(tags),
        "seconds": seconds,
        "rate": sent / seconds if seconds else float("nan"),
        "cpu_senders": sum(r["cpu"] for r in results),
        "cpu_receiver": receiver_cpu,
    }


# ---------------------------------------------------------------------------------------------
# The receiver: tests/reminders/pushreceiver.py as is; its `received` list is swapped for one
# that also notes when each payload arrived (the receiver appends under its own lock).


class TimedList(list):
    def __init__(self):
        super().__init__()
        self.times = []

    def append(self, item):
        self.times.append(time.time())
        super().append(item)


def receiver_reset(receiver) -> None:
    with receiver.lock:
        receiver.received = TimedList()
        receiver.connections = set()


def receiver_snapshot(receiver) -> list[tuple[float, dict]]:
    with receiver.lock:
        return [
            (t, payload)
            for t, (_sub, _headers, payload) in zip(receiver.received.times, receiver.received, strict=True)
        ]


# ---------------------------------------------------------------------------------------------
# Celery workers: subprocesses on a private queue, stopped (and their pool children) at the end.


class Workers:
    def __init__(self, env: dict, queue: str, *, count: int, concurrency: int, pool: str, loglevel: str, log_dir: Path):
        self.env, self.queue, self.count, self.concurrency, self.pool = env, queue, count, concurrency, pool
        self.loglevel, self.log_dir = loglevel, log_dir
        self.procs, self.logs = [], []
        self.hostnames = [f"{queue}-{i}@bench" for i in range(count)]

    def start(self):
        for hostname in self.hostnames:
            log = open(self.log_dir / f"worker-{hostname.split('@')[0]}.log", "w")  # noqa: SIM115 (closed in stop)
            self.logs.append(log)
            # As the Procfile runs it, plus the private queue and a name.
            argv = [str(h.PYTHON), "-m", "celery", "-A", "ivigapp", "worker", "-Q", self.queue]
            argv += ["-c", str(self.concurrency), "--pool", self.pool, "--without-gossip", "--without-mingle"]
            argv += ["--loglevel", self.loglevel, "--hostname", hostname]
            self.procs.append(
                subprocess.Popen(
                    argv, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
                )
            )

    def wait_ready(self, app, seconds: float) -> float:
        started = time.monotonic()
        while time.monotonic() - started < seconds:
            for proc in self.procs:
                if proc.poll() is not None:
                    raise RuntimeError(f"a Celery worker exited: see {self.log_dir}")
            replies = app.control.ping(destination=self.hostnames, timeout=1.0)
            if {name for reply in replies for name in reply} >= set(self.hostnames):
                return time.monotonic() - started
        raise RuntimeError(f"Celery workers not ready within {seconds:.0f} s: see {self.log_dir}")

    def pids(self) -> list[int]:
        return [pid for proc in self.procs if proc.poll() is None for pid in (proc.pid, *h.children(proc.pid))]

    def stop(self):
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)  # warm shutdown: unacked messages go back to the queue
        for proc in self.procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)  # its own session: the main process and its pool
                proc.wait(timeout=10)
            else:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)  # pool children left behind, if any
        for log in self.logs:
            log.close()
        if self.procs:
            h.log(f"workers {[p.pid for p in self.procs]} stopped")
        self.procs = []
        self.logs = []


def redis_pids() -> list[int]:
    return [pid for pid in h.all_pids() if h.proc_cmdline(pid).startswith(("redis-server", "/usr/bin/redis-server"))]


def redis_cleanup(broker_url: str, queue: str) -> None:
    import redis

    client = redis.Redis.from_url(broker_url)
    # The queue list and kombu's binding keys (`_kombu.binding.<q>`, `_kombu.binding_permanent.<q>`).
    keys = {queue.encode(), *client.scan_iter(match=f"_kombu.binding*.{queue}")}
    removed = client.delete(*keys)
    h.log(f"removed {removed} Redis keys of queue {queue}")


# ---------------------------------------------------------------------------------------------
# The dispatcher: beat's job, every second instead of every minute.


class Dispatcher(threading.Thread):
    def __init__(self, limit: int, interval: float, profile: bool):
        super().__init__(name="dispatcher", daemon=True)
        self.limit, self.interval = limit, interval
        self.stop_event = threading.Event()
        self.ticks = []  # (epoch start, seconds, claimed, SQL statements, this thread's CPU seconds)
        self.statements = 0
        self.error = None
        self.profiler = cProfile.Profile() if profile else None

    def count(self, execute, sql, params, many, context):
        self.statements += 1
        return execute(sql, params, many, context)

    def run(self):
        from django.db import connection, connections

        from ivigapp.reminders import services

        try:
            with connection.execute_wrapper(self.count):
                while not self.stop_event.is_set():
                    started, before, cpu = time.time(), self.statements, time.thread_time()
                    if self.profiler:
                        self.profiler.enable()  # only inside the call: the waits between ticks are left out
                    claimed = services.reminders_dispatch(limit=self.limit)
                    if self.profiler:
                        self.profiler.disable()
                    took = time.time() - started
                    self.ticks.append((started, took, claimed, self.statements - before, time.thread_time() - cpu))
                    self.stop_event.wait(max(0.0, self.interval - took))
        except Exception as error:  # reported by the main thread
            self.error = error
        finally:
            connections.close_all()

    def stop(self):
        """A tick in progress is not interrupted; after 15 s it is left to die with the database."""
        self.stop_event.set()
        self.join(timeout=15)
        if self.is_alive():
            h.log("the dispatcher is still inside a tick; its transaction ends when the database is dropped")

    def committed_at(self, dispatched_at: float) -> float:
        """When the tick that claimed a reminder (its `dispatched_at` is the tick's `now`) committed,
        which is when its send tasks were published."""
        best = None
        for started, took, *_rest in self.ticks:
            if started <= dispatched_at + 0.001:
                best = started + took
        return best if best is not None else float("nan")


# ---------------------------------------------------------------------------------------------
# Test data


def patients_with_plans(count: int):
    from ivigapp.reactions.models import Plan

    chosen = {}
    for plan in Plan.objects.select_related("patient__user").order_by("pk"):
        chosen.setdefault(plan.patient_id, (plan.patient, plan))
    return list(chosen.values())[:count]


def reminders_bulk(cast, count: int, due, label: str) -> None:
    """Test data only: one infusion with one due reminder each, spread over the patients."""
    from django.utils import timezone

    from ivigapp.reactions.models import InfusionEpisode
    from ivigapp.reminders.models import Reminder
    from ivigapp.sync.models import SyncScope, patient_scope_id

    now = timezone.now()
    for index, (patient, plan) in enumerate(cast):
        mine = count // len(cast) + (1 if index < count % len(cast) else 0)
        scope, _ = SyncScope.objects.get_or_create(id=patient_scope_id(patient.pk))
        for start in range(0, mine, 2000):
            episodes = InfusionEpisode.objects.bulk_create(
                [
                    InfusionEpisode(
                        patient=patient,
                        plan=plan,
                        scheduled_start=now + timedelta(minutes=30),
                        scope=scope,
                        entered_by="patient",
                        entered_by_user=patient.user,
                    )
                    for _ in range(min(2000, mine - start))
                ]
            )
            Reminder.objects.bulk_create(
                [
                    Reminder(
                        patient=patient,
                        episode=e,
                        kind="infusion_start",
                        due_at=due,
                        local_due=label,
                        safety_critical=True,
                    )
                    for e in episodes
                ]
            )


def statement_census(cast, count: int, celery_app) -> dict:
    """SQL statements and this thread's CPU for `count` reminders dispatched and sent in this
    thread: the send tasks run eagerly at commit, so this is the dispatcher plus the send task
    body, without Celery, the broker or connecting. A first small round warms up imports."""
    from django.db import connection
    from django.utils import timezone

    from ivigapp.reminders import services

    statements = 0

    def counter(execute, sql, params, many, context):
        nonlocal statements
        statements += 1
        return execute(sql, params, many, context)

    celery_app.conf.task_always_eager = True
    try:
        for label, size in (("bench-census-warm", 5), ("bench-census", count)):
            reminders_bulk(cast, size, timezone.now() - timedelta(seconds=1), label)
            statements, cpu, wall = 0, time.thread_time(), time.perf_counter()
            with connection.execute_wrapper(counter):
                sent = services.reminders_dispatch(limit=size)
            cpu, wall = time.thread_time() - cpu, time.perf_counter() - wall
    finally:
        celery_app.conf.task_always_eager = False
    return {
        "reminders": sent,
        "per_reminder": statements / max(sent, 1),
        "cpu_ms": 1000 * cpu / max(sent, 1),
        "wall_ms": 1000 * wall / max(sent, 1),
    }


def worker_task_times(log_dir: Path) -> list[float]:
    """Run times of the send tasks from the workers' INFO log ("... succeeded in 0.0123s: None")."""
    times = []
    for path in log_dir.glob("worker-*.log"):
        for line in path.read_text(errors="replace").splitlines():
            if ("deliveries_send[" in line or "delivery_send[" in line) and " succeeded in " in line:
                with contextlib.suppress(ValueError):
                    times.append(float(line.split(" succeeded in ")[1].split("s:")[0]))
    return times


def pg_probe(db: str) -> str:
    """How this shared machine answers right now: a round trip and a one-row commit."""
    with h.connect(db, autocommit=True) as conn:
        conn.execute("CREATE TABLE bench_probe (x int)")
        trips, commits = [], []
        for i in range(200):
            t = time.perf_counter()
            conn.execute("SELECT 1").fetchone()
            trips.append(time.perf_counter() - t)
            if i % 4 == 0:
                t = time.perf_counter()
                conn.execute("INSERT INTO bench_probe VALUES (%s)", [i])
                commits.append(time.perf_counter() - t)
        conn.execute("DROP TABLE bench_probe")
    return (
        f"PostgreSQL round trip p50 {1000 * h.median(trips):.2f} ms (p90 {1000 * h.percentile(trips, 0.9):.2f}), "
        f"one-row autocommit INSERT p50 {1000 * h.median(commits):.2f} ms"
    )


# ---------------------------------------------------------------------------------------------
# Profiling: which layer the time is spent in


LAYERS = [
    ("pywebpush + http_ece + py_vapid (encrypt, VAPID JWT)", ("pywebpush", "http_ece", "py_vapid")),
    ("cryptography (ECDH, AES-GCM, ECDSA)", ("cryptography",)),
    ("requests + urllib3 + http.client + socket (the POST)", ("requests/", "urllib3", "http/client", "socket")),
    ("psycopg (driver)", ("psycopg",)),
    ("django.db (ORM, SQL compiler, cursors, transactions)", ("django/db",)),
    ("celery + kombu + redis (publishing)", ("celery", "kombu", "redis/")),
    ("django other (translation, signals, ...)", ("django/",)),
    ("ivigapp (our code)", ("ivigapp/",)),
]


def layer_of(filename: str) -> str:
    for name, needles in LAYERS:
        if any(n in filename for n in needles):
            return name
    if filename.startswith(("~", "<")):
        return "builtins (C: select, sockets, json, ...)"
    return "other (stdlib: threading waits, uuid, json, ...)"


def profile_print(profiler: cProfile.Profile, title: str, top: int, per: int) -> None:
    stats = pstats.Stats(profiler)
    total = sum(v[2] for v in stats.stats.values())
    layers = Counter()
    for (filename, _line, _name), (_cc, _nc, tt, _ct, _callers) in stats.stats.items():
        layers[layer_of(filename)] += tt
    print(f"\n{title}: {total:.2f} s of own time in the profiled thread, per unit {1000 * total / max(per, 1):.2f} ms")
    for name, seconds in layers.most_common():
        print(f"  {seconds:7.2f} s  {100 * seconds / total:5.1f}%  {name}")
    own = sorted(stats.stats.items(), key=lambda kv: kv[1][2], reverse=True)[:top]
    print(f"  top {top} functions by own time:")
    for (filename, line, name), (_cc, nc, tt, ct, _callers) in own:
        short = filename.split("site-packages/")[-1].replace(str(ROOT) + "/", "")
        print(f"    {tt:7.2f} s own {ct:7.2f} s cum {nc:8d} calls  {name}  {short}:{line}")
    cumulative = sorted(
        (kv for kv in stats.stats.items() if "ivigapp/" in kv[0][0] or "pywebpush" in kv[0][0]),
        key=lambda kv: kv[1][3],
        reverse=True,
    )[:12]
    print("  ivigapp and pywebpush functions by cumulative time:")
    for (filename, line, name), (_cc, nc, _tt, ct, _callers) in cumulative:
        short = filename.split("site-packages/")[-1].replace(str(ROOT) + "/", "")
        print(f"    {ct:7.2f} s cum {nc:8d} calls  {name}  {short}:{line}")


# ---------------------------------------------------------------------------------------------


def pct(values, q: float) -> float:
    """h.percentile (linear interpolation), except that a percentile touching a censored value
    (infinity: not received when the run stopped) is infinite rather than NaN."""
    s = sorted(values)
    if not s:
        return float("nan")
    k = (len(s) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    if s[hi] == float("inf"):
        return s[lo] if k == lo else float("inf")
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def fmt(value: float, digits: int = 1) -> str:
    return "n/a" if value != value else f"{value:.{digits}f}"  # NaN check


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reminders", type=int, default=10_000, help="reminders due at once (default 10,000)")
    parser.add_argument("--patients", type=int, default=4, help="patients (one push subscription each)")
    parser.add_argument("--spread", type=float, default=0.0, help="spread due times over S seconds (default 0)")
    parser.add_argument("--workers", type=int, default=1, help="Celery worker processes (default 1)")
    parser.add_argument("--concurrency", type=int, default=2, help="-c of each worker (default 2, as the Procfile)")
    parser.add_argument("--pool", default="prefork", help="--pool of each worker (default prefork, as the Procfile)")
    parser.add_argument("--loglevel", default="INFO", help="worker log level (default INFO, as the Procfile)")
    parser.add_argument("--limit", type=int, default=1000, help="reminders_dispatch(limit=...) (default 1000)")
    parser.add_argument("--interval", type=float, default=1.0, help="dispatcher period in seconds (default 1)")
    parser.add_argument("--conn-max-age", type=int, default=0, help="DB_CONN_MAX_AGE (default 0, the shipped one)")
    parser.add_argument("--broker", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--cap", type=float, default=360, help="total seconds for the whole run (default 360)")
    parser.add_argument("--bare-budget", type=float, default=30, help="seconds cap of each bare loop (default 30)")
    parser.add_argument("--census", type=int, default=40, help="reminders of the in-process census")
    parser.add_argument("--no-bare2", action="store_true", help="skip the 2-process bare loop")
    parser.add_argument("--no-bare-keepalive", action="store_true", help="skip the keep-alive bare loop")
    parser.add_argument("--profile", action="store_true", help="cProfile the dispatcher; then an in-process send")
    parser.add_argument("--profile-sends", type=int, default=300, help="reminders of the in-process profile")
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--bare-child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare_child:
        bare_child(json.loads(args.bare_child))
        return

    began = time.monotonic()

    def remaining() -> float:
        return args.cap - (time.monotonic() - began)

    note = h.machine_note()
    print(f"reminder burst: {note}")
    n = args.reminders
    queue = "bench-reminders-" + secrets.token_hex(4)
    with h.Cleanup() as cleanup:
        work = h.workdir(cleanup)
        db = h.db_create(cleanup)
        env = h.app_env(db, work, conn_max_age=args.conn_max_age, debug=False)
        env["CELERY_BROKER_URL"] = args.broker
        migrate_s = h.migrate(env)
        t0 = time.monotonic()
        h.seed(env)
        h.log(f"migrated in {migrate_s:.1f} s, demo seed in {time.monotonic() - t0:.1f} s")

        os.environ.update(env)
        import django

        django.setup()
        from django.conf import settings
        from django.db import connection, connections
        from django.utils import timezone

        from ivigapp.celery import app as celery_app
        from ivigapp.reminders import services
        from ivigapp.reminders.models import Delivery, Reminder
        from ivigapp.reminders.vapid import vapid
        from tests.reminders.pushreceiver import PushReceiver

        cleanup.callback(redis_cleanup, args.broker, queue)
        cleanup.callback(connections.close_all)
        celery_app.conf.task_default_queue = queue
        receiver = PushReceiver()
        cleanup.callback(receiver.close)
        receiver_reset(receiver)

        # Only the bench's reminders may be due: the demo's are cancelled.
        demo_pending = Reminder.objects.filter(status=Reminder.Status.PENDING).update(status=Reminder.Status.CANCELLED)
        cast = patients_with_plans(args.patients)
        subscriptions = []
        for patient, _plan in cast:
            sub = receiver.subscription()
            services.push_subscribe(
                user=patient.user, endpoint=sub["endpoint"], p256dh=sub["keys"]["p256dh"], auth=sub["keys"]["auth"]
            )
            subscriptions.append(sub)
        vapid()  # generated into the data folder now, before the workers could race to make it
        vapid_pem = settings.DATA_DIR / "vapid_private.pem"
        t0 = time.monotonic()
        label = "bench-burst"
        reminders_bulk(cast, n, timezone.now() + timedelta(days=1), label)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        h.log(
            f"{n} reminders for {len(cast)} patients written in {time.monotonic() - t0:.1f} s "
            f"({demo_pending} demo reminders cancelled); VAPID key {vapid_pem}"
        )

        # 1. Baselines, before any worker runs.
        bares = []
        contenders = [(1, False)] if args.no_bare2 else [(1, False), (2, False)]
        if not args.no_bare_keepalive:
            contenders.append((1, True))
        for processes, keepalive in contenders:
            budget = min(args.bare_budget, max(5.0, remaining() - 200))
            bare = bare_run(receiver, subscriptions[0], vapid_pem, n, processes, budget, keepalive)
            bares.append(bare)
            h.log(
                f"bare pywebpush {bare['name']}: {bare['sent']}/{n} in {bare['seconds']:.1f} s = {bare['rate']:.0f}/s, "
                f"received {bare['received']}, errors {bare['errors']}, duplicates {bare['duplicates']}"
            )

        # 2. SQL statements per reminder, dispatch and send in this thread (eager: no broker).
        census = statement_census(cast, args.census, celery_app)
        receiver_reset(receiver)

        # 3. Workers up, then the reminders fall due and the dispatcher starts.
        probe = pg_probe(db)
        h.log(probe)
        workers = Workers(
            env,
            queue,
            count=args.workers,
            concurrency=args.concurrency,
            pool=args.pool,
            loglevel=args.loglevel,
            log_dir=work,
        )
        cleanup.callback(workers.stop)
        workers.start()
        ready_s = workers.wait_ready(celery_app, min(90, remaining()))
        h.log(f"{args.workers} worker(s) x -c {args.concurrency} {args.pool} ready in {ready_s:.1f} s on queue {queue}")

        meter = h.CpuMeter(
            workers=workers.pids,
            postgres=lambda: h.postgres_pids(db),
            bench=lambda: [os.getpid()],
            redis=redis_pids,
        )
        table = Reminder._meta.db_table
        meter.start()
        due_at = timezone.now()
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} AS r SET due_at = %s + make_interval(secs => (s.rn - 1) * %s) "  # noqa: S608
                f"FROM (SELECT id, row_number() OVER (ORDER BY id) AS rn FROM {table} WHERE local_due = %s) AS s "
                "WHERE r.id = s.id",
                [due_at, args.spread / n, label],
            )
        due = {
            pk.hex: when.timestamp()
            for pk, when in Reminder.objects.filter(local_due=label).values_list("pk", "due_at")
        }
        dispatcher = Dispatcher(args.limit, args.interval, args.profile)
        cleanup.callback(dispatcher.stop)
        dispatcher.start()
        # Left for the figures, stopping the dispatcher (a tick is not interrupted) and teardown.
        burst_deadline = time.monotonic() + max(10.0, remaining() - (80 if args.profile else 55))
        import redis

        broker = redis.Redis.from_url(args.broker)
        finished = False
        last_note = time.monotonic()
        while time.monotonic() < burst_deadline:
            if dispatcher.error:
                raise dispatcher.error
            got = len(receiver_snapshot(receiver))
            if got >= n and not Delivery.objects.exclude(status=Delivery.Status.SENT).exists():
                # Every tag is in; let re-driven or duplicate tasks still in the broker play out.
                while time.monotonic() < burst_deadline and broker.llen(queue):
                    time.sleep(0.2)
                finished = True
                break
            if time.monotonic() - last_note > 15:
                last_note = time.monotonic()
                claimed = sum(t[2] for t in dispatcher.ticks)
                h.log(
                    f"  +{time.time() - due_at.timestamp():4.0f} s: claimed (committed) {claimed}, received {got}, "
                    f"broker queue {broker.llen(queue)}"
                )
            time.sleep(0.25)
        time.sleep(1.0)  # a last in-flight duplicate would land here
        stopped_at = time.time()
        cpu = meter.stop()
        cpu_by = meter.by_group
        dispatcher.stop()
        workers.stop()
        received = receiver_snapshot(receiver)
        connections_used = len(receiver.connections)
        task_times = worker_task_times(work)
        load_end = os.getloadavg()
        queued_left = broker.llen(queue)

        # 4. Figures. A reminder not received by the end counts as an infinite lag (censored), so
        # a percentile that falls on one is reported as "more than the time we waited".
        t_due = due_at.timestamp()
        first_seen, counts, foreign = {}, Counter(), 0
        for when, payload in received:
            tag = payload["tag"]
            if tag not in due:
                foreign += 1
                continue
            counts[tag] += 1
            first_seen.setdefault(tag, when)
        lost = n - len(first_seen)
        lags = [first_seen[tag] - due[tag] for tag in first_seen] + [float("inf")] * lost
        waited = stopped_at - t_due
        times = sorted(first_seen.values())
        duplicates = sum(counts.values()) - len(counts)
        span = (times[-1] if finished else stopped_at) - t_due if times else float("nan")
        rate = len(times) / span if times else float("nan")
        if len(times) >= 10:
            lo, hi = times[len(times) // 10], times[(len(times) * 9) // 10]
            steady = (len(times) * 8 // 10) / (hi - lo) if hi > lo else float("nan")
        else:
            steady = float("nan")
        rows = list(
            Delivery.objects.filter(reminder__local_due=label).values_list(
                "reminder__dispatched_at",
                "reminder__due_at",
                "created_at",
                "enqueued_at",
                "sent_at",
                "attempts",
                "status",
            )
        )
        committed = [dispatcher.committed_at(r[0].timestamp()) for r in rows]
        claim_lags = [c - r[1].timestamp() for c, r in zip(committed, rows, strict=True)]
        claim_lags += [float("inf")] * (n - len(rows))
        queue_send = [r[4].timestamp() - c for c, r in zip(committed, rows, strict=True) if r[4]]
        redriven = sum(1 for r in rows if r[3] and r[3] > r[2])
        retried = sum(1 for r in rows if r[5] > 1)
        statuses = Counter(r[6] for r in rows)
        reminder_statuses = Counter(Reminder.objects.filter(local_due=label).values_list("status", flat=True))
        ticks = [t for t in dispatcher.ticks if t[2]]
        claim_total = sum(t[2] for t in ticks)
        claim_seconds = sum(t[1] for t in ticks)
        claim_statements = sum(t[3] for t in ticks)
        claim_cpu = sum(t[4] for t in ticks)
        longest = max((t[1] for t in ticks), default=0.0)
        p50, p99 = pct(lags, 0.50), pct(lags, 0.99)

        def lag(value: float) -> str:
            return f"> {waited:.0f} s (censored)" if value == float("inf") else f"{fmt(value)} s"

        print(f"\nmachine: {note}; at the end {load_end[0]:.2f}; before the burst: {probe}")
        spread = f" spread over {args.spread:.0f} s" if args.spread else ""
        print(f"config: {n} reminders due at one instant{spread}")
        print(
            f"  {len(cast)} patients x 1 subscription; workers {args.workers} x -c {args.concurrency} ({args.pool}, "
            f"loglevel {args.loglevel}); dispatcher limit={args.limit} every {args.interval:g} s in this process; "
            f"DEBUG=0, DB_CONN_MAX_AGE={args.conn_max_age}, REMINDER_LEASE_SECONDS={settings.REMINDER_LEASE_SECONDS}; "
            f"broker {args.broker} queue {queue}; cap {args.cap:.0f} s"
        )
        print("\nbaseline: bare pywebpush.webpush() loop (encrypt + VAPID + POST), same receiver, no DB, no Celery")
        for bare in bares:
            cpu_bare = bare["cpu_senders"] + bare["cpu_receiver"]
            print(
                f"  {bare['name']}: {bare['sent']}/{bare['asked']} sent in {bare['seconds']:.1f} s = "
                f"{bare['rate']:.0f} sends/s; received {bare['received']}, errors {bare['errors']}, duplicates "
                f"{bare['duplicates']}; CPU {1000 * cpu_bare / max(bare['sent'], 1):.2f} ms/send (sender "
                f"{1000 * bare['cpu_senders'] / max(bare['sent'], 1):.2f}, receiver "
                f"{1000 * bare['cpu_receiver'] / max(bare['sent'], 1):.2f})"
            )
        print(
            f"\nin-process, one thread, no Celery (eager, {census['reminders']} reminders): dispatch + send = "
            f"{census['per_reminder']:.1f} SQL statements, {census['cpu_ms']:.1f} ms CPU (this thread; the bare "
            f"sender above needs {1000 * bares[0]['cpu_senders'] / max(bares[0]['sent'], 1):.1f}), "
            f"{census['wall_ms']:.1f} ms wall per reminder; the dispatcher alone during the burst "
            f"{claim_statements / max(claim_total, 1):.1f} statements per reminder"
        )
        print(f"\nburst ({'finished' if finished else 'NOT finished: stopped at the cap'}, {waited:.0f} s after due):")
        print(f"  received {len(first_seen)}/{n} unique tags; not received {lost}; duplicates by tag {duplicates}")
        print(f"  foreign payloads {foreign}; deliveries {dict(statuses)}; reminders {dict(reminder_statuses)}")
        print(
            f"  re-driven by the dispatcher (lease {settings.REMINDER_LEASE_SECONDS} s) {redriven}; "
            f"attempts>1 {retried}; tasks left in the broker {queued_left}"
        )
        print(f"  lag due -> received: p50 {lag(p50)}, p99 {lag(p99)}, max {lag(max(lags, default=0))}")
        print(
            f"    due -> claim committed (send tasks published): p50 {lag(pct(claim_lags, 0.5))}, "
            f"p99 {lag(pct(claim_lags, 0.99))}, last {lag(max(claim_lags, default=0))}"
        )
        print(
            f"    published -> sent (broker wait + send task; of those sent): "
            f"p50 {fmt(h.percentile(queue_send, 0.5))} s, "
            f"p99 {fmt(h.percentile(queue_send, 0.99))} s"
        )
        print(
            f"  dispatcher: {claim_total} claimed in {len(ticks)} ticks, {claim_seconds:.1f} s inside "
            f"reminders_dispatch = {claim_total / claim_seconds if claim_seconds else float('nan'):.0f} claims/s "
            f"({1000 * claim_seconds / max(claim_total, 1):.1f} ms per reminder, of which this thread's CPU "
            f"{1000 * claim_cpu / max(claim_total, 1):.1f} ms); longest tick {longest:.1f} s"
        )
        print(
            f"  workers: {len(task_times)} send tasks run (chunks of up to {services.SEND_CHUNK} deliveries), run time "
            f"in the pool p50 {1000 * h.percentile(task_times, 0.5):.0f} ms, p99 "
            f"{1000 * h.percentile(task_times, 0.99):.0f} ms; worker CPU "
            f"{1000 * cpu_by['workers'] / max(len(first_seen), 1):.2f} ms per received send (the bare sender: "
            f"{1000 * bares[0]['cpu_senders'] / max(bares[0]['sent'], 1):.2f}); "
            f"TCP connections to the receiver {connections_used}"
        )
        print(
            f"  sends/s: {fmt(rate, 1)} end to end (received / time since due); {fmt(steady, 1)} steady (10-90% of "
            f"those received)"
        )
        print(
            f"  CPU {cpu:.1f} s = {1000 * cpu / max(len(first_seen), 1):.1f} ms per received send: "
            + ", ".join(f"{k} {v:.1f} s" for k, v in cpu_by.items())
            + " (the bench process is the dispatcher and the receiver)"
        )
        print("\nverdict:")
        verdict = "UNDER" if p99 < 60 else "NOT under"
        lost_text = str(lost) if finished else f"not known ({lost} not received when the run stopped)"
        print(f"  p99 lag {lag(p99)}: {verdict} the 60 s budget; lost {lost_text}; duplicates {duplicates}")
        if not finished and steady == steady:
            print(f"  at the steady rate, {n} reminders would take about {n / steady:.0f} s to drain (a projection)")
        for bare in bares:
            print(
                f"  ratio to the bare loop {bare['name']}: {rate / bare['rate']:.3f} end to end, "
                f"{steady / bare['rate']:.3f} steady"
            )
        summary = {
            "reminders": n,
            "finished": finished,
            "waited_s": round(waited, 1),
            "p50_s": round(p50, 2) if p50 != float("inf") else f">{waited:.0f}",
            "p99_s": round(p99, 2) if p99 != float("inf") else f">{waited:.0f}",
            "not_received": lost,
            "duplicates": duplicates,
            "sends_per_s": round(rate, 1),
            "steady_sends_per_s": round(steady, 1),
            "bare_per_s": {b["name"]: round(b["rate"], 1) for b in bares},
            "ratio_to_bare1": round(rate / bares[0]["rate"], 3),
            "redriven": redriven,
        }
        print("\nsummary " + json.dumps(summary))

        if dispatcher.profiler:
            profile_print(dispatcher.profiler, "profile: the dispatcher thread during the burst", args.top, claim_total)
        if args.profile and remaining() > 25:
            # The whole path in one thread: claim, publish (eager: runs the send task inline), the
            # send task's claim, encrypt, POST, status updates.
            count = args.profile_sends
            reminders_bulk(cast, count, timezone.now() - timedelta(seconds=1), "bench-profile")
            receiver_reset(receiver)
            celery_app.conf.task_always_eager = True
            profiler = cProfile.Profile(time.thread_time)  # CPU of this thread: the receiver is left out
            started = time.time()
            profiler.enable()
            claimed = services.reminders_dispatch(limit=count)
            profiler.disable()
            took = time.time() - started
            celery_app.conf.task_always_eager = False
            print(
                f"\nin-process dispatch + send of {claimed} reminders (eager, no broker): {took:.1f} s wall "
                f"= {claimed / took:.0f}/s under the profiler; received {len(receiver_snapshot(receiver))}"
            )
            profile_print(profiler, "profile (CPU time): dispatch + send in one thread", args.top, claimed)


if __name__ == "__main__":
    main()
