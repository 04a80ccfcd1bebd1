"""The two ways a reminder reaches a patient. Neither carries health data: a generic line in the
patient's language and the reminder's id; the app shows the details once opened."""

import json
import os
import threading
from urllib.parse import urlparse

import requests
import urllib3
from django.conf import settings
from django.core.mail import send_mail
from django.utils import translation
from django.utils.translation import gettext as _
from pywebpush import WebPusher, WebPushException

from ivigapp.reminders.models import Delivery, PushSubscription
from ivigapp.reminders.vapid import vapid_authorization

PUSH_TIMEOUT_SECONDS = 10

_local = threading.local()


class PushTransport:
    """Keep-alive connections to the push services, one pool per origin, for one process and
    thread: a burst to one push service reuses its connections instead of a TCP (and TLS)
    handshake per send.

    It posts with urllib3 (what requests runs on): requests' own per-request work (merging
    cookies, hooks and the environment, which scans os.environ twice) cost more CPU than the
    encryption. The proxy and CA-bundle variables are still read as requests reads them, once per
    push service."""

    def __init__(self):
        self.pools = {}

    def post(self, url: str, body: bytes, headers: dict) -> int:
        parts = urlparse(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        pool = self.pools.get(origin) or self.pools.setdefault(origin, self.pool_for(origin))
        response = pool.request(
            "POST", url, body=body, headers=headers, timeout=PUSH_TIMEOUT_SECONDS, retries=False, redirect=False
        )
        return response.status

    @staticmethod
    def pool_for(origin: str) -> urllib3.PoolManager:
        environment = requests.Session().merge_environment_settings(origin, {}, None, None, None)
        verify = environment["verify"]
        options = {
            "num_pools": 1,
            "maxsize": 2,
            "cert_reqs": "CERT_REQUIRED",
            "ca_certs": verify if isinstance(verify, str) else requests.utils.DEFAULT_CA_BUNDLE_PATH,
        }
        proxy = requests.utils.select_proxy(origin, environment["proxies"])
        return urllib3.ProxyManager(proxy, **options) if proxy else urllib3.PoolManager(**options)


def push_transport() -> PushTransport:
    """This process's and thread's transport. A forked pool child makes its own, never using its
    parent's sockets."""
    if getattr(_local, "pid", None) != os.getpid():
        _local.transport = PushTransport()
        _local.pid = os.getpid()
    return _local.transport


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
    data = json.dumps(payload_for(delivery)).encode()
    headers = {
        "TTL": str(settings.PUSH_TTL_SECONDS),
        "Topic": reminder.pk.hex,
        "Urgency": "high" if reminder.safety_critical else "normal",
    }
    accepted = []
    for subscription in list(subscriptions):
        endpoint = urlparse(subscription.endpoint)
        try:
            # RFC 8291 aes128gcm: the body carries the salt and the sender's ephemeral key itself.
            body = WebPusher(
                {"endpoint": subscription.endpoint, "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth}}
            ).encode(data, "aes128gcm")["body"]
            status = push_transport().post(
                subscription.endpoint,
                body,
                {
                    **headers,
                    "Content-Encoding": "aes128gcm",
                    "Authorization": vapid_authorization(f"{endpoint.scheme}://{endpoint.netloc}"),
                },
            )
        except (WebPushException, ValueError, OSError, urllib3.exceptions.HTTPError):  # bad keys, refused, timeout
            continue
        if status in (404, 410):
            subscription.delete()
            subscriptions.remove(subscription)
            continue
        if status > 202:
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
