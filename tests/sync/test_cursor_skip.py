"""The cursor-skip detector (SYNC.md B2, principle P4: the cursor is commit-ordered, never a clock).

Writer threads, each with its own database connection, write through the clinical services into
six patients of one nurse (and one patient of another nurse) and sleep 0-500 ms before
committing, so transactions overlap and commit out of the order they started in. Meanwhile a
puller, the nurse's device, loops `POST /api/sync/v1/pull` over real HTTP, applying pages to a
replica and following the cursor. Once the writers are done and one last pull has run, the replica
must equal the server: 0 missing rows, 0 stale versions, 0 rows that should be gone.

The negative control runs the same writers against a pull that uses a wall-clock cursor
(`received_at > cursor`); it must miss rows, which shows that the detector can fail.
"""

import logging
import queue
import random
import threading
import time
import uuid
from datetime import timedelta

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from ivigapp.patients import services as patient_services
from ivigapp.reactions import services
from ivigapp.reactions.models import HydrationLog, InfusionEpisode
from ivigapp.sync.models import patient_scope_id
from ivigapp.sync.tables import TABLES
from tests.clinical_fixtures import infusion_open, patient_weigh, plan_standard
from tests.conftest import make_patient
from tests.sync.faultproxy import http_session

pytestmark = pytest.mark.django_db(transaction=True)
log = logging.getLogger(__name__)

# PostgreSQL runs writers of different scopes in parallel; SQLite runs one write transaction at a
# time whatever W is, and every pull waits its turn for the same lock, so fewer writers there just
# give the puller a fairer share of turns (more pulls between commits).
WRITERS = {"postgresql": 8, "sqlite": 4}
NURSE_PATIENTS = 6  # scopes the puller sees: on PostgreSQL, one in-flight writer per scope at a time
WRITES_PER_RUN = 20
RUNS = 3
MAX_SLEEP = 0.5  # seconds a writer holds its transaction open after writing
THINK = 0.2  # seconds a writer waits after a commit before its next write
RUN_SECONDS = 30  # hard bound on one run's writing phase
PAGE = 7  # small pages, so a pull often stops mid-scope and resumes from a cursor
MAX_PAGES = 2000  # bound on any pull loop


def open_episode(patient, product, protocol, admin_user) -> InfusionEpisode:
    """A plan and an infusion started two hours ago, made through the services."""
    patient_weigh(patient, admin_user)
    return infusion_open(patient, plan_standard(patient, admin_user, product, protocol))


@pytest.fixture
def world(episode, nurse, region, admin_user, product, protocol, other_patient):
    """The nurse's patients, each with an open infusion, and another nurse's patient."""
    episodes = [episode]
    for n in range(1, NURSE_PATIENTS):
        more = make_patient(f"patient{n}", region, admin_user)
        patient_services.care_team_assign(
            actor=admin_user, nurse=nurse, patient=more, starts_at=timezone.now() - timedelta(days=1)
        )
        episodes.append(open_episode(more, product, protocol, admin_user))
    foreign = open_episode(other_patient, product, protocol, admin_user)
    return {
        "episodes": [ep.pk for ep in episodes] + [foreign.pk],
        "scopes": sorted(patient_scope_id(ep.patient_id) for ep in episodes),
        "foreign_scope": patient_scope_id(foreign.patient_id),
    }


# Writers -------------------------------------------------------------------------------------


def writer(seed: int, episode_ids, tokens: queue.Queue, deadline: float, done: list, failures: list) -> None:
    """Takes write tokens until none are left: creates, corrects or deletes a drink entry through the
    services, then sleeps before commit. Only its own rows are changed, so writers never conflict on
    a row, only on the scope lock (PostgreSQL) or the database write lock (SQLite)."""
    rng = random.Random(seed)
    try:
        episodes = [InfusionEpisode.objects.select_related("patient__user").get(pk=pk) for pk in episode_ids]
        own = []  # (episode, row) of this writer's live rows
        logged_at = timezone.now() - timedelta(hours=1)
        while time.monotonic() < deadline:
            try:
                tokens.get_nowait()
            except queue.Empty:
                break
            ep = rng.choices(episodes, weights=[2] * (len(episodes) - 1) + [1])[0]  # the last is foreign
            roll = rng.random()
            with transaction.atomic():
                if own and roll < 0.25:
                    ep, row = own[rng.randrange(len(own))]
                    services.diary_part_update(
                        actor=ep.patient.user, row=row, changes={"volume_ml": rng.randint(1, 5000)}
                    )
                    kind = "update"
                elif own and roll < 0.4:
                    ep, row = own.pop(rng.randrange(len(own)))
                    services.diary_row_delete(actor=ep.patient.user, row=row)
                    kind = "delete"
                else:
                    row = services.hydration_record(
                        actor=ep.patient.user,
                        episode=ep,
                        phase=HydrationLog.Phase.DURING,
                        volume_ml=rng.randint(1, 5000),
                        logged_at=logged_at,
                    )
                    own.append((ep, row))
                    kind = "create"
                time.sleep(rng.uniform(0, MAX_SLEEP))  # stamped, not yet committed
            done.append((time.monotonic(), kind))
            time.sleep(rng.uniform(0, THINK))  # between writes the lock is free for others
    except BaseException as error:  # reported by the test: an assertion in a thread would be lost
        failures.append(f"writer {seed}: {error!r}")
    finally:
        connections.close_all()  # this thread's connections only


# The puller's device ---------------------------------------------------------------------------


class Replica:
    """A device's replica: pages applied in order, cursor kept, tombstones removed."""

    def __init__(self, http, url: str, client_id: str | None = None):
        self.http, self.url, self.client_id = http, url, client_id
        self.rows, self.cursor, self.requests, self.changes_seen = {}, None, 0, 0

    def pull_page(self) -> bool:
        body = {"cursor": self.cursor, "limit": PAGE}
        if self.client_id:
            body.update(client_id=self.client_id, schema_version=1)
        # A background sync: it must not count as the nurse's activity (and not write her session).
        response = self.http.post(self.url, json=body, headers={"X-Ivig-Background": "1"}, timeout=30)
        assert response.status_code == 200, response.text
        page = response.json()
        self.requests += 1
        if page.get("reset"):
            self.rows = {}
        for change in page["changes"]:
            key = (change["table"], change["id"])
            if change["deleted"]:
                self.rows.pop(key, None)
            else:
                self.rows[key] = change
        self.changes_seen += len(page["changes"])
        self.cursor = page["cursor"]
        return page["has_more"]

    def pull_all(self) -> None:
        for _ in range(MAX_PAGES):
            if not self.pull_page():
                return
        pytest.fail(f"no end of changes after {MAX_PAGES} pages")


def server_state(scope_ids) -> dict:
    """(table, id) -> version of every live row of these scopes, read from the database."""
    state = {}
    for table in TABLES.values():
        rows = table.model.objects.filter(scope_id__in=scope_ids, deleted=False)
        for pk, version in rows.values_list("pk", "version"):
            state[(table.name, str(pk))] = version
    return state


def compare(replica: Replica, scope_ids) -> dict:
    """Missing: live on the server, absent from the replica. Stale: an older version, or (where the
    replica holds row bodies) a drink volume other than the server's. Zombies: deleted on the server,
    still in the replica."""
    state = server_state(scope_ids)
    volumes = {
        ("hydration", str(pk)): volume
        for pk, volume in HydrationLog.objects.filter(scope_id__in=scope_ids).values_list("pk", "volume_ml")
    }
    held = {key: change["version"] for key, change in replica.rows.items()}
    wrong_body = {
        key
        for key, change in replica.rows.items()
        if "row" in change and key in volumes and change["row"]["volume_ml"] != volumes[key]
    }
    return {
        "missing": sorted(key for key in state if key not in held),
        "stale": sorted(key for key in state if key in held and (held[key] != state[key] or key in wrong_body)),
        "zombies": sorted(key for key in held if key not in state),
    }


def detector_run(world, replica: Replica, seed: int, writes: int = WRITES_PER_RUN) -> dict:
    """One run: writers and the looping puller at once, then a final pull; returns the differences."""
    tokens = queue.Queue()
    for _ in range(writes):
        tokens.put(1)
    done, failures, stop = [], [], threading.Event()
    deadline = time.monotonic() + RUN_SECONDS
    writers = [
        threading.Thread(target=writer, args=(seed * 100 + i, world["episodes"], tokens, deadline, done, failures))
        for i in range(WRITERS.get(connection.vendor, 8))
    ]
    pulls = []  # (started, ended) of each pull while the writers ran

    def puller():
        try:
            while not stop.is_set():
                began = time.monotonic()
                has_more = replica.pull_page()
                pulls.append((began, time.monotonic()))
                if not has_more:
                    stop.wait(0.02)
        except BaseException as error:
            failures.append(f"puller: {error!r}")

    pulling = threading.Thread(target=puller)
    pulling.start()
    for thread in writers:
        thread.start()
    for thread in writers:
        thread.join(timeout=RUN_SECONDS + 30)
    stop.set()
    pulling.join(timeout=60)
    assert not failures, failures
    assert not any(t.is_alive() for t in [*writers, pulling]), "a writer or the puller did not stop"
    assert len(done) == writes, f"only {len(done)} of {writes} writes ran"
    replica.pull_all()
    diff = compare(replica, world["scopes"])
    commits = sorted(at for at, _ in done)
    diff["pulls"] = len(pulls)
    # Pulls that ran wholly between the run's first and last commit: the interleaving under test.
    diff["pulls_between_commits"] = sum(1 for began, ended in pulls if commits[0] < began and ended < commits[-1])
    diff["writes"] = {kind: [k for _, k in done].count(kind) for kind in ("create", "update", "delete")}
    return diff


def test_the_version_cursor_never_skips_a_row_committed_out_of_order(world, nurse, live_server):
    """Across several runs of overlapping, slow-committing writers, every pull loop ends with the
    replica equal to the server: 0 missing, 0 stale, 0 zombies, and no other nurse's patient."""
    started = time.monotonic()
    http = http_session(live_server.url, nurse)
    client_id = str(uuid.uuid4())
    response = http.post(
        f"{live_server.url}/api/sync/v1/clients", json={"client_id": client_id, "schema_version": 1}, timeout=10
    )
    assert response.status_code == 200, response.text
    figures = []
    for run in range(RUNS):
        # A fresh replica each run (cursor null): its first sync races the writers too.
        replica = Replica(http, f"{live_server.url}/api/sync/v1/pull", client_id)
        diff = detector_run(world, replica, seed=run + 1)
        figures.append({k: len(v) if isinstance(v, list) else v for k, v in diff.items()})
        assert (diff["missing"], diff["stale"], diff["zombies"]) == ([], [], []), diff
        patients = {c["row"].get("patient_id") for c in replica.rows.values() if "patient_id" in c["row"]}
        assert world["foreign_scope"].removeprefix("patient:") not in patients
    assert sum(f["pulls_between_commits"] for f in figures) > 0, f"pulls never interleaved with writes: {figures}"
    log.info("B2 version cursor (%s): %s, %.1fs", connection.vendor, figures, time.monotonic() - started)


@pytest.mark.urls("tests.sync.naive_urls")
def test_a_wall_clock_cursor_skips_rows_committed_out_of_order(world, nurse, live_server):
    """Negative control: the same writers against `received_at > cursor` paging lose rows for good."""
    if connection.vendor != "postgresql":
        pytest.skip(
            "SQLite (transaction_mode IMMEDIATE) serialises whole write transactions, so rows commit in "
            "the order they were stamped and a wall-clock cursor cannot skip; the control needs PostgreSQL"
        )
    started = time.monotonic()
    http = http_session(live_server.url, nurse)
    figures = []
    # Up to RUNS runs, stopping at the first that loses a row: one is enough to show the detector
    # has teeth, and the bound keeps a slow, loaded machine from making this a coin toss.
    for run in range(RUNS):
        replica = Replica(http, f"{live_server.url}/naive/pull")
        diff = detector_run(world, replica, seed=run + 1, writes=2 * WRITES_PER_RUN)
        figures.append({k: len(v) if isinstance(v, list) else v for k, v in diff.items()})
        if diff["missing"]:
            break
    log.info("B2 wall-clock cursor (%s): %s, %.1fs", connection.vendor, figures, time.monotonic() - started)
    assert figures[-1]["missing"] > 0, f"the wall-clock cursor was expected to miss rows: {figures}"
