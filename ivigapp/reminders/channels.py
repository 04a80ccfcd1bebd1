"""The two ways a reminder reaches a patient. Neither carries health data: a generic line in the
patient's language and the reminder's id; the app shows the details once opened."""

import json
import os
import threading
from urllib.parse import urlparse

import requests
from django.conf import settings
from django.core.mail import send_mail
from django.utils import translation
from django.utils.translation import gettext as _
from pywebpush import WebPusher, WebPushException

from ivigapp.reminders.models import Delivery, PushSubscription
from ivigapp.reminders.vapid import vapid_authorization

PUSH_TIMEOUT_SECONDS = 10

_local = threading.local()


def http_session() -> requests.Session:
    """One keep-alive session per worker process and thread: a burst to one push service reuses
    its connections instead of a TCP (and TLS) handshake per send. A forked pool child makes its
    own, never its parent's sockets."""
    if getattr(_local, "pid", None) != os.getpid():
        _local.session = requests.Session()
        _local.pid = os.getpid()
    return _local.session


def payload_for(delivery: Delivery) -> dict:
    reminder = delivery.reminder
    with translation.override(delivery.language or reminder.patient.language):
        return {
            "type": "reminder",
            "id": str(reminder.pk),
            "tag": reminder.pk.hex,
            "title": "ivigapp",
            "body": _("You have a reminder from your care team. Open ivigapp to see it."),
            "url": f"/app/#/reminder/{reminder.pk}",
        }


def push_send(delivery: Delivery, subscriptions: list[PushSubscription]) -> tuple[str, list[int]]:
    """Posts to each of the patient's subscriptions (loaded by the caller, once per chunk). The
    Topic header is the reminder id, so a push service that still holds an earlier copy replaces
    it; the notification tag does the same on the device. 404 or 410 means the subscription is
    gone: it is deleted, and dropped from `subscriptions` for the rest of the chunk. Returns the
    outcome and the ids of the subscriptions that accepted."""
    if not subscriptions:
        return "no_subscription", []
    reminder = delivery.reminder
    data = json.dumps(payload_for(delivery))
    headers = {"Topic": reminder.pk.hex, "Urgency": "high" if reminder.safety_critical else "normal"}
    accepted = []
    for subscription in list(subscriptions):
        endpoint = urlparse(subscription.endpoint)
        try:
            response = WebPusher(
                {"endpoint": subscription.endpoint, "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth}},
                requests_session=http_session(),
            ).send(
                data,
                {**headers, "Authorization": vapid_authorization(f"{endpoint.scheme}://{endpoint.netloc}")},
                ttl=settings.PUSH_TTL_SECONDS,
                timeout=PUSH_TIMEOUT_SECONDS,
            )
        except (WebPushException, ValueError, OSError):  # bad keys, refused, timed out
            continue
        if response.status_code in (404, 410):
            subscription.delete()
            subscriptions.remove(subscription)
            continue
        if response.status_code > 202:
            continue
        accepted.append(subscription.pk)
    return ("sent" if accepted else "push_failed"), accepted


def email_send(delivery: Delivery) -> str:
    user = delivery.reminder.patient.user
    if not user.email:
        return "no_email"
    with translation.override(delivery.language or delivery.reminder.patient.language):
        subject = _("A reminder from ivigapp")
        body = _("You have a reminder from your care team. Open ivigapp to see it.")
    send_mail(subject, body, None, [user.email])
    return "sent"
