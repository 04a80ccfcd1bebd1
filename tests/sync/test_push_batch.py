"""Runs of new diary entries are applied set-wise (SYNC.md 2.4; DESIGN.md 11: constant queries).

The set-wise path must give every mutation exactly the result the one-by-one path gives, and the
SQL of a push must not grow with the number of entries in it.
"""

import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ivigapp.audit.models import AuditEvent
from ivigapp.reactions import services
from ivigapp.reactions.models import HydrationLog, MedicationDose, VialUsage, VitalSigns
from ivigapp.sync.models import MutationLog, SyncScope, patient_scope_id
from ivigapp.sync.push import _apply
from tests.sync.conftest import Device

pytestmark = pytest.mark.django_db


def iso(moment):
    return moment.isoformat()


def entry(device, episode_id, i):
    """One of four kinds of new entry, by i."""
    now = timezone.now() - timedelta(minutes=1)
    kinds = [
        ("vial", {"lot_number": f"LOT{i:05d}", "expiry_date": "2030-01-01", "vial_size_g": "10"}),
        ("hydration", {"phase": "during", "volume_ml": 200 + i % 50, "logged_at": iso(now)}),
        ("medication", {"category": "as_needed", "drug": "paracetamol", "dose": "1 g", "given_at": iso(now)}),
        ("vitals", {"measured_at": iso(now), "temperature_c": "37.1", "systolic": 120, "diastolic": 80}),
    ]
    table, values = kinds[i % 4]
    return device.write(table, set={"episode_id": str(episode_id), **values})


def push_counting(device):
    """Statements of one push. SQLite caps the parameters of one statement (999 in Django), so
    there a bulk INSERT or UPDATE of many rows is cut into several; those pieces count as one."""
    with CaptureQueriesContext(connection) as queries:
        response = device.push()
    assert response.status_code == 200
    statements = [q["sql"] for q in queries]
    if connection.vendor == "sqlite":
        statements = [
            s
            for i, s in enumerate(statements)
            if not (i and _bulk_piece(s) and _bulk_piece(s) == _bulk_piece(statements[i - 1]))
        ]
    return len(statements), response.json()


def _bulk_piece(sql: str):
    """The table a bulk INSERT (bulk_create) or UPDATE (`update_changed`) writes to, else None."""
    if sql.startswith("INSERT"):
        return "INSERT", sql.split("(", 1)[0]
    if sql.startswith("WITH v(") and " UPDATE " in sql:
        return "UPDATE", sql.split(" UPDATE ", 1)[1].split(" SET ", 1)[0]
    return None


def test_a_push_costs_the_same_queries_for_10_and_for_500_entries(episode):
    device = Device(episode.patient.user)
    for i in range(10):
        entry(device, episode.pk, i)
    small, body = push_counting(device)
    assert [r["status"] for r in body["results"]] == ["applied"] * 10
    for i in range(10, 510):
        entry(device, episode.pk, i)
    large, body = push_counting(device)
    assert [r["status"] for r in body["results"]] == ["applied"] * 500
    assert large == small, f"{small} queries for 10 entries, {large} for 500"
    counts = [m.objects.count() for m in (VialUsage, HydrationLog, MedicationDose, VitalSigns)]
    assert counts == [128, 128, 127, 127]
    assert MutationLog.objects.filter(client_id=device.client_id).count() == 510


def test_entries_of_a_batch_get_consecutive_versions_in_the_order_sent(episode):
    scope = SyncScope.objects.get(pk=patient_scope_id(episode.patient_id))
    device = Device(episode.patient.user)
    sent = [entry(device, episode.pk, i) for i in range(8)]
    body = device.push().json()
    assert [r["row_version"] for r in body["results"]] == [1] * 8
    models = {"vial": VialUsage, "hydration": HydrationLog, "medication": MedicationDose, "vitals": VitalSigns}
    versions = [models[m["table"]].objects.get(pk=m["row_id"]).server_version for m in sent]
    assert versions == list(range(scope.version + 1, scope.version + 9))
    scope.refresh_from_db()
    assert scope.version == versions[-1]


def test_a_batch_gives_each_mutation_the_result_the_single_path_gives(episode):
    """Good entries, bad values, an unknown infusion and an existing row in one
    run: compared field by field with `_apply`, the one-by-one path, on a copy of each mutation."""
    device = Device(episode.patient.user)
    good = entry(device, episode.pk, 0)
    bad_lot = device.write(
        "vial", set={"episode_id": str(episode.pk), "lot_number": "x", "expiry_date": "2030-01-01", "vial_size_g": "1"}
    )
    future = device.write(
        "hydration",
        set={
            "episode_id": str(episode.pk),
            "phase": "during",
            "volume_ml": 100,
            "logged_at": iso(timezone.now() + timedelta(hours=2)),
        },
    )
    unparsable = device.write("vitals", set={"episode_id": str(episode.pk), "measured_at": "yesterday"})
    unknown = device.write("medication", set={"episode_id": str(uuid.uuid4()), "drug": "x"})
    again = device.write("vial", good["row_id"], set=good["set"])  # same row id, no base_version

    results = device.push().json()["results"]

    by_id = {r["id"]: r for r in results}
    assert by_id[good["id"]]["status"] == "applied"
    assert by_id[bad_lot["id"]] == {
        "id": bad_lot["id"],
        "status": "rejected",
        "reason": "validation",
        "detail": {"lot_number": [by_id[bad_lot["id"]]["detail"]["lot_number"][0]]},
    }
    assert list(by_id[future["id"]]["detail"]) == ["logged_at"]
    assert list(by_id[unparsable["id"]]["detail"]) == ["measured_at"]
    assert by_id[unknown["id"]]["reason"] == "not_found"
    assert by_id[again["id"]]["reason"] == "validation" and "base_version" in by_id[again["id"]]["detail"]
    assert AuditEvent.objects.filter(actor_id=episode.patient.user_id, outcome="denied").count() == 1
    assert VialUsage.objects.filter(episode=episode).count() == 1
    assert HydrationLog.objects.count() == 0 and VitalSigns.objects.count() == 0

    # The single path, on fresh copies of the rejected ones, says the same.
    from ivigapp.sync.models import SyncClient

    client = SyncClient.objects.get(pk=device.client_id)
    for mutation in (bad_lot, future, unparsable):
        copy = {**mutation, "row_id": str(uuid.uuid4())}
        single = _apply(episode.patient.user, client, copy)
        assert single == {**by_id[mutation["id"]], "id": copy["id"]}


def test_a_nurse_batch_is_audited_per_patient_and_table(episode, nurse):
    device = Device(nurse)
    sent = [entry(device, episode.pk, i) for i in range(6)]
    assert [r["status"] for r in device.push().json()["results"]] == ["applied"] * 6
    events = AuditEvent.objects.filter(actor_id=nurse.pk, action__startswith="sync.push.")
    audited = sorted(i for e in events for i in e.object_ids)
    assert audited == sorted(m["row_id"] for m in sent)
    assert {e.patient_id for e in events} == {episode.patient_id}
    assert all(row.entered_by == "nurse" for row in VialUsage.objects.all())


def test_a_hole_in_the_queue_names_the_first_id_the_server_still_wants(episode):
    """Ids 1, 2, 4: nothing is applied, so the server still wants 1 (naming 3 would make the
    device drop 1 and 2 as if they had been applied)."""
    device = Device(episode.patient.user)
    sent = [entry(device, episode.pk, i) for i in range(4)]
    response = device.push([sent[0], sent[1], sent[3]])
    assert response.status_code == 409 and response.json() == {"error": "mutation_gap", "expected": 1}
    assert not MutationLog.objects.exists() and not VialUsage.objects.exists()


def test_a_nurse_push_that_fails_to_parse_is_audited_too(episode, nurse):
    device = Device(nurse)
    bad = device.write("vitals", set={"episode_id": str(episode.pk), "measured_at": "yesterday"})
    assert device.push().json()["results"][0]["reason"] == "validation"
    event = AuditEvent.objects.get(actor_id=nurse.pk, action="sync.push.vitals")
    assert event.object_ids == [bad["row_id"]] and event.patient_id == episode.patient_id


def test_an_infusion_deleted_mid_batch_is_not_written_to_by_the_entries_after_it(plan, weighed_patient):
    """The push reads each infusion once for its runs of new entries, and must forget it when a
    mutation between two runs changes it: here the entry after the deletion is refused, as it is
    when sent alone."""
    user = weighed_patient.user
    planned = services.episode_schedule(
        actor=user, patient=weighed_patient, plan=plan, scheduled_start=timezone.now() + timedelta(days=2)
    )
    device = Device(user)
    vial = {"episode_id": str(planned.pk), "expiry_date": "2030-01-01", "vial_size_g": "10"}
    device.write("vial", set={**vial, "lot_number": "LOT-A1"})
    device.write("infusion_episode", planned.pk, kind="delete", base_version=planned.version)
    device.write("vial", set={**vial, "lot_number": "LOT-A2"})
    results = device.push().json()["results"]
    assert [r["status"] for r in results] == ["applied", "applied", "rejected"]
    assert results[2]["detail"] == {"episode_id": ["No such infusion in this diary."]}
    assert list(VialUsage.objects.filter(episode=planned).values_list("lot_number", flat=True)) == ["LOT-A1"]


def test_past_the_time_budget_each_request_still_moves_the_queue_on(episode, settings):
    """With the budget already spent, a request applies one stretch of diary entries (or one other
    mutation) and leaves the rest for the next request: nothing is lost, and no queue is stuck."""
    settings.SYNC_PUSH_SECONDS = 0
    device = Device(episode.patient.user)
    for i in range(3):
        entry(device, episode.pk, i)
    device.write("hydration", set={"patient_id": str(episode.patient_id)})  # not a plain entry: one by one
    entry(device, episode.pk, 4)
    acknowledged = []
    for _ in range(5):
        body = device.push().json()
        acknowledged.append(body["last_mutation_id"])
        if not device.outbox:
            break
    assert acknowledged == [3, 4, 5]
    assert MutationLog.objects.filter(client_id=device.client_id).count() == 5


def test_a_nul_character_is_a_rejected_mutation_not_a_500(episode):
    """PostgreSQL stores neither a NUL character nor an unpaired surrogate, in text or in JSON. A
    mutation that carries one (JSON sends them as \\u0000 and \\ud83d), in a value, a key or deep
    in a list, is rejected field by field and logged with the character replaced; the rest of the
    batch is applied."""
    device = Device(episode.patient.user)
    entry(device, episode.pk, 0)
    medicine = {"episode_id": str(episode.pk), "category": "premed", "drug": "para\x00cetamol", "dose": "1 g"}
    device.write("medication", set={**medicine, "given_at": timezone.now().isoformat()})
    device.write("hydration", set={"episode_id": str(episode.pk), "odd\x00key": 1})
    device.write("hydration", uuid.uuid4(), base_version=1, set={"volume_ml": 5}, base={"notes": ["ok", "b\x00d"]})
    device.write("hydration", set={"episode_id": str(episode.pk), "note": {"lone": "half \ud83d of an emoji"}})
    entry(device, episode.pk, 5)
    response = device.push()
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["applied", "rejected", "rejected", "rejected", "rejected", "applied"]
    assert results[1]["detail"] == {"drug": ["Null characters are not allowed."]}
    assert results[2]["detail"] == {"odd\ufffdkey": ["Null characters are not allowed."]}
    assert results[3]["detail"] == {"notes": ["Null characters are not allowed."]}
    assert results[4]["detail"] == {"note": ["Unpaired surrogate characters are not allowed."]}
    logged = {m.mutation_id: m for m in MutationLog.objects.filter(client_id=device.client_id)}
    assert sorted(logged) == [1, 2, 3, 4, 5, 6]
    assert logged[5].payload["set"]["note"] == {"lone": "half \ufffd of an emoji"}
    assert logged[2].payload["set"]["drug"] == "para\ufffdcetamol" and logged[2].result == "rejected"
    assert logged[4].payload["base"]["notes"] == ["ok", "b\ufffdd"]
    assert not MedicationDose.objects.filter(drug__startswith="para").exists()
    assert device.push().json()["results"] == []  # the queue moved on
