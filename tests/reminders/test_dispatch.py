import threading
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.db import connection, connections
from django.utils import timezone

from ivigapp.reactions import services as diary
from ivigapp.reactions.models import InfusionEpisode
from ivigapp.reminders import services
from ivigapp.reminders.models import Delivery, PushSubscription, Reminder

pytestmark = pytest.mark.django_db

FORBIDDEN_IN_PAYLOAD = ("paracetamol", "premed", "immunoglobulin", "gammagard", "headache", "infusion", "CANARY")


@pytest.fixture
def upcoming(weighed_patient, plan):
    plan.premedication = [{"drug": "paracetamol", "dose": "1 g", "minutes_before_start": 60}]
    plan.save(update_fields=["premedication"])
    start = timezone.now() + timedelta(days=2)
    return diary.episode_schedule(actor=weighed_patient.user, patient=weighed_patient, plan=plan, scheduled_start=start)


def subscribe(patient, receiver):
    sub = receiver.subscription()
    services.push_subscribe(
        user=patient.user, endpoint=sub["endpoint"], p256dh=sub["keys"]["p256dh"], auth=sub["keys"]["auth"]
    )
    return sub


def dispatch_at(moment, callbacks):
    with time_machine.travel(moment, tick=False):
        with callbacks(execute=True):
            return services.reminders_dispatch()


def test_a_due_reminder_is_pushed_encrypted_with_no_health_data(
    upcoming, push_receiver, django_capture_on_commit_callbacks
):
    subscribe(upcoming.patient, push_receiver)
    premed = Reminder.objects.get(episode=upcoming, kind="premedication")
    assert dispatch_at(premed.due_at, django_capture_on_commit_callbacks) >= 1
    received = [(h, p) for _, h, p in push_receiver.received if p["id"] == str(premed.pk)]
    assert len(received) == 1
    headers, payload = received[0]
    assert headers["topic"] == premed.pk.hex and payload["tag"] == premed.pk.hex
    assert headers["urgency"] == "high" and headers["authorization"].startswith("vapid t=")
    assert set(payload) == {"type", "id", "tag", "title", "body", "url"}
    assert not any(word.lower() in str(payload).lower() for word in FORBIDDEN_IN_PAYLOAD)
    delivery = Delivery.objects.get(reminder=premed)
    assert (delivery.channel, delivery.status, delivery.language) == ("push", "sent", "en")


def test_the_payload_is_in_the_patients_language(upcoming, push_receiver, django_capture_on_commit_callbacks):
    upcoming.patient.language = "fr"
    upcoming.patient.save(update_fields=["language"])
    subscribe(upcoming.patient, push_receiver)
    start = Reminder.objects.get(episode=upcoming, kind="infusion_start")
    dispatch_at(start.due_at, django_capture_on_commit_callbacks)
    payload = next(p for _, _, p in push_receiver.received if p["id"] == str(start.pk))
    assert "ivigapp" in payload["body"] and "rappel" in payload["body"].lower()


def test_a_gone_subscription_is_deleted_and_email_takes_over(
    upcoming, push_receiver, django_capture_on_commit_callbacks
):
    sub = subscribe(upcoming.patient, push_receiver)
    push_receiver.gone.add(sub["endpoint"].rsplit("/", 1)[-1])
    start = Reminder.objects.get(episode=upcoming, kind="infusion_start")
    dispatch_at(start.due_at, django_capture_on_commit_callbacks)
    assert not PushSubscription.objects.exists()
    assert set(Delivery.objects.filter(reminder=start).values_list("channel", "status")) == {
        ("push", "failed"),
        ("email", "sent"),
    }
    assert {tuple(m.to) for m in mail.outbox} == {(upcoming.patient.user.email,)}
    assert len(mail.outbox) == Delivery.objects.filter(channel="email", status="sent").count()
    assert not any(word.lower() in mail.outbox[0].body.lower() for word in FORBIDDEN_IN_PAYLOAD)


def test_without_a_subscription_the_reminder_goes_by_email(upcoming, django_capture_on_commit_callbacks):
    start = Reminder.objects.get(episode=upcoming, kind="infusion_start")
    dispatch_at(start.due_at, django_capture_on_commit_callbacks)
    assert Delivery.objects.get(reminder=start).channel == "email"
    assert len(mail.outbox) == Delivery.objects.filter(channel="email", status="sent").count() >= 1


def test_a_logged_premedication_suppresses_its_reminder(upcoming, django_capture_on_commit_callbacks):
    diary.episode_readiness_record(
        actor=upcoming.patient.user,
        episode=upcoming,
        hydrated=True,
        premeds_taken=True,
        fever_or_infection=False,
        anaphylaxis_kit_present=True,
    )
    premed = Reminder.objects.get(episode=upcoming, kind="premedication")
    dispatch_at(premed.due_at, django_capture_on_commit_callbacks)
    premed.refresh_from_db()
    assert (premed.status, premed.suppressed_reason) == ("suppressed", "premeds_logged")
    assert not Delivery.objects.filter(reminder=premed).exists()


@pytest.mark.parametrize(
    ("late", "outcome"), [(timedelta(hours=11), ("dispatched", "")), (timedelta(hours=13), ("suppressed", "too_late"))]
)
def test_a_reminder_more_than_12_hours_late_is_not_sent(
    client, nurse, upcoming, django_capture_on_commit_callbacks, late, outcome
):
    # The beat was down, or the infusion was entered after its reminders' times: a reminder that
    # late is about something past and would come at any hour of the night.
    start = Reminder.objects.get(episode=upcoming, kind="infusion_start")
    dispatch_at(start.due_at + timedelta(minutes=start.window_minutes) + late, django_capture_on_commit_callbacks)
    start.refresh_from_db()
    assert (start.status, start.suppressed_reason) == outcome
    assert Delivery.objects.filter(reminder=start).exists() == (outcome[0] == "dispatched")
    if outcome[1]:  # the nurse reads why, not a code
        client.force_login(nurse)
        page = client.get(f"/nurse/patients/{upcoming.patient_id}/").content.decode()
        assert "Not sent (too late to be useful)" in page
        # Its time in the page's format and the patient's zone, as every other time there.
        local = timezone.localtime(start.due_at, ZoneInfo(upcoming.patient.timezone))
        assert f"<td>{local.day} {local:%b %Y, %H:%M}</td><td>Infusion time</td>" in page


@pytest.mark.parametrize(("when", "outcome"), [(-5, ("dispatched", "")), (1, ("suppressed", "too_late"))])
def test_a_late_check_in_reminder_goes_while_its_check_is_open(
    episode, django_capture_on_commit_callbacks, when, outcome
):
    # A check stays open for hours after its time: a check-in reminder more than 12 hours late
    # still goes while the patient can answer, and not once the check has closed.
    diary.episode_end(actor=episode.patient.user, episode=episode, ended_at=timezone.now(), status="complete")
    check = episode.followups.get(kind="h24")
    reminder = Reminder.objects.get(episode=episode, kind="check_24h")
    Reminder.objects.filter(pk=reminder.pk).update(due_at=check.window_ends_at - timedelta(hours=14))
    dispatch_at(check.window_ends_at + timedelta(minutes=when), django_capture_on_commit_callbacks)
    reminder.refresh_from_db()
    assert (reminder.status, reminder.suppressed_reason) == outcome


def test_a_premedication_reminder_is_not_sent_once_the_infusion_has_started(
    upcoming, django_capture_on_commit_callbacks
):
    # Taking it after the start could mean a second dose for a patient who took it but did not log it.
    premed = Reminder.objects.get(episode=upcoming, kind="premedication")
    InfusionEpisode.objects.filter(pk=upcoming.pk).update(started_at=premed.due_at - timedelta(minutes=5))
    dispatch_at(premed.due_at + timedelta(minutes=10), django_capture_on_commit_callbacks)
    premed.refresh_from_db()
    assert (premed.status, premed.suppressed_reason) == ("suppressed", "already_started")
    assert not Delivery.objects.filter(reminder=premed).exists()


def test_a_reminder_marked_done_before_it_is_due_is_not_sent(upcoming, django_capture_on_commit_callbacks):
    from ivigapp.reminders.services import reminder_acknowledge

    start = Reminder.objects.get(episode=upcoming, kind="infusion_start")
    reminder_acknowledge(actor=upcoming.patient.user, reminder=start)
    dispatch_at(start.due_at, django_capture_on_commit_callbacks)
    start.refresh_from_db()
    assert (start.status, start.suppressed_reason) == ("suppressed", "acknowledged")
    assert not Delivery.objects.filter(reminder=start).exists()


def test_a_completed_check_suppresses_its_reminder(episode, django_capture_on_commit_callbacks):
    from tests.clinical_fixtures import NO_RED_FLAGS

    diary.episode_end(actor=episode.patient.user, episode=episode, ended_at=timezone.now(), status="complete")
    check = episode.followups.get(kind="h24")
    diary.symptom_report_submit(
        actor=episode.patient.user,
        patient=episode.patient,
        onset_at=timezone.now(),
        red_flag_answers=NO_RED_FLAGS,
        symptoms={},
        followup=check,
    )
    reminder = Reminder.objects.get(episode=episode, kind="check_24h")
    dispatch_at(reminder.due_at, django_capture_on_commit_callbacks)
    reminder.refresh_from_db()
    assert reminder.suppressed_reason == "check_done"


def test_snooze_brings_a_reminder_back_once_more(upcoming, django_capture_on_commit_callbacks):
    start = Reminder.objects.get(episode=upcoming, kind="infusion_start")
    dispatch_at(start.due_at, django_capture_on_commit_callbacks)
    with time_machine.travel(start.due_at + timedelta(minutes=1), tick=False):
        services.reminder_snooze(actor=upcoming.patient.user, reminder=start, minutes=15)
    dispatch_at(start.due_at + timedelta(minutes=5), django_capture_on_commit_callbacks)
    assert Delivery.objects.filter(reminder=start).count() == 1
    dispatch_at(start.due_at + timedelta(minutes=16), django_capture_on_commit_callbacks)
    assert sorted(Delivery.objects.filter(reminder=start).values_list("round", flat=True)) == [0, 1]


def test_dispatching_twice_sends_once(upcoming, django_capture_on_commit_callbacks):
    start = Reminder.objects.get(episode=upcoming, kind="infusion_start")
    dispatch_at(start.due_at, django_capture_on_commit_callbacks)
    dispatch_at(start.due_at + timedelta(minutes=1), django_capture_on_commit_callbacks)
    assert Delivery.objects.filter(reminder=start).count() == 1
    assert len(mail.outbox) == Delivery.objects.count()


def test_a_delivery_claimed_by_a_sender_that_died_is_sent_after_the_lease(upcoming):
    start = Reminder.objects.get(episode=upcoming, kind="infusion_start")
    delivery = Delivery.objects.create(reminder=start, channel="email", created_at=timezone.now())
    assert services.deliveries_claim([delivery.pk], timezone.now()) == [delivery.pk]  # a sender took it and died
    assert services.deliveries_send(delivery_ids=[delivery.pk]) == {delivery.pk: "skipped"}  # the lease holds
    with time_machine.travel(timezone.now() + services.lease() + timedelta(seconds=1)):
        assert services.deliveries_send(delivery_ids=[delivery.pk]) == {delivery.pk: "sent"}
    assert len(mail.outbox) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("sent", 2)


def recent_backlog() -> int:
    """Brings every reminder already due into the last hour, spread over it (older ones would be
    too late to send), and counts them."""
    now = timezone.now()
    due = list(Reminder.objects.filter(status="pending", due_at__lte=now).order_by("due_at"))
    for n, reminder in enumerate(due):
        reminder.due_at = now - timedelta(minutes=60) + timedelta(seconds=n)
    Reminder.objects.bulk_update(due, ["due_at"])
    return len(due)


@pytest.mark.django_db(transaction=True)
def test_two_dispatchers_at_once_deliver_every_reminder_once(weighed_patient, plan):
    # Noon, so that every infusion has its morning reminder (it exists only before a start after
    # 07:30 local time) whatever the hour the test runs at.
    zone = ZoneInfo(weighed_patient.timezone)
    base = (timezone.now().astimezone(zone) - timedelta(days=3)).replace(hour=12, minute=0)
    for day in range(40):
        diary.episode_schedule(
            actor=weighed_patient.user, patient=weighed_patient, plan=plan, scheduled_start=base - timedelta(days=day)
        )
    due = recent_backlog()
    assert due >= 100
    barrier = threading.Barrier(2)
    errors = []

    def run():
        try:
            barrier.wait(timeout=10)
            services.reminders_dispatch(limit=1000)
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connections.close_all()

    from ivigapp.celery import app as celery_app

    celery_app.conf.task_always_eager = False  # only count deliveries; do not send from the threads
    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    celery_app.conf.task_always_eager = True
    assert errors == [] or connection.vendor == "sqlite" and all("locked" in str(e) for e in errors)
    services.reminders_dispatch(limit=1000)  # whatever a locked-out dispatcher left, the next run takes
    assert Delivery.objects.count() == due
    assert Delivery.objects.values("reminder").distinct().count() == due


def test_the_nurse_sees_delivery_status_on_the_patient_page(
    client, nurse, upcoming, django_capture_on_commit_callbacks
):
    start = Reminder.objects.get(episode=upcoming, kind="infusion_start")
    dispatch_at(start.due_at, django_capture_on_commit_callbacks)
    client.force_login(nurse)
    page = client.get(f"/nurse/patients/{upcoming.patient_id}/").content.decode()
    assert "Infusion time" in page and "Email: Sent" in page


def test_beat_dispatches_a_burst_in_batches_until_nothing_is_due(weighed_patient, plan):
    from ivigapp.reminders.tasks import dispatch

    base = timezone.now() - timedelta(days=3)
    for day in range(30):
        diary.episode_schedule(
            actor=weighed_patient.user, patient=weighed_patient, plan=plan, scheduled_start=base - timedelta(days=day)
        )
    due = recent_backlog()
    assert due > 50
    from ivigapp.reminders.services import reminders_dispatch_all

    assert reminders_dispatch_all(batch=20) == due
    assert not Reminder.objects.filter(status="pending", due_at__lte=timezone.now()).exists()
    assert dispatch.name == "ivigapp.reminders.tasks.dispatch"
