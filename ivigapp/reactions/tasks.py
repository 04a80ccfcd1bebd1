from celery import shared_task
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from ivigapp.reactions.models import AlertEscalation
from ivigapp.reactions.services import alerts_escalate_due
from ivigapp.reactions.services import followups_mark_missed as _followups_mark_missed


@shared_task(name="ivigapp.reactions.tasks.alerts_escalate", ignore_result=True)
def alerts_escalate():
    alerts_escalate_due()


@shared_task(name="ivigapp.reactions.tasks.followups_mark_missed", ignore_result=True)
def followups_mark_missed():
    _followups_mark_missed()


@shared_task(name="ivigapp.reactions.tasks.escalation_send", ignore_result=True)
def escalation_send(escalation_id: int) -> None:
    """Emails one escalation (no health data: a pointer to the alert queue), once."""
    with transaction.atomic():
        row = (
            AlertEscalation.objects.select_for_update()
            .select_related("recipient")
            .filter(pk=escalation_id, sent_at__isnull=True)
            .first()
        )
        if row is None or not row.recipient.email:
            return
        with translation.override("en"):
            subject = render_to_string("reactions/escalation_subject.txt").strip()
            body = render_to_string("reactions/escalation_email.txt", {"alert_id": row.alert_id})
        send_mail(subject, body, None, [row.recipient.email])
        row.sent_at = timezone.now()
        row.save(update_fields=["sent_at"])
