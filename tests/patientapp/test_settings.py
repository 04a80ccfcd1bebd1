"""PATCH /api/v1/me/: the patient's own language, time zone and quiet hours, which reminders and
emails follow. A new time zone or new quiet hours re-plan the pending reminders."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import translation

from ivigapp.reactions import services as diary
from ivigapp.reactions.models import RED_FLAGS
from ivigapp.reminders.models import Reminder, ReminderPreference

pytestmark = pytest.mark.django_db


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def patch(client, body, language=None):
    if language:
        client.cookies["django_language"] = language
    return client.patch("/api/v1/me/", body, content_type="application/json")


@pytest.fixture
def upcoming(weighed_patient, plan):
    """An infusion on 10 December 2026 at 15:00 UTC, with its reminders planned."""
    start = datetime(2026, 12, 10, 15, 0, tzinfo=ZoneInfo("UTC"))
    return diary.episode_schedule(actor=weighed_patient.user, patient=weighed_patient, plan=plan, scheduled_start=start)


def test_it_changes_the_language_and_answers_in_it(patient):
    response = patch(client_for(patient.user), {"language": "fr"})
    assert response.status_code == 200
    body = response.json()
    assert body["language"] == "fr"
    with translation.override("fr"):
        assert body["checklist"]["red_flags"][0]["label"] == str(next(iter(RED_FLAGS.values())))
    patient.refresh_from_db()
    assert patient.language == "fr"


def test_a_new_time_zone_replans_pending_reminders(upcoming):
    patient = upcoming.patient
    before = Reminder.objects.get(episode=upcoming, kind="hydration_day_before").due_at
    response = patch(client_for(patient.user), {"timezone": "Asia/Dubai"})
    assert response.status_code == 200 and response.json()["timezone"] == "Asia/Dubai"
    after = Reminder.objects.get(episode=upcoming, kind="hydration_day_before").due_at
    # 18:00 the day before, now in Dubai (UTC+4) rather than UTC.
    assert after.astimezone(ZoneInfo("Asia/Dubai")).time() == time(18, 0)
    assert before - after == timedelta(hours=4)


def test_quiet_hours_are_set_and_shift_reminders(upcoming):
    patient = upcoming.patient
    response = patch(client_for(patient.user), {"quiet_start": "17:00", "quiet_end": "19:30"})
    assert response.status_code == 200
    assert (response.json()["quiet_start"], response.json()["quiet_end"]) == ("17:00:00", "19:30:00")
    hydration = Reminder.objects.get(episode=upcoming, kind="hydration_day_before")
    assert hydration.shifted_from.time() == time(18, 0)
    assert hydration.due_at.time() == time(19, 30)


def test_two_nulls_clear_quiet_hours(patient):
    ReminderPreference.objects.create(patient=patient, quiet_start=time(22), quiet_end=time(7))
    response = patch(client_for(patient.user), {"quiet_start": None, "quiet_end": None})
    assert response.status_code == 200
    assert (response.json()["quiet_start"], response.json()["quiet_end"]) == (None, None)
    assert ReminderPreference.objects.get(patient=patient).quiet_start is None


def test_a_field_not_sent_is_left_alone(patient):
    ReminderPreference.objects.create(patient=patient, quiet_start=time(22), quiet_end=time(7))
    assert patch(client_for(patient.user), {"language": "es"}).status_code == 200
    patient.refresh_from_db()
    assert (patient.language, patient.timezone) == ("es", "UTC")
    assert ReminderPreference.objects.get(patient=patient).quiet_start == time(22)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"language": "de"}, "language"),
        ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
        ({"timezone": ""}, "timezone"),
        ({"quiet_start": "25:00", "quiet_end": "07:00"}, "quiet_start"),
        ({"quiet_start": "22:00"}, "quiet_end"),
        ({"quiet_end": "07:00"}, "quiet_start"),
        ({"quiet_start": "22:00", "quiet_end": None}, "quiet_end"),
        ({"quiet_start": None, "quiet_end": "07:00"}, "quiet_start"),
        ({"quiet_start": "22:00", "quiet_end": "22:00"}, "quiet_end"),  # was saved: none, or all day?
    ],
)
def test_each_bad_field_gets_its_own_message(patient, body, field):
    response = patch(client_for(patient.user), body)
    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert not ReminderPreference.objects.filter(patient=patient).exists()
    errors = response.json()
    assert list(errors) == [field] and errors[field][0]
    patient.refresh_from_db()
    assert (patient.language, patient.timezone) == ("en", "UTC")
    assert not ReminderPreference.objects.filter(patient=patient).exists()


def test_messages_speak_the_apps_language(patient):
    response = patch(client_for(patient.user), {"quiet_start": "22:00"}, language="fr")
    assert response.status_code == 400
    assert response.json()["quiet_end"] == ["Indiquez le début et la fin des heures de silence, ou ni l’un ni l’autre."]


def test_a_patient_changes_only_their_own_settings(patient, other_patient):
    assert patch(client_for(patient.user), {"timezone": "Europe/Paris", "language": "ar"}).status_code == 200
    other_patient.refresh_from_db()
    assert (other_patient.language, other_patient.timezone) == ("en", "UTC")


def test_staff_have_no_settings_here(nurse, admin_user, patient):
    for user in (nurse, admin_user):
        assert patch(client_for(user), {"language": "fr"}).status_code == 404
    patient.refresh_from_db()
    assert patient.language == "en"


def test_it_needs_a_session_and_the_csrf_token(patient):
    assert Client().patch("/api/v1/me/", {"language": "fr"}, content_type="application/json").status_code == 403
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(patient.user)
    assert patch(strict, {"language": "fr"}).status_code == 403
    patient.refresh_from_db()
    assert patient.language == "en"


def test_the_profile_carries_the_quiet_hours(patient):
    ReminderPreference.objects.create(patient=patient, quiet_start=time(22), quiet_end=time(7, 30))
    body = client_for(patient.user).get("/api/v1/me/").json()
    assert (body["quiet_start"], body["quiet_end"]) == ("22:00:00", "07:30:00")
