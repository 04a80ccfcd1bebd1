import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from ivigapp.patients import services as patient_services
from ivigapp.patients.models import CareAssignment
from ivigapp.reactions import services
from ivigapp.sync.models import SyncScope
from ivigapp.sync.services import tombstones_collect
from tests.sync.conftest import Device

pytestmark = pytest.mark.django_db


def iso(moment):
    return moment.isoformat()


def log_vials(device, episode_id, count):
    for i in range(count):
        device.write(
            "vial",
            set={
                "episode_id": str(episode_id),
                "lot_number": f"LOT{i:04d}",
                "expiry_date": "2030-01-01",
                "vial_size_g": "10",
            },
        )
    for _ in range(10):  # a push stops at its time budget on a slow machine; the rest goes next time
        if not device.outbox:
            break
        assert device.push().status_code == 200
    assert device.outbox == []


def test_a_first_sync_pages_through_everything_in_the_patients_scope(episode, other_patient):
    device = Device(episode.patient.user)
    log_vials(device, episode.pk, 25)
    body, pages = device.pull_all(limit=10)
    tables = sorted({table for table, _ in device.replica})
    assert tables == ["infusion_episode", "rate_change", "vial"]
    assert len(device.replica) == 1 + 3 + 25 and pages == 3
    assert all(
        c["row"]["patient_id"] == str(episode.patient_id) for c in device.replica.values() if "patient_id" in c["row"]
    )


def test_an_incremental_pull_sends_only_what_changed_including_deletions(episode):
    device = Device(episode.patient.user)
    log_vials(device, episode.pk, 2)
    device.pull_all()
    vial_id = next(row_id for table, row_id in device.replica if table == "vial")
    device.write("vial", vial_id, kind="delete", base_version=1)
    log_vials(device, episode.pk, 1)
    response = device.post(
        "/api/sync/v1/pull", {"client_id": device.client_id, "schema_version": 1, "cursor": device.cursor}
    )
    changes = response.json()["changes"]
    assert [(c["table"], c["deleted"]) for c in changes] == [("vial", True), ("vial", False)]
    assert changes[0]["id"] == vial_id and "row" not in changes[0]


def test_a_no_change_pull_returns_nothing(episode):
    device = Device(episode.patient.user)
    device.pull_all()
    body, _ = device.pull_all()
    assert body["changes"] == [] and body["has_more"] is False


def test_a_first_sync_leaves_tombstones_out(episode):
    device = Device(episode.patient.user)
    log_vials(device, episode.pk, 1)
    vial = episode.vialusage_set.get()
    device.write("vial", vial.pk, kind="delete", base_version=1)
    device.push()
    fresh = Device(episode.patient.user)
    body, _ = fresh.pull_all()
    assert ("vial", str(vial.pk)) not in fresh.replica


def test_a_nurse_pulls_assigned_patients_only_and_loses_them_on_reassignment(episode, nurse, other_patient, admin_user):
    device = Device(nurse)
    device.pull_all()
    patients = {c["row"].get("patient_id") for c in device.replica.values()}
    assert patients == {str(episode.patient_id)}
    assignment = CareAssignment.objects.get(nurse=nurse, patient=episode.patient)
    patient_services.care_team_end(actor=admin_user, assignment=assignment)
    body, _ = device.pull_all()
    assert body["scopes_removed"] == [f"patient:{episode.patient_id}"]


def test_a_forged_cursor_resets_the_replica(episode):
    device = Device(episode.patient.user)
    device.pull_all()
    for forged in (device.cursor[:-4] + "AAAA", "not-a-cursor"):
        response = device.post(
            "/api/sync/v1/pull", {"client_id": device.client_id, "schema_version": 1, "cursor": forged}
        )
        assert response.json()["reset"] is True and len(response.json()["changes"]) == 4


def test_a_restored_database_with_a_new_epoch_resets_clients(episode):
    device = Device(episode.patient.user)
    device.pull_all()
    scope = SyncScope.objects.get(id=f"patient:{episode.patient_id}")
    scope.epoch = uuid.uuid4()
    scope.save()
    response = device.post(
        "/api/sync/v1/pull", {"client_id": device.client_id, "schema_version": 1, "cursor": device.cursor}
    )
    assert response.json()["reset"] is True


def test_collected_tombstones_reset_clients_whose_cursor_is_older(episode, settings):
    device = Device(episode.patient.user)
    log_vials(device, episode.pk, 1)
    device.pull_all()
    old_cursor = device.cursor
    vial = episode.vialusage_set.get()
    device.write("vial", vial.pk, kind="delete", base_version=1)
    device.push()
    later = timezone.now() + timedelta(days=settings.SYNC_TOMBSTONE_DAYS + 1)
    assert tombstones_collect(now=later) == 1
    response = device.post(
        "/api/sync/v1/pull", {"client_id": device.client_id, "schema_version": 1, "cursor": old_cursor}
    )
    assert response.json()["reset"] is True


def test_pull_queries_do_not_grow_with_history_or_page_size(episode, django_assert_num_queries):
    device = Device(episode.patient.user)
    log_vials(device, episode.pk, 5)

    def pull(limit):
        return device.post(
            "/api/sync/v1/pull", {"client_id": device.client_id, "schema_version": 1, "cursor": None, "limit": limit}
        )

    # 1 session, 2 user, 3 groups, 4 client, 5 allowed patients, 6 savepoint, 7 scopes,
    # 8-21 one per syncable table, 22 open conflicts of the page, 23 client's last mutation id, 24 release
    with django_assert_num_queries(24):
        small = pull(5)
    log_vials(device, episode.pk, 60)
    with django_assert_num_queries(24):
        large = pull(500)
    assert len(small.json()["changes"]) == 5 and len(large.json()["changes"]) == 69


def test_push_queries_do_not_grow_with_history(episode, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    device = Device(episode.patient.user)

    def push_one():
        device.write(
            "hydration",
            set={"episode_id": str(episode.pk), "phase": "during", "volume_ml": 250, "logged_at": iso(timezone.now())},
        )
        with CaptureQueriesContext(connection) as queries:
            assert device.push().status_code == 200
        return len(queries)

    first = push_one()
    log_vials(device, episode.pk, 40)
    assert push_one() == first


def test_the_patient_sees_the_triage_decision_and_the_alert_of_their_report(episode):
    from tests.reactions.conftest import red_flags

    device = Device(episode.patient.user)
    device.write(
        "symptom_report",
        set={"episode_id": str(episode.pk), "onset_at": iso(timezone.now()), "red_flag_answers": red_flags("RF_CHEST")},
    )
    device.push()
    device.pull_all()
    decision = next(c for (t, _), c in device.replica.items() if t == "triage_decision")["row"]
    assert decision["level"] == "emergency" and decision["advice"] == ["ADV_STOP_CALL_EMERGENCY"]
    assert any(t == "alert" for t, _ in device.replica)


def test_services_writes_show_up_for_every_device(episode):
    device = Device(episode.patient.user)
    device.pull_all()
    services.vitals_record(
        actor=episode.patient.user, episode=episode, measured_at=timezone.now(), temperature_c="37.2"
    )
    body, _ = device.pull_all()
    assert [c["table"] for c in body["changes"]] == ["vitals"]
