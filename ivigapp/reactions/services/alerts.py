"""Alerts: raised in the cause's transaction, acknowledged, annotated, resolved, escalated."""

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ivigapp.audit.services import audit_record
from ivigapp.patients.models import CareAssignment, Patient
from ivigapp.patients.roles import GROUP_ON_CALL, ROLE_NURSE, user_role
from ivigapp.reactions.models import LEVEL_RANK, Alert, AlertEscalation, AlertLevel, AlertNote
from ivigapp.sync.stamp import stamp_row


def alert_deadline(level: str, created_at: datetime) -> datetime:
    if level == AlertLevel.ROUTINE:
        # Within one business day: the next weekday at the same time.
        deadline = created_at + timedelta(days=1)
        while deadline.weekday() >= 5:
            deadline += timedelta(days=1)
        return deadline
    return created_at + timedelta(minutes=settings.ALERT_DEADLINE_MINUTES[level])


def _owner(patient: Patient, at: datetime):
    assignment = (
        CareAssignment.objects.current(at).filter(patient=patient).select_related("nurse").order_by("starts_at").first()
    )
    return assignment.nurse if assignment else None


def alert_raise(
    *, patient: Patient, source: str, level: str, rule_id: str, at: datetime | None = None, **links
) -> Alert | None:
    """Writes the alert row; the caller's transaction makes it exist iff its cause commits.
    Log-level findings raise no alert: they are visible in the diary review."""
    assert transaction.get_connection().in_atomic_block, "alerts are raised inside their cause's transaction"
    if LEVEL_RANK[level] < LEVEL_RANK[AlertLevel.ROUTINE]:
        return None
    at = at or timezone.now()
    alert = Alert(
        patient=patient,
        source=source,
        level=level,
        rule_id=rule_id,
        created_at=at,
        deadline_at=alert_deadline(level, at),
        owner=_owner(patient, at),
        **links,
    )
    stamp_row(alert, patient_id=patient.pk)
    alert.save(force_insert=True)
    return alert


def _require_nurse(actor) -> None:
    if user_role(actor) != ROLE_NURSE:
        raise ValidationError({"actor": _("Only a nurse can work alerts.")})


@transaction.atomic
def alert_acknowledge(*, actor, alert: Alert) -> Alert:
    """Idempotent: the first acknowledgement stands (it is the receipt the patient sees)."""
    _require_nurse(actor)
    alert = Alert.objects.select_for_update().get(pk=alert.pk)
    if alert.acknowledged_at is None:
        alert.acknowledged_at = timezone.now()
        alert.acknowledged_by = actor
        stamp_row(alert, patient_id=alert.patient_id)
        alert.save(update_fields=["acknowledged_at", "acknowledged_by", "version", "server_version", "received_at"])
        audit_record(
            actor, action="alert.acknowledge", patient_id=alert.patient_id, object_type="alert", object_ids=[alert.pk]
        )
    return alert


@transaction.atomic
def alert_annotate(*, actor, alert: Alert, text: str, row_id=None, client_id=None) -> AlertNote:
    _require_nurse(actor)
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": _("Write a note.")})
    if len(text) > 2000:
        raise ValidationError({"text": _("Keep the note under 2,000 characters.")})
    note = AlertNote(
        alert=alert, author=actor, text=text, created_at=timezone.now(), **({"id": row_id} if row_id else {})
    )
    stamp_row(note, patient_id=alert.patient_id, client_id=client_id)
    note.save(force_insert=True)
    audit_record(
        actor, action="alert.annotate", patient_id=alert.patient_id, object_type="alert_note", object_ids=[note.pk]
    )
    return note


@transaction.atomic
def alert_resolve(*, actor, alert: Alert, resolution: str) -> Alert:
    _require_nurse(actor)
    if resolution not in Alert.Resolution.values:
        raise ValidationError({"resolution": _("Choose how the alert was resolved.")})
    alert = Alert.objects.select_for_update().get(pk=alert.pk)
    if alert.resolved_at is not None:
        raise ValidationError({"resolution": _("This alert is already resolved.")})
    now = timezone.now()
    alert.acknowledged_at = alert.acknowledged_at or now
    alert.acknowledged_by = alert.acknowledged_by or actor
    alert.resolved_at, alert.resolved_by, alert.resolution = now, actor, resolution
    stamp_row(alert, patient_id=alert.patient_id)
    alert.save(
        update_fields=[
            "acknowledged_at",
            "acknowledged_by",
            "resolved_at",
            "resolved_by",
            "resolution",
            "version",
            "server_version",
            "received_at",
        ]
    )
    audit_record(actor, action="alert.resolve", patient_id=alert.patient_id, object_type="alert", object_ids=[alert.pk])
    return alert


def alerts_escalate_due(*, now: datetime | None = None) -> int:
    """Escalates every alert whose deadline passed unacknowledged, once.

    1. Find candidates: unacknowledged, not yet escalated, deadline reached.
    2. Claim each with a conditional UPDATE; only the winner of the claim goes on, so two
       workers running this at once escalate an alert once.
    3. In the same transaction, write one outbox row per recipient (the other nurses assigned
       to the patient and the on-call group); the email goes out after commit.
    """
    from ivigapp.reactions.tasks import escalation_send

    now = now or timezone.now()
    due = Alert.objects.filter(acknowledged_at__isnull=True, escalated_at__isnull=True, deadline_at__lte=now)
    escalated = 0
    for alert_id in due.values_list("pk", flat=True)[:500]:
        with transaction.atomic():
            if not Alert.objects.filter(pk=alert_id, escalated_at__isnull=True, acknowledged_at__isnull=True).update(
                escalated_at=now
            ):
                continue
            alert = Alert.objects.get(pk=alert_id)
            stamp_row(alert, patient_id=alert.patient_id)
            alert.save(update_fields=["version", "server_version", "received_at"])
            nurses = set(
                CareAssignment.objects.current(now)
                .filter(patient_id=alert.patient_id)
                .values_list("nurse_id", flat=True)
            )
            on_call = set(
                get_user_model().objects.filter(groups__name=GROUP_ON_CALL, is_active=True).values_list("pk", flat=True)
            )
            recipients = (nurses | on_call) - {alert.owner_id}
            rows = AlertEscalation.objects.bulk_create(
                [AlertEscalation(alert=alert, recipient_id=user_id, created_at=now) for user_id in sorted(recipients)]
            )
            for row in rows:
                escalation_send.delay_on_commit(row.pk)
            escalated += 1
    return escalated


@transaction.atomic
def reaction_review_record(*, actor, report, ctcae_grade: int, suspected_type: str, serious: bool = False):
    from ivigapp.reactions.models import ReactionReview

    _require_nurse(actor)
    errors = {}
    if ctcae_grade not in range(1, 6):
        errors["ctcae_grade"] = _("Choose a CTCAE grade from 1 to 5.")
    if suspected_type not in ReactionReview.SuspectedType.values:
        errors["suspected_type"] = _("Choose the suspected type of reaction.")
    if errors:
        raise ValidationError(errors)
    review = ReactionReview(
        report=report,
        patient_id=report.patient_id,
        ctcae_grade=ctcae_grade,
        serious=serious,
        suspected_type=suspected_type,
        reviewer=actor,
        reviewed_at=timezone.now(),
    )
    stamp_row(review, patient_id=report.patient_id)
    review.save(force_insert=True)
    audit_record(
        actor,
        action="reaction.review",
        patient_id=report.patient_id,
        object_type="reaction_review",
        object_ids=[review.pk],
    )
    return review
