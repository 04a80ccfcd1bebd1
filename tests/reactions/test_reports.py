from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ivigapp.protocols import services as protocol_services
from ivigapp.reactions import services
from ivigapp.reactions.models import Alert, SymptomReport, TriageDecision
from tests.reactions.conftest import NO_RED_FLAGS, red_flags

pytestmark = pytest.mark.django_db


def submit(patient, **fields):
    data = dict(
        actor=patient.user, patient=patient, onset_at=timezone.now(), red_flag_answers=NO_RED_FLAGS, symptoms={}
    )
    data.update(fields)
    return services.symptom_report_submit(**data)


def test_onset_at_47_minutes_lands_in_the_step_running_then(episode):
    report = submit(
        episode.patient,
        episode=episode,
        onset_at=episode.started_at + timedelta(minutes=47),
        symptoms={"HEADACHE": {"severity": 1, "nrs": 3}},
    )
    assert (report.phase, report.context, report.minutes_since_start) == ("during", "D-S", 47)
    assert (report.rate_step_at_onset, report.rate_at_onset_ml_h) == (2, Decimal("70.0"))


def test_a_mild_headache_while_self_infusing_is_slowed_per_plan_and_checked_again(episode):
    report = submit(episode.patient, episode=episode, symptoms={"HEADACHE": {"severity": 1}})
    decision = report.decision
    assert (decision.primary_rule_id, decision.level) == ("T06", "routine")
    assert decision.advice == ["ADV_SLOW_PER_PLAN", "ADV_RECHECK_30MIN"]
    alert = Alert.objects.get(report=report)
    assert (alert.level, alert.rule_id) == ("routine", "T06")


def test_a_red_flag_wins_and_raises_an_emergency_alert_recording_what_was_decided(episode):
    report = submit(
        episode.patient,
        episode=episode,
        red_flag_answers=red_flags("RF_AIRWAY"),
        symptoms={"HEADACHE": {"severity": 1}},
        actions_taken=["stopped", "called_emergency"],
    )
    decision = TriageDecision.objects.get(report=report)
    assert decision.red_flag and decision.level == "emergency" and decision.primary_rule_id == "T01"
    assert decision.advice == ["ADV_STOP_CALL_EMERGENCY"]  # no auto-injector on this plan
    assert (decision.ruleset_version, decision.language) == (0, "en")
    alert = Alert.objects.get(report=report)
    assert alert.level == "emergency" and alert.deadline_at - alert.created_at == timedelta(minutes=15)


def test_the_published_rule_set_decides_and_its_version_is_recorded(episode, admin_user, roles):
    from tests.conftest import make_staff

    approver = make_staff("approver2", "clinical_admin")
    ruleset = protocol_services.triage_ruleset_draft(
        author=admin_user, document=protocol_services.triage_ruleset_v1_document()
    )
    protocol_services.triage_ruleset_submit(actor=admin_user, ruleset=ruleset)
    protocol_services.triage_ruleset_approve(actor=approver, ruleset=ruleset)
    protocol_services.triage_ruleset_publish(actor=admin_user, ruleset=ruleset)
    report = submit(episode.patient, episode=episode, temperature_c=Decimal("38.4"))
    assert (report.decision.ruleset_version, report.decision.primary_rule_id) == (ruleset.version, "T12S")


def test_a_report_after_the_infusion_is_placed_in_hours_after_the_end(episode):
    end = timezone.now() - timedelta(hours=30)
    episode.started_at = end - timedelta(hours=2)
    episode.save()
    services.episode_end(actor=episode.patient.user, episode=episode, ended_at=end, status="complete")
    report = submit(episode.patient, symptoms={"HEADACHE": {"severity": 3}})
    assert report.episode == episode
    assert (report.phase, report.context, report.hours_after_end) == ("post", "P", Decimal("30.0"))
    assert report.decision.primary_rule_id == "T09"


def test_an_alert_exists_if_and_only_if_its_report_committed(episode, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            submit(episode.patient, episode=episode, red_flag_answers=red_flags("RF_CHEST"))
            assert Alert.objects.count() == 1  # written together with the report...
            raise RuntimeError("the request failed after the report was saved")
    assert not SymptomReport.objects.exists() and not Alert.objects.exists()  # ...and gone together
    assert not TriageDecision.objects.exists()
    assert callbacks == []  # nothing was enqueued


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"red_flag_answers": {"RF_AIRWAY": True}}, "red_flag_answers"),
        ({"red_flag_answers": {**NO_RED_FLAGS, "RF_AIRWAY": "yes"}}, "red_flag_answers"),
        ({"red_flag_answers": {**NO_RED_FLAGS, "RF_AIRWAY": None}}, "red_flag_answers"),  # unanswered, no yes
        ({"red_flag_answers": dict.fromkeys(NO_RED_FLAGS)}, "red_flag_answers"),
        ({"symptoms": {"HEADACHE": {"severity": 5}}}, "symptoms"),
        ({"symptoms": {"WEREWOLF": {"severity": 1}}}, "symptoms"),
        ({"symptoms": {"NAUSEA": {"severity": 1, "nrs": 4}}}, "symptoms"),
        ({"temperature_c": Decimal("29.9")}, "temperature_c"),
        ({"temperature_c": Decimal("45.1")}, "temperature_c"),
        ({"systolic": 20}, "systolic"),
        ({"actions_taken": ["prayed"]}, "actions_taken"),
        ({"onset_at": timezone.now() + timedelta(hours=2)}, "onset_at"),
    ],
)
def test_bad_checklists_are_refused_field_by_field_and_nothing_is_written(episode, fields, field):
    with pytest.raises(ValidationError) as caught:
        submit(episode.patient, episode=episode, **fields)
    assert field in caught.value.message_dict
    assert not SymptomReport.objects.exists() and not Alert.objects.exists()


def test_a_yes_that_calls_for_the_emergency_number_may_leave_the_other_questions_unanswered(episode):
    """The app shows the emergency advice at the first such yes and lets the report go from there:
    the questions after it stay unanswered (None), which is not the same as a no."""
    answers = {**dict.fromkeys(NO_RED_FLAGS), "RF_AIRWAY": True}
    report = submit(episode.patient, episode=episode, red_flag_answers=answers)
    report.refresh_from_db()
    assert report.red_flag_answers == answers and report.red_flags() == ["RF_AIRWAY"]
    assert report.decision.level == "emergency" and report.decision.red_flag
    assert Alert.objects.get(report=report).level == "emergency"


def test_a_report_cannot_point_at_another_patients_infusion(episode, other_patient):
    with pytest.raises(ValidationError) as caught:
        submit(other_patient, episode=episode)
    assert "episode" in caught.value.message_dict


def test_answering_a_follow_up_check_completes_it(episode):
    services.episode_end(actor=episode.patient.user, episode=episode, ended_at=timezone.now(), status="complete")
    check = episode.followups.get(kind="h24")
    report = submit(episode.patient, followup=check, symptoms={"FATIGUE": {"severity": 1}})
    check.refresh_from_db()
    assert check.completed_at is not None and check.report == report
    assert report.decision.primary_rule_id == "T17F" and not Alert.objects.exists()


def test_the_decision_records_which_advice_texts_were_shown(episode, admin_user, roles):
    from ivigapp.protocols.content.demo import content_demo_seed
    from tests.conftest import make_staff

    content_demo_seed(author=admin_user, approver=make_staff("approver3", "clinical_admin"))
    episode.patient.language = "ar"
    episode.patient.save(update_fields=["language"])
    report = submit(episode.patient, episode=episode, red_flag_answers=red_flags("RF_CHEST"))
    assert report.decision.content_version.startswith("ADV_STOP_CALL_EMERGENCY@1")
    assert report.decision.language == "ar"
