"""Staff sessions end after 15 idle minutes; background requests do not count as activity."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

LIST = "/nurse/patients/"
BACKGROUND = {"HTTP_X_IVIG_BACKGROUND": "1"}


def sign_in(client, username):
    response = client.post("/accounts/login/", {"username": username, "password": PASSWORD}, REMOTE_ADDR="203.0.113.7")
    assert response.status_code == 302


def signed_in(client):
    return client.get(LIST).status_code == 200


def test_a_nurse_is_signed_out_after_15_idle_minutes(client, nurse, patient):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        sign_in(client, "nurse")
        clock.move_to(start + timedelta(minutes=14))
        assert signed_in(client)
        clock.move_to(start + timedelta(minutes=28))
        assert signed_in(client), "activity at minute 14 restarts the idle clock"
        clock.move_to(start + timedelta(minutes=43, seconds=1))
        assert not signed_in(client)


def test_background_polling_does_not_keep_a_nurse_signed_in(client, nurse, patient):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        sign_in(client, "nurse")
        for minute in range(1, 15):
            clock.move_to(start + timedelta(minutes=minute))
            assert client.get(LIST, **BACKGROUND).status_code == 200
        clock.move_to(start + timedelta(minutes=15, seconds=1))
        assert client.get(LIST, **BACKGROUND).status_code == 302


def test_a_busy_nurse_is_still_signed_out_after_12_hours(client, nurse, patient):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        sign_in(client, "nurse")
        signed_out_at_minute = None
        for step in range(1, 80):
            clock.move_to(start + timedelta(minutes=10 * step))
            if not signed_in(client):
                signed_out_at_minute = 10 * step
                break
        assert signed_out_at_minute == 730, "the first request after the 12 hours are up is refused"


def test_a_patient_stays_signed_in_for_days(client, patient):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        sign_in(client, "patient")
        clock.move_to(start + timedelta(days=6))
        assert client.get(reverse("patients:me")).status_code == 200
