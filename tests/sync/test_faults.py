"""Exactly-once push under a lossy network (SYNC.md B1, RELIABILITY.md risk 5).

Real HTTP over loopback: the pytest-django live server behind `FaultProxy`, which loses
responses after the server has committed, sends requests twice, and delays them. The client
retries the same batch, with the same mutation ids, until it is acknowledged. A negative control
runs the same faults against a naive create endpoint and must produce duplicates, so these tests
can fail.
"""

import itertools
import logging
import threading
import time
import uuid
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import requests
from django.utils import timezone

from ivigapp.reactions.models import HydrationLog, MedicationDose, SymptomReport, VialUsage, VitalSigns
from ivigapp.sync.models import MutationLog, SyncClient
from tests.reactions.conftest import NO_RED_FLAGS
from tests.sync.faultproxy import FaultProxy, http_session

pytestmark = pytest.mark.django_db(transaction=True)
log = logging.getLogger(__name__)

N = 200
BATCH = 10
REQUEST_TIMEOUT = 5.0
MAX_ATTEMPTS = 25
MODELS = {
    "vial": VialUsage,
    "hydration": HydrationLog,
    "medication": MedicationDose,
    "vitals": VitalSigns,
    "symptom_report": SymptomReport,
}


def upstream(live_server) -> tuple[str, int]:
    parts = urlsplit(live_server.url)
    return parts.hostname, parts.port


def register(http, base_url) -> str:
    client_id = str(uuid.uuid4())
    response = http.post(
        f"{base_url}/api/sync/v1/clients", json={"client_id": client_id, "schema_version": 1}, timeout=10
    )
    assert response.status_code == 200, response.text
    return client_id


def create_mutations(episode, first_id: int, count: int) -> list[dict]:
    """`count` creates cycling through the diary tables of one open infusion; no red flags."""
    at = (timezone.now() - timedelta(hours=1)).isoformat()
    ep = str(episode.pk)
    sets = itertools.cycle(
        [
            (
                "vial",
                lambda i: {
                    "episode_id": ep,
                    "lot_number": f"LOT-{i:04d}",
                    "expiry_date": "2030-01-01",
                    "vial_size_g": "10",
                },
            ),
            ("hydration", lambda i: {"episode_id": ep, "phase": "during", "volume_ml": 100 + i, "logged_at": at}),
            (
                "medication",
                lambda i: {
                    "episode_id": ep,
                    "category": "as_needed",
                    "drug": "Paracetamol",
                    "dose": "1 g",
                    "given_at": at,
                },
            ),
            (
                "vitals",
                lambda i: {
                    "episode_id": ep,
                    "measured_at": at,
                    "heart_rate": 60 + i % 40,
                    "systolic": 120,
                    "diastolic": 80,
                },
            ),
            ("symptom_report", lambda i: {"episode_id": ep, "onset_at": at, "red_flag_answers": NO_RED_FLAGS}),
        ]
    )
    mutations = []
    for mutation_id, (table, make) in zip(range(first_id, first_id + count), sets, strict=False):
        mutations.append(
            {
                "id": mutation_id,
                "kind": "upsert",
                "table": table,
                "row_id": str(uuid.uuid4()),
                "base_version": None,
                "set": make(mutation_id),
                "recorded_at": at,
            }
        )
    return mutations


def push_until_acked(http, base_url, client_id, batch, stats) -> dict:
    """Sends the batch until the server acknowledges its last id; same ids every time."""
    body = {"client_id": client_id, "schema_version": 1, "mutations": batch}
    for _ in range(MAX_ATTEMPTS):
        stats["requests"] += 1
        try:
            response = http.post(f"{base_url}/api/sync/v1/push", json=body, timeout=REQUEST_TIMEOUT)
        except requests.RequestException:
            stats["errors"] += 1
            continue
        if response.status_code == 200 and response.json()["last_mutation_id"] >= batch[-1]["id"]:
            return response.json()
        stats["errors"] += 1
    pytest.fail(f"batch {batch[0]['id']}-{batch[-1]['id']} not acknowledged after {MAX_ATTEMPTS} attempts")


def server_statuses(counts: dict) -> set[str]:
    return {key.removeprefix("status_") for key in counts if key.startswith("status_")}


def rows_by_table(mutations) -> dict[str, list[str]]:
    tables = {name: [] for name in MODELS}
    for mutation in mutations:
        tables[mutation["table"]].append(mutation["row_id"])
    return tables


def assert_exactly_one_copy(episode, mutations):
    """Every pushed row exists (0 lost) and no table of the infusion holds more rows than were pushed
    (0 duplicated)."""
    for table, row_ids in rows_by_table(mutations).items():
        model = MODELS[table]
        assert model.objects.filter(pk__in=row_ids).count() == len(row_ids), f"lost {table} rows"
        assert model.objects.filter(patient_id=episode.patient_id).count() == len(row_ids), f"duplicated {table}"


def test_it_applies_every_mutation_exactly_once_through_lost_and_duplicated_requests(episode, live_server):
    """N creates in batches of 10 through lost responses and duplicated requests: each row once,
    N log rows with unique (client, mutation_id), last_mutation_id == N, and the faults happened."""
    started = time.monotonic()
    http = http_session(live_server.url, episode.patient.user)
    client_id = register(http, live_server.url)
    mutations = create_mutations(episode, 1, N)
    stats = {"requests": 0, "errors": 0}
    results = {}
    with FaultProxy(upstream(live_server), seed=20250302, p_drop_response=0.2, p_duplicate=0.2, p_delay=0.5) as proxy:
        for start in range(0, N, BATCH):
            batch = mutations[start : start + BATCH]
            body = push_until_acked(http, proxy.url, client_id, batch, stats)
            results.update({r["id"]: r for r in body["results"]})
        counts = proxy.snapshot()

    assert sorted(results) == list(range(1, N + 1))
    assert {r["status"] for r in results.values()} == {"applied"}
    assert_exactly_one_copy(episode, mutations)
    logged = list(MutationLog.objects.filter(client_id=client_id).values_list("mutation_id", flat=True))
    assert len(logged) == N and sorted(set(logged)) == list(range(1, N + 1))
    assert SyncClient.objects.get(pk=client_id).last_mutation_id == N
    assert counts.get("dropped_responses", 0) > 0 and counts.get("duplicated", 0) > 0, counts
    assert server_statuses(counts) == {"200"}, "duplicates nobody reads were answered normally too"
    assert stats["errors"] >= counts["dropped_responses"], "every lost answer made the client retry"
    log.info(
        "B1 faults: N=%d, %d requests (%d retried), proxy=%s, 0 lost, 0 duplicated, %.1fs",
        N,
        stats["requests"],
        stats["errors"],
        counts,
        time.monotonic() - started,
    )


@pytest.mark.urls("tests.sync.naive_urls")
def test_the_same_faults_duplicate_rows_on_an_endpoint_without_mutation_ids(episode, live_server):
    """Negative control: a POST-per-row endpoint with server-made ids, retried the same way, keeps
    every extra copy the network made. Proves the exactly-once test above can fail."""
    records = 50
    http = http_session(live_server.url, episode.patient.user)
    at = (timezone.now() - timedelta(hours=1)).isoformat()
    retries = 0
    with FaultProxy(upstream(live_server), seed=20250302, p_drop_response=0.2, p_duplicate=0.2, p_delay=0.5) as proxy:
        for i in range(records):
            body = {"episode_id": str(episode.pk), "phase": "during", "volume_ml": 100 + i, "logged_at": at}
            for _ in range(MAX_ATTEMPTS):
                try:
                    response = http.post(f"{proxy.url}/naive/hydration", json=body, timeout=REQUEST_TIMEOUT)
                except requests.RequestException:
                    retries += 1
                    continue
                assert response.status_code == 201, response.text
                break
            else:
                pytest.fail(f"record {i} never acknowledged")
        counts = proxy.snapshot()

    duplicates = HydrationLog.objects.filter(episode=episode).count() - records
    assert duplicates > 0, "the negative control must show duplicates"
    # Each duplicated request and each lost answer (then retried) left exactly one extra row.
    assert duplicates == counts.get("duplicated", 0) + counts.get("dropped_responses", 0), counts
    assert server_statuses(counts) == {"201"}
    log.info(
        "B1 negative control: %d records, %d retries, %d duplicates, proxy=%s", records, retries, duplicates, counts
    )


def test_concurrent_replays_from_two_devices_and_a_fresh_push_leave_one_copy_of_each_row(episode, live_server):
    """A phone replays an acknowledged batch while a tablet sends the same rows under its own ids
    (a copied outbox) and a third device pushes new rows, all at once and through the faulty proxy:
    one copy of every row; the tablet's copies are acknowledged as rejections, not applied."""
    user = episode.patient.user
    phone, tablet, laptop = (http_session(live_server.url, user) for _ in range(3))
    ids = {name: register(http, live_server.url) for name, http in (("phone", phone), ("tablet", tablet))}
    ids["laptop"] = register(laptop, live_server.url)
    acknowledged = create_mutations(episode, 1, 20)
    first = push_until_acked(phone, live_server.url, ids["phone"], acknowledged, {"requests": 0, "errors": 0})
    copied = [dict(m) for m in acknowledged]  # same rows and payloads; the tablet numbers them itself
    fresh = create_mutations(episode, 1, 20)
    barrier = threading.Barrier(3, timeout=30)
    answers, failures = {}, []

    def device(name, http, batches, rounds, proxy):
        stats = {"requests": 0, "errors": 0}
        try:
            barrier.wait()
            for _ in range(rounds):
                for batch in batches:
                    answers.setdefault(name, []).append(push_until_acked(http, proxy.url, ids[name], batch, stats))
        except BaseException as error:  # reported below: an assertion in a thread would be lost
            failures.append((name, repr(error)))

    with FaultProxy(upstream(live_server), seed=7, p_drop_response=0.2, p_duplicate=0.5, p_delay=0.5) as proxy:
        threads = [
            threading.Thread(target=device, args=("phone", phone, [acknowledged], 4, proxy)),
            threading.Thread(target=device, args=("tablet", tablet, [copied[:10], copied[10:]], 2, proxy)),
            threading.Thread(target=device, args=("laptop", laptop, [fresh[:10], fresh[10:]], 2, proxy)),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        counts = proxy.snapshot()

    assert not failures and not any(t.is_alive() for t in threads), failures
    assert all(answer["results"] == first["results"] for answer in answers["phone"]), "replays answer as the first"
    tablet_results = [r for answer in answers["tablet"] for r in answer["results"]]
    assert {(r["status"], r.get("reason")) for r in tablet_results} == {("rejected", "validation")}
    assert_exactly_one_copy(episode, acknowledged + fresh)
    for name, expected in (("phone", 20), ("tablet", 20), ("laptop", 20)):
        assert MutationLog.objects.filter(client_id=ids[name]).count() == expected
        assert SyncClient.objects.get(pk=ids[name]).last_mutation_id == expected
    assert counts.get("duplicated", 0) > 0, counts
    assert server_statuses(counts) == {"200"}, counts
    log.info("B1 concurrent replays: proxy=%s", counts)
