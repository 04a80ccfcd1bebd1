import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from ivigapp.audit.models import AuditEvent
from ivigapp.reactions.models import Alert, InfusionEpisode, SymptomReport, VialUsage
from ivigapp.sync.models import MutationLog, SyncConflict
from tests.reactions.conftest import NO_RED_FLAGS, red_flags
from tests.sync.conftest import Device

pytestmark = pytest.mark.django_db


def iso(moment):
    return moment.isoformat()


def new_episode(device, plan, **extra):
    return device.write("infusion_episode", set={"plan_id": plan.pk, "scheduled_start": iso(timezone.now()), **extra})


def test_a_device_is_bound_to_its_user(patient, other_patient):
    mine = Device(patient.user)
    thief = Device(other_patient.user)
    response = thief.post("/api/sync/v1/clients", {"client_id": mine.client_id, "schema_version": 1})
    assert response.status_code == 403
    thief.client_id = mine.client_id
    assert thief.push([]).status_code == 403


def test_it_applies_a_batch_and_acknowledges_each_mutation(plan, weighed_patient):
    device = Device(weighed_patient.user)
    episode = new_episode(device, plan)
    start = iso(timezone.now() - timedelta(minutes=30))
    device.write(
        "infusion_episode",
        episode["row_id"],
        set={"started_at": start, "status": "in_progress"},
        base_version=1,
        base={"started_at": None},
    )
    device.write(
        "vial",
        set={
            "episode_id": episode["row_id"],
            "lot_number": "LE12F045",
            "expiry_date": "2027-10-01",
            "vial_size_g": "20",
        },
    )
    response = device.push()
    body = response.json()
    assert response.status_code == 200 and body["last_mutation_id"] == 3
    assert [r["status"] for r in body["results"]] == ["applied", "applied", "applied"]
    assert InfusionEpisode.objects.get(pk=episode["row_id"]).started_at is not None
    assert device.outbox == []


@pytest.mark.parametrize("replays", [1, 2, 3, 4, 5])
def test_replaying_a_push_leaves_one_copy_and_returns_the_original_results(plan, weighed_patient, replays):
    device = Device(weighed_patient.user)
    episode = new_episode(device, plan)
    batch = list(device.outbox)
    first = device.push(batch).json()
    for _ in range(replays):
        again = device.push(batch).json()
        assert again == {**first, "server_time": again["server_time"]}
    assert InfusionEpisode.objects.filter(pk=episode["row_id"]).count() == 1
    assert MutationLog.objects.count() == 1


def test_a_gap_in_mutation_ids_is_a_409_and_applies_nothing(plan, weighed_patient):
    device = Device(weighed_patient.user)
    new_episode(device, plan)
    late = new_episode(device, plan)
    response = device.push([late])
    assert response.status_code == 409
    assert response.json() == {"error": "mutation_gap", "expected": 1}
    assert not InfusionEpisode.objects.exists()


def test_a_reused_id_with_a_changed_payload_never_overwrites(plan, weighed_patient):
    device = Device(weighed_patient.user)
    episode = new_episode(device, plan, course_day=1)
    device.push()
    tampered = {**episode, "set": {**episode["set"], "scheduled_start": iso(timezone.now() + timedelta(days=9))}}
    body = device.push([tampered]).json()
    assert body["results"][0]["status"] == "applied"
    stored = InfusionEpisode.objects.get(pk=episode["row_id"])
    assert abs(stored.scheduled_start - timezone.now()) < timedelta(minutes=5)


def test_pushing_into_another_patients_scope_is_rejected_and_audited(plan, weighed_patient, other_patient):
    intruder = Device(other_patient.user)
    foreign_episode = InfusionEpisode.objects.none()
    mine = Device(weighed_patient.user)
    ep = new_episode(mine, plan)
    mine.push()
    foreign_episode = ep["row_id"]
    intruder.write(
        "vial",
        set={"episode_id": foreign_episode, "lot_number": "AB123", "expiry_date": "2030-01-01", "vial_size_g": "10"},
    )
    intruder.write("infusion_episode", foreign_episode, set={"course_day": 1}, base_version=1)
    intruder.write(
        "symptom_report",
        set={"patient_id": str(weighed_patient.pk), "onset_at": iso(timezone.now()), "red_flag_answers": NO_RED_FLAGS},
    )
    body = intruder.push().json()
    assert [(r["status"], r["reason"]) for r in body["results"]] == [("rejected", "not_found")] * 3
    assert body["last_mutation_id"] == 3, "rejections are acknowledged and never block the queue"
    assert not VialUsage.objects.exists() and not SymptomReport.objects.exists()
    assert AuditEvent.objects.filter(actor_id=other_patient.user.pk, outcome="denied").count() == 3


def test_bad_values_are_rejected_field_by_field_and_the_queue_moves_on(plan, weighed_patient):
    device = Device(weighed_patient.user)
    episode = new_episode(device, plan)
    device.write(
        "vial", set={"episode_id": episode["row_id"], "lot_number": "x", "expiry_date": "soon", "vial_size_g": "-1"}
    )
    device.write(
        "symptom_report", set={"onset_at": iso(timezone.now()), "red_flag_answers": NO_RED_FLAGS, "temperature_c": "52"}
    )
    device.write(
        "vial",
        set={"episode_id": episode["row_id"], "lot_number": "LOT-77", "expiry_date": "2030-01-01", "vial_size_g": "10"},
    )
    results = device.push().json()["results"]
    assert results[1]["status"] == "rejected" and "expiry_date" in results[1]["detail"]
    assert results[2]["status"] == "rejected" and "temperature_c" in results[2]["detail"]
    assert results[3]["status"] == "applied"
    assert list(VialUsage.objects.values_list("lot_number", flat=True)) == ["LOT-77"]
    assert MutationLog.objects.filter(result="rejected").count() == 2


def test_a_start_in_the_wrong_year_is_refused_and_a_red_flag_after_it_still_reaches_the_nurse(plan, weighed_patient):
    """Found by a walkthrough: a start on 1990-01-01, then the end. The volume estimate overflowed
    the column, every later push answered 500, and a red-flag report behind it never arrived."""
    device = Device(weighed_patient.user)
    episode = new_episode(device, plan)
    start = {"started_at": "1990-01-01T10:00:00+00:00", "status": "in_progress"}
    device.write("infusion_episode", episode["row_id"], set=start, base_version=1)
    device.write("symptom_report", set={"onset_at": iso(timezone.now()), "red_flag_answers": red_flags("RF_STROKE")})
    response = device.push()
    assert response.status_code == 200
    results = response.json()["results"]
    message = "A start more than 90 days in the past cannot be entered. Check the date."
    assert results[1]["detail"] == {"started_at": [message]}
    assert results[2]["status"] == "applied"
    assert Alert.objects.get(patient=weighed_patient).level == "emergency"


def test_a_start_entered_offline_is_judged_by_when_it_was_entered(plan, weighed_patient):
    """A phone offline for ten days sends a start it recorded ten days ago: a real start, accepted."""
    device = Device(weighed_patient.user)
    episode = new_episode(device, plan)
    entered = timezone.now() - timedelta(days=10)
    start = {"started_at": iso(entered - timedelta(minutes=5)), "status": "in_progress"}
    device.write("infusion_episode", episode["row_id"], set=start, base_version=1)["recorded_at"] = iso(entered)
    assert [r["status"] for r in device.push().json()["results"]] == ["applied", "applied"]


def test_an_infusion_left_running_for_weeks_leaves_the_volume_unestimated_instead_of_failing_the_push(
    plan, weighed_patient
):
    """Started on its planned day 60 days ago at 1,000 mL/h and ended only now: 1,440 L overflows
    the volume column (it made every later push of the device a 500)."""
    device = Device(weighed_patient.user)
    start = iso(timezone.now() - timedelta(days=60))
    episode = device.write("infusion_episode", set={"plan_id": plan.pk, "scheduled_start": start})
    started = {"started_at": start, "status": "in_progress"}
    device.write("infusion_episode", episode["row_id"], set=started, base_version=1)["recorded_at"] = start
    device.write("rate_change", set={"episode_id": episode["row_id"], "at": start, "rate_ml_h": "1000", "step_no": 1})
    end = {"ended_at": iso(timezone.now()), "status": "complete"}
    device.write("infusion_episode", episode["row_id"], set=end, base_version=2)
    response = device.push()
    assert response.status_code == 200
    assert [r["status"] for r in response.json()["results"]] == ["applied"] * 4, response.json()["results"]
    ended = InfusionEpisode.objects.get(pk=episode["row_id"])
    assert (ended.status, ended.volume_infused_ml) == ("complete", None)


def test_a_value_the_database_cannot_store_refuses_that_mutation_alone(plan, weighed_patient, monkeypatch):
    """Fault injection: should a value get past every check and the database refuse it, the
    mutation is rejected in its savepoint and the queue moves on (a 500 would block it for good)."""
    from django.db import DataError, connection

    from ivigapp.sync import push

    def overflowing(*args, **kwargs):
        if connection.vendor == "postgresql":  # a real error, which aborts the transaction
            with connection.cursor() as cursor:  # but for the savepoint it would fail the push
                cursor.execute("SELECT 1e7::numeric(7, 1)")
        raise DataError("numeric field overflow")  # SQLite keeps any number: the error is raised here

    monkeypatch.setattr(push, "update_row", overflowing)
    device = Device(weighed_patient.user)
    episode = new_episode(device, plan)
    device.write("infusion_episode", episode["row_id"], set={"course_day": 1}, base_version=1)
    device.write("symptom_report", set={"onset_at": iso(timezone.now()), "red_flag_answers": red_flags("RF_STROKE")})
    response = device.push()
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["applied", "rejected", "applied"], results
    assert results[1]["detail"] == {"non_field_errors": ["A value of this entry is out of range."]}
    assert response.json()["last_mutation_id"] == 3


def test_an_old_mutation_format_is_upcast(plan, weighed_patient):
    device = Device(weighed_patient.user)
    mutation = device.write("symptom_report", set={"onset_at": iso(timezone.now()), "red_flags": ["RF_CHEST"]})
    mutation["mutation_format"] = 1
    assert device.push().json()["results"][0]["status"] == "applied"
    report = SymptomReport.objects.get()
    assert report.red_flags() == ["RF_CHEST"] and report.decision.level == "emergency"


def test_an_old_schema_is_told_to_upgrade(weighed_patient, settings):
    device = Device(weighed_patient.user)
    settings.SYNC_SCHEMA_RANGE = (2, 2)
    response = device.push([])
    assert response.status_code == 426 and response.json()["error"] == "schema_too_old"


def test_a_nurse_cannot_push_into_an_unassigned_patient(other_nurse, plan, weighed_patient):
    device = Device(other_nurse)
    device.write(
        "infusion_episode",
        set={"patient_id": str(weighed_patient.pk), "plan_id": plan.pk, "scheduled_start": iso(timezone.now())},
    )
    assert device.push().json()["results"][0]["reason"] == "not_found"


def test_an_unknown_table_is_a_400_before_anything_runs(weighed_patient):
    device = Device(weighed_patient.user)
    device.write("__proto__", set={"x": 1})
    response = device.push()
    assert response.status_code == 400 and "mutations" in response.json()
    assert not MutationLog.objects.exists()


def test_concurrent_edits_of_different_fields_merge(plan, weighed_patient):
    phone, tablet = Device(weighed_patient.user), Device(weighed_patient.user)
    ep = new_episode(phone, plan)
    phone.push()
    row_id = ep["row_id"]
    phone.write("infusion_episode", row_id, set={"hydrated": True}, base_version=1, base={"hydrated": None})
    tablet.write(
        "infusion_episode",
        row_id,
        set={"anaphylaxis_kit_present": True},
        base_version=1,
        base={"anaphylaxis_kit_present": None},
    )
    assert phone.push().json()["results"][0]["status"] == "applied"
    assert tablet.push().json()["results"][0]["status"] == "merged"
    episode = InfusionEpisode.objects.get(pk=row_id)
    assert episode.hydrated is True and episode.anaphylaxis_kit_present is True
    assert not SyncConflict.objects.exists()


def test_concurrent_edits_of_one_field_keep_the_losing_value(plan, weighed_patient, nurse):
    phone, tablet = Device(weighed_patient.user), Device(weighed_patient.user)
    ep = new_episode(phone, plan)
    phone.push()
    row_id = ep["row_id"]
    phone.write("infusion_episode", row_id, set={"weight_kg": "70.5"}, base_version=1, base={"weight_kg": None})
    tablet.write("infusion_episode", row_id, set={"weight_kg": "71.5"}, base_version=1, base={"weight_kg": None})
    phone.push()
    result = tablet.push().json()["results"][0]
    assert result["status"] == "conflict"
    episode = InfusionEpisode.objects.get(pk=row_id)
    assert str(episode.weight_kg) == "71.5", "the later arrival wins, by server order"
    conflict = SyncConflict.objects.get(pk=result["conflict_id"])
    assert (conflict.field, conflict.kept_value, conflict.other_value) == ("weight_kg", "71.5", "70.5")
    # Both the patient and the nurse see it.
    for viewer in (Device(weighed_patient.user), Device(nurse)):
        viewer.pull_all()
        assert ("sync_conflict", str(conflict.pk)) in viewer.replica
        assert viewer.replica[("infusion_episode", row_id)]["conflicts"] == [str(conflict.pk)]


def test_a_delete_tombstones_and_a_late_edit_does_not_resurrect(plan, weighed_patient):
    phone, tablet = Device(weighed_patient.user), Device(weighed_patient.user)
    ep = new_episode(phone, plan)
    phone.write("infusion_episode", ep["row_id"], kind="delete", base_version=1)
    assert [r["status"] for r in phone.push().json()["results"]] == ["applied", "applied"]
    tablet.write("infusion_episode", ep["row_id"], set={"course_day": 1, "hydrated": True}, base_version=1)
    result = tablet.push().json()["results"][0]
    assert result["status"] == "conflict"
    assert InfusionEpisode.objects.get(pk=ep["row_id"]).deleted
    assert SyncConflict.objects.get(pk=result["conflict_id"]).other_value == {"course_day": 1, "hydrated": True}


def test_a_finished_infusion_is_append_only_and_takes_amendments(episode):
    from ivigapp.reactions import services

    services.episode_end(actor=episode.patient.user, episode=episode, ended_at=timezone.now(), status="complete")
    device = Device(episode.patient.user)
    episode.refresh_from_db()
    device.write("infusion_episode", episode.pk, set={"weight_kg": "80"}, base_version=episode.version)
    device.write(
        "amendment",
        set={
            "target_table": "infusion_episode",
            "target_id": str(episode.pk),
            "changes": {"weight_kg": "80"},
            "reason": "scale was wrong",
        },
    )
    device.write(
        "amendment",
        set={
            "target_table": "infusion_episode",
            "target_id": str(episode.pk),
            "changes": {"weight_kg": "79"},
            "reason": "weighed again",
        },
    )
    results = device.push().json()["results"]
    assert (results[0]["status"], list(results[0]["detail"])) == ("rejected", ["status"])
    assert [r["status"] for r in results[1:]] == ["applied", "applied"]
    episode.refresh_from_db()
    assert episode.weight_kg is None, "the original is never changed"


def test_a_nurse_acknowledges_by_sync_and_the_patient_pulls_the_receipt(episode, nurse):
    from tests.reactions.conftest import red_flags

    patient_device = Device(episode.patient.user)
    patient_device.write(
        "symptom_report",
        set={"episode_id": str(episode.pk), "onset_at": iso(timezone.now()), "red_flag_answers": red_flags("RF_LIMB")},
    )
    patient_device.push()
    patient_device.pull_all()
    alert_key = next(k for k in patient_device.replica if k[0] == "alert")
    assert patient_device.replica[alert_key]["row"]["acknowledged_at"] is None
    nurse_device = Device(nurse)
    nurse_device.pull_all()
    version = nurse_device.replica[alert_key]["version"]
    nurse_device.write(
        "alert", alert_key[1], set={"acknowledged": True}, base_version=version, base={"acknowledged": False}
    )
    nurse_device.write("alert_note", set={"alert_id": alert_key[1], "text": "Seen: call booked for 3pm."})
    assert [r["status"] for r in nurse_device.push().json()["results"]] == ["applied", "applied"]
    patient_device.pull_all()
    assert patient_device.replica[alert_key]["row"]["acknowledged_at"] is not None
    notes = [c for k, c in patient_device.replica.items() if k[0] == "alert_note"]
    assert notes[0]["row"]["text"] == "Seen: call booked for 3pm."


def test_a_report_sent_at_the_emergency_advice_syncs_with_its_unanswered_questions(episode):
    """The app lets a report go once a yes calls for the emergency number; the questions after it
    arrive as null. Without a yes, null is refused, field by field."""
    unanswered = dict.fromkeys(NO_RED_FLAGS)
    device = Device(episode.patient.user)
    at = iso(timezone.now())
    device.write("symptom_report", set={"episode_id": str(episode.pk), "onset_at": at, "red_flag_answers": unanswered})
    device.write(
        "symptom_report",
        set={"episode_id": str(episode.pk), "onset_at": at, "red_flag_answers": {**unanswered, "RF_CHEST": True}},
    )
    refused, applied = device.push().json()["results"]
    assert refused["status"] == "rejected" and set(refused["detail"]) == {"red_flag_answers"}
    assert applied["status"] == "applied"
    report = SymptomReport.objects.get()
    assert report.red_flag_answers == {**unanswered, "RF_CHEST": True} and report.decision.level == "emergency"


def test_a_patient_cannot_write_nurse_rows(episode):
    device = Device(episode.patient.user)
    device.write("alert_note", set={"alert_id": str(uuid.uuid4()), "text": "I am the nurse now"})
    assert device.push().json()["results"][0]["reason"] == "forbidden"
