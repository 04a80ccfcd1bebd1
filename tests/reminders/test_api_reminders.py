"""The reminders API the app uses: the list, Done, Snooze and push subscriptions. A patient reaches
only their own reminders; a refusal by the service is a 400 with its message, never a 500."""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from ivigapp.reactions import services as diary
from ivigapp.reminders import services
from ivigapp.reminders.models import PushSubscription, Reminder

pytestmark = pytest.mark.django_db

ENDPOINT = "https://push.example.org/send/abc"
KEYS = {
    "p256dh": "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM",
    "auth": "tBHItJI5svbpez7KI4CCXg",
}


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def upcoming(weighed_patient, plan):
    start = timezone.now() + timedelta(days=2)
    return diary.episode_schedule(actor=weighed_patient.user, patient=weighed_patient, plan=plan, scheduled_start=start)


def dispatched(episode, kind="infusion_start"):
    reminder = Reminder.objects.get(episode=episode, kind=kind)
    with time_machine.travel(reminder.due_at, tick=False):
        services.reminders_dispatch()
    reminder.refresh_from_db()
    assert reminder.status == "dispatched"
    return reminder


def test_the_list_has_the_patients_upcoming_reminders(upcoming):
    body = client_for(upcoming.patient.user).get("/api/v1/reminders/").json()
    planned = Reminder.objects.filter(episode=upcoming).values_list("id", flat=True)
    assert {r["id"] for r in body} == {str(pk) for pk in planned} and len(body) >= 2
    assert [r["due_at"] for r in body] == sorted(r["due_at"] for r in body)


def test_the_list_leaves_out_reminders_older_than_a_week(upcoming):
    with time_machine.travel(timezone.now() + timedelta(days=10)):
        assert client_for(upcoming.patient.user).get("/api/v1/reminders/").json() == []


def test_another_patient_sees_none_of_them_and_cannot_touch_them(upcoming, other_patient, nurse):
    reminder = dispatched(upcoming)
    for user in (other_patient.user, nurse):
        client = client_for(user)
        assert client.get("/api/v1/reminders/").json() == []
        assert client.post(f"/api/v1/reminders/{reminder.pk}/acknowledge").status_code == 404
        response = client.post(f"/api/v1/reminders/{reminder.pk}/snooze", {"minutes": 15}, "application/json")
        assert response.status_code == 404
    reminder.refresh_from_db()
    assert (reminder.acknowledged_at, reminder.snoozed_until) == (None, None)


def test_done_acknowledges_the_reminder(upcoming):
    reminder = dispatched(upcoming)
    response = client_for(upcoming.patient.user).post(f"/api/v1/reminders/{reminder.pk}/acknowledge")
    assert response.status_code == 200 and response.json()["acknowledged_at"]
    reminder.refresh_from_db()
    assert reminder.acknowledged_at is not None


def test_snooze_brings_it_back_later(upcoming):
    reminder = dispatched(upcoming)
    client = client_for(upcoming.patient.user)
    response = client.post(f"/api/v1/reminders/{reminder.pk}/snooze", {"minutes": 30}, "application/json")
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["snoozed_until"] is not None) == ("pending", True)


def test_a_reminder_that_cannot_be_snoozed_is_a_400_with_the_reason(upcoming):
    reminder = Reminder.objects.get(episode=upcoming, kind="infusion_start")  # not sent yet
    client = client_for(upcoming.patient.user)
    response = client.post(f"/api/v1/reminders/{reminder.pk}/snooze", {"minutes": 30}, "application/json")
    assert response.status_code == 400 and list(response.json()) == ["reminder"]
    response = client.post(f"/api/v1/reminders/{dispatched(upcoming).pk}/snooze", {"minutes": 1}, "application/json")
    assert response.status_code == 400 and list(response.json()) == ["minutes"]


def test_subscribe_and_unsubscribe(patient, other_patient):
    client = client_for(patient.user)
    assert client.get("/api/v1/push/public-key").json()["public_key"]
    body = {"endpoint": ENDPOINT, "keys": KEYS}
    assert client.post("/api/v1/push/subscriptions", body, "application/json").status_code == 201
    assert PushSubscription.objects.get(endpoint=ENDPOINT).user == patient.user
    # Another account cannot remove it.
    other = client_for(other_patient.user)
    assert (
        other.post("/api/v1/push/subscriptions/delete", {"endpoint": ENDPOINT}, "application/json").status_code == 204
    )
    assert PushSubscription.objects.filter(endpoint=ENDPOINT).exists()
    assert (
        client.post("/api/v1/push/subscriptions/delete", {"endpoint": ENDPOINT}, "application/json").status_code == 204
    )
    assert not PushSubscription.objects.filter(endpoint=ENDPOINT).exists()


def test_an_endpoint_that_cannot_be_used_is_a_400(patient):
    body = {"endpoint": "http://push.example.org/send/abc", "keys": KEYS}
    response = client_for(patient.user).post("/api/v1/push/subscriptions", body, "application/json")
    assert response.status_code == 400 and list(response.json()) == ["endpoint"]
    assert not PushSubscription.objects.exists()
