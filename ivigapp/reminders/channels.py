"""The two ways a reminder reaches a patient. Neither carries health data: a generic line in the
patient's language and the reminder's id; the app shows the details once opened."""

import json
from urllib.parse import urlparse

from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from pywebpush import WebPushException, webpush

from ivigapp.reminders.models import Delivery, PushSubscription
from ivigapp.reminders.vapid import vapid


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


def push_send(delivery: Delivery) -> str:
    """Posts to every subscription of the patient. The Topic header is the reminder id, so a push
    service that still holds an earlier copy replaces it; the notification tag does the same on the
    device. 404 or 410 means the subscription is gone: it is deleted."""
    reminder = delivery.reminder
    subscriptions = list(PushSubscription.objects.filter(user=reminder.patient.user))
    if not subscriptions:
        return "no_subscription"
    data = json.dumps(payload_for(delivery))
    delivered = 0
    for subscription in subscriptions:
        endpoint = urlparse(subscription.endpoint)
        try:
            webpush(
                subscription_info={
                    "endpoint": subscription.endpoint,
                    "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth},
                },
                data=data,
                vapid_private_key=vapid(),
                vapid_claims={"sub": settings.VAPID_SUBJECT, "aud": f"{endpoint.scheme}://{endpoint.netloc}"},
                ttl=settings.PUSH_TTL_SECONDS,
                headers={"Topic": reminder.pk.hex, "Urgency": "high" if reminder.safety_critical else "normal"},
                timeout=10,
            )
        except WebPushException as error:
            status = getattr(error.response, "status_code", None)
            if status in (404, 410):
                subscription.delete()
            continue
        except OSError:
            continue
        PushSubscription.objects.filter(pk=subscription.pk).update(last_success_at=timezone.now())
        delivered += 1
    return "sent" if delivered else "push_failed"


def email_send(delivery: Delivery) -> str:
    user = delivery.reminder.patient.user
    if not user.email:
        return "no_email"
    with translation.override(delivery.language or delivery.reminder.patient.language):
        subject = _("A reminder from ivigapp")
        body = _("You have a reminder from your care team. Open ivigapp to see it.")
    send_mail(subject, body, None, [user.email])
    return "sent"
