"""Reminders: planned as rows in the patient's time zone, claimed by a dispatcher, sent through
outbox rows with a lease. Never a far-future Celery ETA (the broker would redeliver it)."""

import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from ivigapp.reactions.models import FollowUpCheck, InfusionEpisode
from ivigapp.reminders.models import Delivery, PushSubscription, Reminder, ReminderPlan, ReminderPreference
from ivigapp.reminders.planning import DEFAULT_PLAN, after_quiet_hours, in_quiet_hours, local_label, step_due


def lease() -> timedelta:
    """How long a sender may hold a delivery before another may take it over."""
    return timedelta(seconds=settings.REMINDER_LEASE_SECONDS)


# Notifications carry one generic line (a UI string, no health data); its version is recorded with
# the language on each delivery. The reminder's own text is content, shown once the app is open.
GENERIC_TEXT_VERSION = "ui-generic-1"
CHECK_KINDS = {
    "h24": "check_24h",
    "h48": "check_48h",
    "h72": "check_72h",
    "d5": "check_d5",
    "d7": "check_d7",
    "d10": "check_d10",
}


def reminder_plan_current() -> dict:
    plan = ReminderPlan.objects.filter(published=True).order_by("-version").first()
    return {"version": plan.version, "steps": plan.steps} if plan else DEFAULT_PLAN


def reminders_replan(*, episode: InfusionEpisode, now: datetime | None = None) -> list[Reminder]:
    """Creates or moves this infusion's pending reminders (idempotent). Called when an infusion is
    scheduled, moved, started or ended, and when the patient's time zone or quiet hours change."""
    now = now or timezone.now()
    patient = episode.patient
    zone = ZoneInfo(patient.timezone)
    preference = ReminderPreference.objects.filter(patient=patient).first()
    quiet = (preference.quiet_start, preference.quiet_end) if preference else (None, None)
    plan = reminder_plan_current()
    existing = {r.kind: r for r in Reminder.objects.filter(episode=episode)}
    followups = set(FollowUpCheck.objects.filter(episode=episode).values_list("kind", flat=True))
    gone = episode.deleted or episode.status == InfusionEpisode.Status.DEFERRED
    touched = []
    with transaction.atomic():
        for step in plan["steps"]:
            row = existing.get(step["kind"])
            due = None if gone else _due_for(step, episode, zone, followups)
            if due is None:
                if row is not None and row.status == Reminder.Status.PENDING:
                    row.status = Reminder.Status.CANCELLED
                    row.save(update_fields=["status"])
                continue
            shifted_from = None
            if in_quiet_hours(due, zone, *quiet):
                shifted_from, due = due, after_quiet_hours(due, zone, *quiet)
            fields = {
                "due_at": due,
                "local_due": local_label(due, zone),
                "shifted_from": shifted_from,
                "window_minutes": step.get("window_minutes", 0),
                "safety_critical": step.get("safety_critical", False),
                "plan_version": plan["version"],
            }
            if row is None:
                row = Reminder.objects.create(patient=patient, episode=episode, kind=step["kind"], **fields)
            elif row.status in (Reminder.Status.PENDING, Reminder.Status.CANCELLED) and row.snoozed_until is None:
                Reminder.objects.filter(pk=row.pk, status=row.status).update(status=Reminder.Status.PENDING, **fields)
            touched.append(row)
    return touched


def _due_for(step, episode, zone, followups) -> datetime | None:
    if step.get("condition") == "premedication_ordered" and not episode.plan.premedication:
        return None
    if step.get("followup") and step["followup"] not in followups:
        return None
    if step["anchor"] == "scheduled_start":
        return step_due(step, episode.scheduled_start, zone)
    if episode.ended_at is None:
        return None
    return step_due(step, episode.ended_at, zone)


def reminders_replan_patient(*, patient) -> int:
    """After a time-zone or quiet-hours change: every infusion that still has reminders ahead."""
    episodes = InfusionEpisode.objects.filter(patient=patient, deleted=False, reminders__status="pending").distinct()
    return sum(len(reminders_replan(episode=e)) for e in episodes.select_related("plan", "patient"))


@transaction.atomic
def patient_timezone_change(*, actor, patient, timezone_name: str) -> None:
    from ivigapp.patients.models import validate_timezone

    validate_timezone(timezone_name)
    patient.timezone = timezone_name
    patient.save(update_fields=["timezone"])
    reminders_replan_patient(patient=patient)


@transaction.atomic
def quiet_hours_set(*, actor, patient, start, end) -> ReminderPreference:
    preference, _created = ReminderPreference.objects.update_or_create(
        patient=patient, defaults={"quiet_start": start, "quiet_end": end}
    )
    reminders_replan_patient(patient=patient)
    return preference


def _suppression(reminder: Reminder) -> str | None:
    episode = reminder.episode
    if episode.deleted or episode.status == InfusionEpisode.Status.DEFERRED:
        return "infusion_cancelled"
    if reminder.kind == "premedication" and episode.premeds_taken:
        return "premeds_logged"
    if reminder.kind in ("hydration_day_before", "hydration_morning", "infusion_start") and episode.started_at:
        return "already_started"
    if reminder.kind.startswith("check_"):
        kind = next(k for k, v in CHECK_KINDS.items() if v == reminder.kind)
        if FollowUpCheck.objects.filter(episode=episode, kind=kind, completed_at__isnull=False).exists():
            return "check_done"
    return None


def reminders_dispatch(*, now: datetime | None = None, limit: int = 500) -> int:
    """Claims due reminders and writes their deliveries; sends go out after commit.

    1. Lock due rows with SKIP LOCKED (PostgreSQL), so concurrent dispatchers take different rows;
       SQLite serialises writers, which gives the same guarantee.
    2. Per row: suppressed if the thing is already logged; otherwise one delivery per channel
       (push when the patient has a subscription, else email), unique per (reminder, channel,
       round), so no dispatcher can make a second.
    3. Re-drive deliveries whose sender died mid-send (lease expired), so a killed worker loses
       nothing.
    """
    from ivigapp.reminders.tasks import delivery_send

    now = now or timezone.now()
    sent = 0
    with transaction.atomic():
        due = (
            Reminder.objects.select_related("episode__plan", "patient__user")
            .filter(status=Reminder.Status.PENDING, due_at__lte=now)
            .order_by("due_at")
        )
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True, of=("self",))
        for reminder in due[:limit]:
            reason = _suppression(reminder)
            if reason:
                Reminder.objects.filter(pk=reminder.pk).update(
                    status=Reminder.Status.SUPPRESSED, suppressed_reason=reason
                )
                continue
            Reminder.objects.filter(pk=reminder.pk).update(status=Reminder.Status.DISPATCHED, dispatched_at=now)
            has_push = PushSubscription.objects.filter(user=reminder.patient.user).exists()
            channel = Delivery.Channel.PUSH if has_push else Delivery.Channel.EMAIL
            delivery, created = Delivery.objects.get_or_create(
                reminder=reminder,
                channel=channel,
                round=reminder.round,
                defaults={
                    "created_at": now,
                    "enqueued_at": now,
                    "language": reminder.patient.language,
                    "content_version": GENERIC_TEXT_VERSION,
                },
            )
            if created:
                delivery_send.delay_on_commit(delivery.pk)
                sent += 1
    # A send task lost with its worker is enqueued again: a delivery held by a dead sender after
    # one lease; a queued one only after ten, since under a burst its first task is still waiting in
    # the broker and re-enqueueing it would only deepen the backlog.
    stale = list(
        Delivery.objects.filter(
            Q(status=Delivery.Status.QUEUED, enqueued_at__lte=now - 10 * lease())
            | Q(status=Delivery.Status.SENDING, claimed_at__lte=now - lease(), enqueued_at__lte=now - lease())
        ).values_list("pk", flat=True)[:limit]
    )
    if stale:
        Delivery.objects.filter(pk__in=stale).update(enqueued_at=now)
        for delivery_id in stale:
            delivery_send.delay(delivery_id)
    return sent


def delivery_claim(delivery_id: int, now: datetime) -> Delivery | None:
    """Takes the delivery for one send attempt; None if it is done or another sender holds it."""
    claimed = (
        Delivery.objects.filter(pk=delivery_id)
        .filter(Q(status=Delivery.Status.QUEUED) | Q(status=Delivery.Status.SENDING, claimed_at__lte=now - lease()))
        .update(status=Delivery.Status.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    )
    if not claimed:
        return None
    return Delivery.objects.select_related("reminder__patient__user").get(pk=delivery_id)


def delivery_send(*, delivery_id: int) -> str:
    from ivigapp.reminders import channels

    now = timezone.now()
    delivery = delivery_claim(delivery_id, now)
    if delivery is None:
        return "skipped"
    if delivery.channel == Delivery.Channel.PUSH:
        outcome = channels.push_send(delivery)
    else:
        outcome = channels.email_send(delivery)
    if outcome == "sent":
        Delivery.objects.filter(pk=delivery.pk).update(
            status=Delivery.Status.SENT, sent_at=timezone.now(), last_error=""
        )
        return "sent"
    Delivery.objects.filter(pk=delivery.pk).update(status=Delivery.Status.FAILED, last_error=outcome[:200])
    if delivery.channel == Delivery.Channel.PUSH:
        from ivigapp.reminders.tasks import delivery_send as task

        fallback, created = Delivery.objects.get_or_create(
            reminder=delivery.reminder,
            channel=Delivery.Channel.EMAIL,
            round=delivery.round,
            defaults={
                "created_at": timezone.now(),
                "enqueued_at": timezone.now(),
                "language": delivery.language,
                "content_version": GENERIC_TEXT_VERSION,
            },
        )
        if created:
            task.delay(fallback.pk)
    return outcome


@transaction.atomic
def reminder_snooze(*, actor, reminder: Reminder, minutes: int) -> Reminder:
    reminder = Reminder.objects.select_for_update().select_related("patient").get(pk=reminder.pk)
    if reminder.patient.user_id != actor.pk:
        raise ValidationError({"reminder": _("This is not your reminder.")})
    if not 5 <= minutes <= 240:
        raise ValidationError({"minutes": _("Snooze for 5 minutes to 4 hours.")})
    if reminder.acknowledged_at or reminder.status != Reminder.Status.DISPATCHED:
        raise ValidationError({"reminder": _("This reminder cannot be snoozed now.")})
    until = timezone.now() + timedelta(minutes=minutes)
    Reminder.objects.filter(pk=reminder.pk).update(
        status=Reminder.Status.PENDING, due_at=until, snoozed_until=until, round=F("round") + 1
    )
    reminder.refresh_from_db()
    return reminder


@transaction.atomic
def reminder_acknowledge(*, actor, reminder: Reminder) -> Reminder:
    if reminder.patient.user_id != actor.pk:
        raise ValidationError({"reminder": _("This is not your reminder.")})
    Reminder.objects.filter(pk=reminder.pk, acknowledged_at__isnull=True).update(acknowledged_at=timezone.now())
    reminder.refresh_from_db()
    return reminder


@transaction.atomic
def push_subscribe(*, user, endpoint: str, p256dh: str, auth: str, client_id=None) -> PushSubscription:
    if not endpoint.startswith(("https://", "http://127.0.0.1", "http://localhost")) or len(endpoint) > 1000:
        raise ValidationError({"endpoint": _("This push endpoint cannot be used.")})
    if not p256dh or not auth:
        raise ValidationError({"keys": _("The subscription keys are missing.")})
    subscription, _created = PushSubscription.objects.update_or_create(
        endpoint=endpoint, defaults={"user": user, "p256dh": p256dh, "auth": auth, "client_id": client_id}
    )
    return subscription


def push_unsubscribe(*, user, endpoint: str) -> int:
    return PushSubscription.objects.filter(user=user, endpoint=endpoint).delete()[0]


def reminders_dispatch_all(*, batch: int = 200, seconds: float = 50.0) -> int:
    """What beat runs every minute: dispatch in short transactions until nothing is due, so a burst
    is not capped at one batch a minute and each batch's sends start as soon as it commits."""
    started = time.monotonic()
    total = 0
    while time.monotonic() - started < seconds:
        claimed = reminders_dispatch(limit=batch)
        total += claimed
        if (
            claimed == 0
            or not Reminder.objects.filter(status=Reminder.Status.PENDING, due_at__lte=timezone.now()).exists()
        ):
            break
    return total
