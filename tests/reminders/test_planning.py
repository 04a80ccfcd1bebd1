"""Reminders fall at the right local wall-clock time across daylight-saving changes."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from ivigapp.reactions import services as diary
from ivigapp.reminders import services
from ivigapp.reminders.models import Reminder

pytestmark = pytest.mark.django_db


def schedule(patient, plan, local: datetime):
    return diary.episode_schedule(actor=patient.user, patient=patient, plan=plan, scheduled_start=local)


def local_times(episode):
    zone = ZoneInfo(episode.patient.timezone)
    return {
        r.kind: r.due_at.astimezone(zone).strftime("%m-%d %H:%M")
        for r in Reminder.objects.filter(episode=episode, status="pending")
    }


@pytest.fixture
def premedicated_plan(plan):
    plan.premedication = [{"drug": "paracetamol", "dose": "1 g", "minutes_before_start": 60}]
    plan.save(update_fields=["premedication"])
    return plan


@pytest.mark.parametrize(
    ("zone", "start", "expected"),
    [
        # London leaves summer time on 25 October 2026: the day before is 23 hours long.
        (
            "Europe/London",
            datetime(2026, 10, 26, 9, 0),
            {
                "hydration_day_before": "10-25 18:00",
                "hydration_morning": "10-26 07:30",
                "premedication": "10-26 08:00",
                "infusion_start": "10-26 09:00",
            },
        ),
        # New York leaves daylight time on 1 November 2026.
        (
            "America/New_York",
            datetime(2026, 11, 2, 8, 0),
            {
                "hydration_day_before": "11-01 18:00",
                "hydration_morning": "11-02 07:30",
                "premedication": "11-02 07:00",
                "infusion_start": "11-02 08:00",
            },
        ),
        # Spring forward: London on 29 March 2026, New York on 8 March 2026.
        (
            "Europe/London",
            datetime(2026, 3, 29, 10, 0),
            {
                "hydration_day_before": "03-28 18:00",
                "hydration_morning": "03-29 07:30",
                "premedication": "03-29 09:00",
                "infusion_start": "03-29 10:00",
            },
        ),
        (
            "America/New_York",
            datetime(2026, 3, 8, 9, 0),
            {
                "hydration_day_before": "03-07 18:00",
                "hydration_morning": "03-08 07:30",
                "premedication": "03-08 08:00",
                "infusion_start": "03-08 09:00",
            },
        ),
    ],
)
def test_local_times_hold_across_daylight_saving_changes(weighed_patient, premedicated_plan, zone, start, expected):
    weighed_patient.timezone = zone
    weighed_patient.save(update_fields=["timezone"])
    episode = schedule(weighed_patient, premedicated_plan, start.replace(tzinfo=ZoneInfo(zone)))
    assert local_times(episode) == expected


def test_a_time_zone_change_replans_pending_reminders(weighed_patient, premedicated_plan, admin_user):
    episode = schedule(weighed_patient, premedicated_plan, datetime(2026, 12, 10, 15, 0, tzinfo=ZoneInfo("UTC")))
    before = Reminder.objects.get(episode=episode, kind="hydration_day_before").due_at
    services.patient_timezone_change(actor=admin_user, patient=weighed_patient, timezone_name="Asia/Dubai")
    after = Reminder.objects.get(episode=episode, kind="hydration_day_before")
    assert after.due_at.astimezone(ZoneInfo("Asia/Dubai")).time() == time(18, 0)
    assert before - after.due_at == timedelta(hours=4)
    # Offsets are real elapsed time, so the premedication stays an hour before the start.
    assert Reminder.objects.get(episode=episode, kind="premedication").due_at == episode.scheduled_start - timedelta(
        hours=1
    )


def test_quiet_hours_shift_a_reminder_and_never_drop_it(weighed_patient, premedicated_plan, admin_user):
    services.quiet_hours_set(actor=admin_user, patient=weighed_patient, start=time(22, 0), end=time(7, 30))
    zone = ZoneInfo("Europe/London")
    weighed_patient.timezone = "Europe/London"
    weighed_patient.save(update_fields=["timezone"])
    episode = schedule(weighed_patient, premedicated_plan, datetime(2026, 12, 10, 7, 45, tzinfo=zone))
    premed = Reminder.objects.get(episode=episode, kind="premedication")
    assert premed.shifted_from.astimezone(zone).time() == time(6, 45)
    assert premed.due_at.astimezone(zone).time() == time(7, 30) and premed.status == "pending"
    assert premed.safety_critical


def test_no_premedication_reminder_without_an_order(weighed_patient, plan):
    episode = schedule(weighed_patient, plan, datetime(2026, 12, 10, 9, 0, tzinfo=ZoneInfo("UTC")))
    assert "premedication" not in local_times(episode)


def test_checks_anchor_on_the_actual_end(episode):
    end = episode.started_at + timedelta(hours=1, minutes=13)
    diary.episode_end(actor=episode.patient.user, episode=episode, ended_at=end, status="complete")
    checks = {r.kind: r.due_at - end for r in Reminder.objects.filter(episode=episode, kind__startswith="check_")}
    assert checks == {
        "check_24h": timedelta(hours=24),
        "check_48h": timedelta(hours=48),
        "check_72h": timedelta(hours=72),
    }


def test_rescheduling_moves_pending_reminders(weighed_patient, plan):
    episode = schedule(weighed_patient, plan, datetime(2026, 12, 10, 9, 0, tzinfo=ZoneInfo("UTC")))
    diary.episode_reschedule(
        actor=weighed_patient.user,
        episode=episode,
        scheduled_start=datetime(2026, 12, 12, 9, 0, tzinfo=ZoneInfo("UTC")),
        course_day=1,
    )
    start = Reminder.objects.get(episode=episode, kind="infusion_start")
    assert start.due_at == datetime(2026, 12, 12, 9, 0, tzinfo=ZoneInfo("UTC"))
    assert Reminder.objects.filter(episode=episode).count() == 3  # day before, morning, start
