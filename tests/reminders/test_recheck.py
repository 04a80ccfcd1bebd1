"""The advice "check again in 30 minutes" (or 2 hours) is kept: a re-check reminder of the infusion
is planned for then, pushed like any reminder, moved by the next report that asks again, and
dropped by one that does not. Content had promised "The app will ask how you feel again in 30
minutes", and nothing asked."""

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from ivigapp.reactions import services as diary
from ivigapp.reminders import services
from ivigapp.reminders.models import Delivery, Reminder
from ivigapp.reminders.planning import DEFAULT_PLAN
from ivigapp.reminders.plans import reminder_plan_check
from tests.reactions.conftest import NO_RED_FLAGS
from tests.reminders.test_dispatch import FORBIDDEN_IN_PAYLOAD, dispatch_at, subscribe

pytestmark = pytest.mark.django_db


def report(episode, symptoms, onset_at=None):
    return diary.symptom_report_submit(
        actor=episode.patient.user,
        patient=episode.patient,
        episode=episode,
        onset_at=onset_at or timezone.now(),
        red_flag_answers=NO_RED_FLAGS,
        symptoms=symptoms,
    )


def test_a_mild_headache_while_self_infusing_is_asked_about_again_in_30_minutes(
    episode, push_receiver, django_capture_on_commit_callbacks
):
    subscribe(episode.patient, push_receiver)
    first = report(episode, {"HEADACHE": {"severity": 1}})
    assert "ADV_RECHECK_30MIN" in first.decision.advice
    recheck = Reminder.objects.get(episode=episode, kind="recheck")
    assert recheck.status == "pending" and recheck.due_at == first.onset_at + timedelta(minutes=30)
    assert recheck.safety_critical

    # Re-planning the infusion (it is moved, the time zone changes) keeps it: the plan has no such step.
    services.reminders_replan(episode=episode)
    assert Reminder.objects.get(pk=recheck.pk).status == "pending"

    assert dispatch_at(recheck.due_at - timedelta(minutes=1), django_capture_on_commit_callbacks) == 0
    dispatch_at(recheck.due_at, django_capture_on_commit_callbacks)
    (delivery,) = Delivery.objects.filter(reminder=recheck)
    assert (delivery.channel, delivery.status) == ("push", "sent")
    (payload,) = [p for _, _h, p in push_receiver.received if p["id"] == str(recheck.pk)]
    assert not any(word.lower() in str(payload).lower() for word in FORBIDDEN_IN_PAYLOAD)

    # Still a headache when asked: a new report asks again 30 minutes on, in a new round.
    later = timezone.now() + timedelta(minutes=31)
    with time_machine.travel(later, tick=False):
        second = report(episode, {"HEADACHE": {"severity": 1}})
    recheck.refresh_from_db()
    assert (recheck.status, recheck.round) == ("pending", 1)
    assert recheck.due_at == second.onset_at + timedelta(minutes=30)
    assert Reminder.objects.filter(episode=episode, kind="recheck").count() == 1


def test_a_report_whose_advice_asks_for_no_recheck_drops_the_pending_one(episode):
    report(episode, {"HEADACHE": {"severity": 1}})
    assert Reminder.objects.get(episode=episode, kind="recheck").status == "pending"
    report(episode, {"HEADACHE": {"severity": 3}})  # worse: call the care team now, no re-check
    assert Reminder.objects.get(episode=episode, kind="recheck").status == "cancelled"


def test_a_report_sent_late_from_an_offline_phone_is_asked_about_at_once(episode):
    onset = timezone.now() - timedelta(hours=2)
    report(episode, {"HEADACHE": {"severity": 1}}, onset_at=onset)
    recheck = Reminder.objects.get(episode=episode, kind="recheck")
    assert onset + timedelta(minutes=30) < recheck.due_at <= timezone.now()


def test_a_report_written_up_days_later_is_not_asked_about(episode):
    report(episode, {"HEADACHE": {"severity": 1}}, onset_at=episode.started_at + timedelta(minutes=5))
    assert Reminder.objects.filter(episode=episode, kind="recheck").exists()
    Reminder.objects.filter(episode=episode, kind="recheck").delete()
    with time_machine.travel(timezone.now() + timedelta(days=2), tick=False):
        report(episode, {"HEADACHE": {"severity": 1}}, onset_at=episode.started_at + timedelta(minutes=10))
    assert not Reminder.objects.filter(episode=episode, kind="recheck").exists()


def test_a_reminder_plan_cannot_plan_a_recheck():
    steps = [*DEFAULT_PLAN["steps"], {"kind": "recheck", "anchor": "ended_at", "offset_minutes": 30}]
    with pytest.raises(ValidationError, match="must be one of"):
        reminder_plan_check(steps)
    reminder_plan_check(DEFAULT_PLAN["steps"])
