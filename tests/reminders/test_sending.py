"""Sending in bulk: the dispatcher's statements do not grow with the burst, a chunk of deliveries is
claimed once, a sender never outlives its lease, and the VAPID header is signed once per push
service until it nears expiry."""

import base64
import json
import threading
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ivigapp.reactions.models import InfusionEpisode
from ivigapp.reminders import channels, services, tasks
from ivigapp.reminders.models import Delivery, PushSubscription, Reminder
from ivigapp.reminders.vapid import (
    VAPID_RENEW_SECONDS,
    VAPID_TOKEN_SECONDS,
    vapid_authorization,
    vapid_authorization_forget,
)
from tests.reminders.conftest import due_reminders

pytestmark = pytest.mark.django_db


def subscribe(patient, receiver):
    sub = receiver.subscription()
    services.push_subscribe(
        user=patient.user, endpoint=sub["endpoint"], p256dh=sub["keys"]["p256dh"], auth=sub["keys"]["auth"]
    )
    return sub


def queued_deliveries(patient, plan, count, channel="email"):
    now = timezone.now()
    return Delivery.objects.bulk_create(
        [Delivery(reminder=r, channel=channel, created_at=now) for r in due_reminders(patient, plan, count)]
    )


@pytest.fixture
def sent_tasks(monkeypatch):
    """The send tasks the code under test publishes, recorded instead of run."""
    published = []
    monkeypatch.setattr(tasks.deliveries_send, "delay", lambda ids: published.append(list(ids)))
    monkeypatch.setattr(tasks.deliveries_send, "delay_on_commit", lambda ids: published.append(list(ids)))
    return published


@pytest.mark.parametrize("count", [3, 60])
def test_dispatching_a_burst_takes_the_same_statements_for_3_or_60_reminders(
    weighed_patient, plan, push_receiver, sent_tasks, count
):
    subscribe(weighed_patient, push_receiver)
    due_reminders(weighed_patient, plan, count)
    Reminder.objects.exclude(local_due="test").update(status="cancelled")
    with CaptureQueriesContext(connection) as queries:
        assert services.reminders_dispatch() == count
    # SAVEPOINT (the test's transaction stands for BEGIN); SELECT the due reminders with their
    # infusion and patient (FOR UPDATE SKIP LOCKED on PostgreSQL); UPDATE them to dispatched;
    # SELECT which patients have a push subscription; SELECT the deliveries that already exist;
    # INSERT the deliveries; RELEASE SAVEPOINT (COMMIT); SELECT deliveries to re-drive.
    assert len(queries) == 8, "\n".join(q["sql"][:120] for q in queries)
    assert sorted(sum(sent_tasks, [])) == sorted(Delivery.objects.values_list("pk", flat=True))
    assert max(len(chunk) for chunk in sent_tasks) <= services.SEND_CHUNK
    assert Delivery.objects.filter(channel="push", status="queued").count() == count


def test_a_burst_larger_than_a_chunk_is_published_in_chunks(weighed_patient, plan, sent_tasks, monkeypatch):
    monkeypatch.setattr(services, "SEND_CHUNK", 7)
    due_reminders(weighed_patient, plan, 20)
    Reminder.objects.exclude(local_due="test").update(status="cancelled")
    assert services.reminders_dispatch() == 20
    assert [len(chunk) for chunk in sent_tasks] == [7, 7, 6]


def test_suppressions_are_decided_for_the_whole_batch(weighed_patient, plan, sent_tasks):
    started = due_reminders(weighed_patient, plan, 4)
    InfusionEpisode.objects.filter(pk__in=[r.episode_id for r in started[:2]]).update(started_at=timezone.now())
    Reminder.objects.exclude(local_due="test").update(status="cancelled")
    assert services.reminders_dispatch() == 2
    assert sorted(Reminder.objects.filter(local_due="test").values_list("status", "suppressed_reason")) == [
        ("dispatched", ""),
        ("dispatched", ""),
        ("suppressed", "already_started"),
        ("suppressed", "already_started"),
    ]


@pytest.mark.parametrize("count", [2, 12])
def test_a_chunk_of_pushes_takes_four_statements_plus_one_per_send(weighed_patient, plan, push_receiver, count):
    subscribe(weighed_patient, push_receiver)
    ids = [d.pk for d in queued_deliveries(weighed_patient, plan, count, channel="push")]
    with CaptureQueriesContext(connection) as queries:
        outcomes = services.deliveries_send(delivery_ids=ids)
    assert outcomes == dict.fromkeys(ids, "sent")
    # UPDATE ... RETURNING to claim the chunk; SELECT the deliveries with reminder and patient;
    # SELECT the patients' subscriptions; one UPDATE to sent per delivery; one UPDATE of the
    # subscriptions' last success.
    assert len(queries) == 4 + count
    assert len(push_receiver.tags()) == count


def test_a_chunk_claims_each_delivery_once(weighed_patient, plan):
    ids = [d.pk for d in queued_deliveries(weighed_patient, plan, 5)]
    now = timezone.now()
    assert sorted(services.deliveries_claim(ids[:3], now)) == ids[:3]
    assert sorted(services.deliveries_claim(ids, now)) == ids[3:]  # the first two are held
    assert services.deliveries_claim(ids, now) == []
    assert set(Delivery.objects.values_list("status", "attempts")) == {("sending", 1)}


@pytest.mark.django_db(transaction=True)
def test_two_senders_given_the_same_chunk_send_each_delivery_once(weighed_patient, plan):
    ids = [d.pk for d in queued_deliveries(weighed_patient, plan, 40)]
    barrier = threading.Barrier(2)
    results, errors = [], []

    def run():
        try:
            barrier.wait(timeout=10)
            results.append(services.deliveries_send(delivery_ids=ids))
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(pk for outcome in results for pk, what in outcome.items() if what == "sent") == ids
    assert len(mail.outbox) == 40
    assert set(Delivery.objects.values_list("status", "attempts")) == {("sent", 1)}


def test_a_sender_past_half_its_lease_puts_the_rest_back_in_the_queue(weighed_patient, plan, sent_tasks, monkeypatch):
    ids = [d.pk for d in queued_deliveries(weighed_patient, plan, 4)]
    with time_machine.travel(timezone.now(), tick=False) as clock:

        def slow_email(delivery):
            clock.shift(services.lease() / 2 + timedelta(seconds=1))  # a mail server that hangs
            return "sent"

        monkeypatch.setattr(channels, "email_send", slow_email)
        outcomes = services.deliveries_send(delivery_ids=ids)
    assert outcomes == {ids[0]: "sent", ids[1]: "requeued", ids[2]: "requeued", ids[3]: "requeued"}
    assert sent_tasks == [ids[1:]]
    assert dict(Delivery.objects.values_list("pk", "status")) == {
        ids[0]: "sent",
        ids[1]: "queued",
        ids[2]: "queued",
        ids[3]: "queued",
    }
    assert services.deliveries_send(delivery_ids=ids[1:]) == dict.fromkeys(ids[1:], "sent")


def test_a_gone_subscription_is_tried_once_per_chunk(weighed_patient, plan, push_receiver, sent_tasks):
    sub = subscribe(weighed_patient, push_receiver)
    push_receiver.gone.add(sub["endpoint"].rsplit("/", 1)[-1])
    ids = [d.pk for d in queued_deliveries(weighed_patient, plan, 3, channel="push")]
    outcomes = services.deliveries_send(delivery_ids=ids)
    assert outcomes == {ids[0]: "push_failed", ids[1]: "no_subscription", ids[2]: "no_subscription"}
    assert not PushSubscription.objects.exists()
    emails = Delivery.objects.filter(channel="email")
    assert sorted(sum(sent_tasks, [])) == sorted(emails.values_list("pk", flat=True)) and emails.count() == 3
    assert sorted(services.deliveries_send(delivery_ids=sum(sent_tasks, [])).values()) == ["sent"] * 3


def jwt_claims(header: str) -> dict:
    token = header.removeprefix("vapid t=").split(",k=")[0]
    body = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))


def test_the_vapid_header_is_signed_once_per_push_service_and_renewed_before_it_expires():
    vapid_authorization_forget()
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        first = vapid_authorization("https://push.example.com")
        assert vapid_authorization("https://push.example.com") == first
        other = vapid_authorization("https://updates.push.example.net")
        assert other != first and jwt_claims(other)["aud"] == "https://updates.push.example.net"
        claims = jwt_claims(first)
        assert claims["aud"] == "https://push.example.com"
        assert claims["exp"] == int(start.timestamp()) + VAPID_TOKEN_SECONDS

        clock.shift(timedelta(seconds=VAPID_TOKEN_SECONDS - VAPID_RENEW_SECONDS - 10))
        assert vapid_authorization("https://push.example.com") == first  # more than the margin left
        clock.shift(timedelta(seconds=20))
        renewed = vapid_authorization("https://push.example.com")  # less than the margin left
        assert renewed != first
        assert jwt_claims(renewed)["exp"] == int(timezone.now().timestamp()) + VAPID_TOKEN_SECONDS

        clock.shift(timedelta(days=-1))  # the clock went back: a token dated ahead is not reused
        assert vapid_authorization("https://push.example.com") != renewed
    vapid_authorization_forget()


def test_sends_reuse_one_connection_and_one_vapid_header(weighed_patient, plan, push_receiver, settings):
    subscribe(weighed_patient, push_receiver)
    vapid_authorization_forget()
    ids = [d.pk for d in queued_deliveries(weighed_patient, plan, 5, channel="push")]
    services.deliveries_send(delivery_ids=ids)
    headers = [h for _, h, _ in push_receiver.received]
    assert len(headers) == 5 and len({h["authorization"] for h in headers}) == 1
    assert {(h["ttl"], h["content-encoding"]) for h in headers} == {(str(settings.PUSH_TTL_SECONDS), "aes128gcm")}
    assert len(push_receiver.connections) == 1


def test_the_transport_honours_the_proxy_variables_as_requests_reads_them(monkeypatch):
    import urllib3

    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.invalid:3128")
    monkeypatch.setenv("NO_PROXY", "push.internal")
    proxied = channels.PushTransport.pool_for("https://push.example.com")
    direct = channels.PushTransport.pool_for("https://push.internal")
    assert isinstance(proxied, urllib3.ProxyManager) and proxied.proxy.host == "proxy.invalid"
    assert not isinstance(direct, urllib3.ProxyManager)


def test_a_send_that_fails_does_not_stop_the_rest_of_its_chunk(weighed_patient, plan, sent_tasks, monkeypatch):
    """The mail server refuses the first message (SMTPRecipientsRefused, or a dropped connection):
    that delivery is failed, the others in its chunk are still sent."""
    import smtplib

    deliveries = queued_deliveries(weighed_patient, plan, 3)
    real_send_mail, calls = channels.send_mail, []

    def refuse_the_first(*args, **kwargs):
        calls.append(args)
        if len(calls) == 1:
            raise smtplib.SMTPRecipientsRefused({args[3][0]: (550, b"mailbox unavailable")})
        return real_send_mail(*args, **kwargs)

    monkeypatch.setattr(channels, "send_mail", refuse_the_first)
    outcomes = services.deliveries_send(delivery_ids=[d.pk for d in deliveries])
    assert [outcomes[d.pk] for d in deliveries] == ["error:SMTPRecipientsRefused", "sent", "sent"]
    assert [Delivery.objects.get(pk=d.pk).status for d in deliveries] == ["failed", "sent", "sent"]
    assert len(mail.outbox) == 2
