from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from ivigapp.audit.models import AuditEvent
from ivigapp.patients import services as patient_services
from ivigapp.patients.roles import GROUP_ON_CALL, ROLE_NURSE
from ivigapp.reactions import services
from ivigapp.reactions.models import Alert, AlertEscalation
from ivigapp.reactions.services.alerts import alert_deadline
from tests.conftest import make_staff
from tests.reactions.conftest import red_flags

pytestmark = pytest.mark.django_db


def raise_urgent(episode):
    return services.symptom_report_submit(
        actor=episode.patient.user,
        patient=episode.patient,
        episode=episode,
        onset_at=timezone.now(),
        red_flag_answers=red_flags("RF_LIMB"),
        symptoms={},
    ).alerts.get()


def test_routine_alerts_are_due_the_next_business_day():
    friday = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    assert alert_deadline("routine", friday) == datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    assert alert_deadline("same_day", friday) == friday + timedelta(hours=4)
    assert alert_deadline("urgent", friday) == friday + timedelta(minutes=30)


def test_the_owner_is_the_assigned_nurse(episode, nurse):
    alert = raise_urgent(episode)
    assert alert.owner == nurse and alert.level == "urgent"


def test_acknowledging_is_the_patients_receipt_and_happens_once(episode, nurse):
    alert = raise_urgent(episode)
    first = services.alert_acknowledge(actor=nurse, alert=alert)
    version = first.version
    again = services.alert_acknowledge(actor=nurse, alert=alert)
    assert again.acknowledged_at == first.acknowledged_at and again.version == version
    assert AuditEvent.objects.filter(action="alert.acknowledge").count() == 1


def test_notes_and_resolution_go_through_services(episode, nurse):
    alert = raise_urgent(episode)
    note = services.alert_annotate(actor=nurse, alert=alert, text="Called: swelling settling, seen tomorrow.")
    assert note.scope_id == f"patient:{episode.patient_id}"
    with pytest.raises(ValidationError):
        services.alert_annotate(actor=nurse, alert=alert, text="   ")
    with pytest.raises(ValidationError):
        services.alert_resolve(actor=nurse, alert=alert, resolution="shrug")
    resolved = services.alert_resolve(actor=nurse, alert=alert, resolution="visit")
    assert resolved.resolved_by == nurse and resolved.acknowledged_at is not None


def test_patients_and_administrators_cannot_work_alerts(episode, admin_user):
    alert = raise_urgent(episode)
    for actor in (episode.patient.user, admin_user):
        with pytest.raises(ValidationError):
            services.alert_acknowledge(actor=actor, alert=alert)


def test_escalation_fires_once_exactly_when_the_deadline_passes(
    episode, nurse, roles, admin_user, django_capture_on_commit_callbacks
):
    second = make_staff("nurse2b", ROLE_NURSE)
    patient_services.care_team_assign(actor=admin_user, nurse=second, patient=episode.patient)
    on_call = make_staff("oncall", ROLE_NURSE)
    on_call.groups.add(Group.objects.get(name=GROUP_ON_CALL))
    alert = raise_urgent(episode)
    with time_machine.travel(alert.deadline_at - timedelta(seconds=1), tick=False):
        assert services.alerts_escalate_due() == 0
    with time_machine.travel(alert.deadline_at, tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            assert services.alerts_escalate_due() == 1
        assert services.alerts_escalate_due() == 0
    with time_machine.travel(alert.deadline_at + timedelta(hours=3), tick=False):
        assert services.alerts_escalate_due() == 0
    alert.refresh_from_db()
    assert alert.escalated_at == alert.deadline_at
    recipients = set(AlertEscalation.objects.values_list("recipient__username", flat=True))
    assert recipients == {"nurse2b", "oncall"}  # the owner already has it in their queue
    assert sorted(m.to[0] for m in mail.outbox) == ["nurse2b@example.org", "oncall@example.org"]
    assert all("RF_LIMB" not in m.body and "swelling" not in m.body.lower() for m in mail.outbox)
    assert AlertEscalation.objects.filter(sent_at__isnull=True).count() == 0


def test_an_acknowledged_alert_never_escalates(episode, nurse):
    alert = raise_urgent(episode)
    services.alert_acknowledge(actor=nurse, alert=alert)
    with time_machine.travel(alert.deadline_at + timedelta(minutes=1), tick=False):
        assert services.alerts_escalate_due() == 0


def test_a_missed_follow_up_raises_one_alert_routine_without_risk_flags(episode):
    episode.patient.indication = "PID"  # CIDP would count as a neurological risk flag: same day
    episode.patient.save(update_fields=["indication"])
    end = timezone.now() - timedelta(hours=1)
    services.episode_end(actor=episode.patient.user, episode=episode, ended_at=end, status="complete")
    check = episode.followups.get(kind="h24")
    with time_machine.travel(check.window_ends_at - timedelta(seconds=1), tick=False):
        assert services.followups_mark_missed() == 0
    with time_machine.travel(check.window_ends_at, tick=False):
        assert services.followups_mark_missed() == 1
        assert services.followups_mark_missed() == 0
    alert = Alert.objects.get(source="missed_check")
    assert (alert.rule_id, alert.level, alert.followup_id) == ("T39", "routine", check.pk)
