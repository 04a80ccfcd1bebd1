"""Reminders: planned as rows in the patient's time zone, claimed by a dispatcher, sent through
outbox rows with a lease. Never a far-future Celery ETA (the broker would redeliver it)."""

import logging
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F, Min, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from ivigapp.reactions.models import FollowUpCheck, InfusionEpisode
from ivigapp.reminders import channels
from ivigapp.reminders.models import Delivery, PushSubscription, Reminder, ReminderKind, ReminderPreference
from ivigapp.reminders.planning import DEFAULT_PLAN, after_quiet_hours, in_quiet_hours, local_label, step_due
from ivigapp.reminders.plans import reminder_plan_in_use

logger = logging.getLogger(__name__)

# Delivery ids per send task: large enough that a worker's per-task costs (the broker round trip,
# a database connection) vanish per send, small enough that a burst spreads over every pool process
# and a chunk ends well inside a lease.
SEND_CHUNK = 100


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
    plan = reminder_plan_in_use()
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
    gone = episode.deleted or episode.status == InfusionEpisode.Status.DEFERRED
    touched = []
    with transaction.atomic():
        # One re-plan of an infusion at a time (a push ending it while a dispatch tick adopts a new
        # plan would both create the same reminder): the second waits, then reads what the first wrote.
        list(InfusionEpisode.objects.select_for_update(no_key=True).filter(pk=episode.pk).values_list("pk"))
        existing = {r.kind: r for r in Reminder.objects.filter(episode=episode)}
        followups = set(FollowUpCheck.objects.filter(episode=episode).values_list("kind", flat=True))
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
        # A kind the plan no longer has is not sent either (a re-check is asked for by the advice, not the plan).
        planned = {step["kind"] for step in plan["steps"]} | {ReminderKind.RECHECK}
        Reminder.objects.filter(episode=episode, status=Reminder.Status.PENDING).exclude(kind__in=planned).update(
            status=Reminder.Status.CANCELLED
        )
    return touched


# The advice "check again in 30 minutes / 2 hours" (clinical.md 4): the app asks again then, by a
# reminder that opens "I feel unwell". A later report replaces it (with its own re-check, if any).
RECHECK_AFTER = {"ADV_RECHECK_30MIN": timedelta(minutes=30), "ADV_RECHECK_2H": timedelta(hours=2)}


def reminders_recheck(*, report, advice: list[str], now: datetime | None = None) -> Reminder | None:
    """Plans (or moves) the re-check of a report's infusion that its advice asks for, or cancels the
    pending one when the new report's advice asks for none. Called in the report's transaction. A
    report entered offline and sent late is asked about at once; one written up more than 12 hours
    after its re-check was due is not asked about. Returns the pending re-check."""
    episode = report.episode
    if episode is None:
        return None
    now = now or timezone.now()
    after = min((RECHECK_AFTER[key] for key in advice if key in RECHECK_AFTER), default=None)
    pending = Reminder.objects.filter(episode=episode, kind=ReminderKind.RECHECK)
    if after is None:
        pending.filter(status=Reminder.Status.PENDING).update(status=Reminder.Status.CANCELLED)
        return None
    if report.onset_at + after < now - TOO_LATE:  # written up days later: nothing to ask about now
        return None
    due = max(report.onset_at + after, now)
    zone = ZoneInfo(report.patient.timezone)
    fields = {
        "due_at": due,
        "local_due": local_label(due, zone),
        "shifted_from": None,
        "window_minutes": 15,
        "safety_critical": True,
        "status": Reminder.Status.PENDING,
        "suppressed_reason": "",
        "dispatched_at": None,
        "snoozed_until": None,
        "acknowledged_at": None,
        "plan_version": reminder_plan_current()["version"],
    }
    reminder, created = Reminder.objects.select_for_update().get_or_create(
        episode=episode, kind=ReminderKind.RECHECK, defaults={"patient_id": report.patient_id, **fields}
    )
    if not created:  # a new round, so it is delivered again
        Reminder.objects.filter(pk=reminder.pk).update(round=F("round") + 1, **fields)
        reminder.refresh_from_db()
    return reminder


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


def reminders_adopt_plan(*, limit: int = 200) -> int:
    """Re-plans the infusions whose pending reminders a plan other than the one in use planned (after
    a new plan is published), soonest due first, at most `limit` infusions a call; returns how many.
    The stale version on the reminder rows is the record of what is left, so a worker that dies
    midway loses nothing, and one that fails is logged and tried again at the next tick without
    holding up the others or the dispatch. A snoozed reminder keeps its time (re-planning never
    moves one), so it is not looked for unless the plan dropped its kind."""
    plan = reminder_plan_current()
    kinds = [step["kind"] for step in plan["steps"]]
    episode_ids = list(
        Reminder.objects.filter(status=Reminder.Status.PENDING)
        .exclude(kind=ReminderKind.RECHECK)  # asked for by the advice, not planned by the plan
        .filter(Q(snoozed_until__isnull=True) | ~Q(kind__in=kinds))  # a snoozed one of a dropped kind goes
        .exclude(plan_version=plan["version"])
        .values("episode_id")
        .annotate(soonest=Min("due_at"))
        .order_by("soonest")
        .values_list("episode_id", flat=True)[:limit]
    )
    if not episode_ids:
        return 0
    episodes = InfusionEpisode.objects.filter(pk__in=episode_ids).select_related("plan", "patient")
    for episode in episodes:
        try:
            with transaction.atomic():
                reminders_replan(episode=episode)
        except Exception:  # noqa: BLE001 (one infusion's failure must not stop every reminder)
            logger.exception("reminders_adopt_plan: infusion %s not re-planned; tried again next tick", episode.pk)
    return len(episode_ids)


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
    if start is not None and start == end:  # none at all, or all day: either way not what was meant
        raise ValidationError({"quiet_end": _("Quiet hours must end at another time than they start.")})
    preference, _created = ReminderPreference.objects.update_or_create(
        patient=patient, defaults={"quiet_start": start, "quiet_end": end}
    )
    reminders_replan_patient(patient=patient)
    return preference


# A reminder dispatched this long after its time (and its window), say after the beat was down
# or for an infusion entered after the fact, is about something past and would arrive at any hour
# of the night: it is not sent. A check-in reminder goes while its check is still open.
TOO_LATE = timedelta(hours=12)
# Reminders about getting ready: pointless once the infusion has started (premedication included:
# a reminder to take it after the start could make a patient who forgot to log it take it twice).
BEFORE_THE_START = ("hydration_day_before", "hydration_morning", "premedication", "infusion_start")


def _suppressions(reminders: list[Reminder], now: datetime) -> dict:
    """Reminder id -> why it is no longer needed: its subject is already logged, or it is too late.
    A check-in reminder is too late once its check has closed (a check stays open for days after
    the infusion); any other, 12 hours after its time and window. One query for the checks of the
    whole batch, none when the batch has no check-in reminders."""
    check_episodes = [r.episode_id for r in reminders if r.kind.startswith("check_")]
    checks = {}
    if check_episodes:
        for episode_id, kind, completed_at, closes_at in FollowUpCheck.objects.filter(
            episode_id__in=check_episodes
        ).values_list("episode_id", "kind", "completed_at", "window_ends_at"):
            checks[episode_id, kind] = (completed_at, closes_at)
    kinds = {v: k for k, v in CHECK_KINDS.items()}
    reasons = {}
    for reminder in reminders:
        episode = reminder.episode
        completed_at, closes_at = checks.get((reminder.episode_id, kinds.get(reminder.kind)), (None, None))
        if episode.deleted or episode.status == InfusionEpisode.Status.DEFERRED:
            reasons[reminder.pk] = "infusion_cancelled"
        elif reminder.acknowledged_at:  # "Done" in the app before it was due
            reasons[reminder.pk] = "acknowledged"
        elif reminder.kind == "premedication" and episode.premeds_taken:
            reasons[reminder.pk] = "premeds_logged"
        elif reminder.kind in BEFORE_THE_START and episode.started_at:
            reasons[reminder.pk] = "already_started"
        elif completed_at:
            reasons[reminder.pk] = "check_done"
        elif closes_at is not None:
            if closes_at <= now:
                reasons[reminder.pk] = "too_late"
        elif now - reminder.due_at > TOO_LATE + timedelta(minutes=reminder.window_minutes):
            reasons[reminder.pk] = "too_late"
    return reasons


def _chunks(ids: list[int], size: int) -> list[list[int]]:
    return [ids[i : i + size] for i in range(0, len(ids), size)]


def reminders_dispatch(*, now: datetime | None = None, limit: int = 1000) -> int:
    """Claims due reminders and writes their deliveries, a whole batch in a fixed number of
    statements; sends go out after commit, one task per chunk of delivery ids.

    1. Lock due rows with SKIP LOCKED (PostgreSQL), so concurrent dispatchers take different rows;
       SQLite takes its write lock at BEGIN (IMMEDIATE), which gives the same guarantee.
    2. Suppress the reminders whose subject is already logged; mark the rest dispatched, one
       UPDATE per outcome.
    3. One delivery per reminder and channel (push when the patient has a subscription, else
       email) and snooze round, skipping any that already exists; the unique constraint stands
       behind this, so no dispatcher can make a second. One INSERT for the batch.
    4. Re-drive deliveries whose sender died mid-send (lease expired), so a killed worker loses
       nothing.
    """
    from ivigapp.reminders.tasks import deliveries_send

    now = now or timezone.now()
    created = []
    with transaction.atomic():
        due = (
            Reminder.objects.select_related("episode", "patient")
            .filter(status=Reminder.Status.PENDING, due_at__lte=now)
            .order_by("due_at")
        )
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True, of=("self",))
        reminders = list(due[:limit])
        suppressed = _suppressions(reminders, now)
        for reason in sorted(set(suppressed.values())):
            Reminder.objects.filter(pk__in=[pk for pk, why in suppressed.items() if why == reason]).update(
                status=Reminder.Status.SUPPRESSED, suppressed_reason=reason
            )
        reminders = [r for r in reminders if r.pk not in suppressed]
        if reminders:
            Reminder.objects.filter(pk__in=[r.pk for r in reminders]).update(
                status=Reminder.Status.DISPATCHED, dispatched_at=now
            )
            with_push = set(
                PushSubscription.objects.filter(user_id__in={r.patient.user_id for r in reminders}).values_list(
                    "user_id", flat=True
                )
            )
            existing = set(
                Delivery.objects.filter(reminder__in=reminders).values_list("reminder_id", "channel", "round")
            )
            deliveries = []
            for reminder in reminders:
                channel = Delivery.Channel.PUSH if reminder.patient.user_id in with_push else Delivery.Channel.EMAIL
                if (reminder.pk, channel, reminder.round) in existing:
                    continue
                deliveries.append(
                    Delivery(
                        reminder=reminder,
                        channel=channel,
                        round=reminder.round,
                        created_at=now,
                        enqueued_at=now,
                        language=reminder.patient.language,
                        content_version=GENERIC_TEXT_VERSION,
                    )
                )
            created = Delivery.objects.bulk_create(deliveries)
            for chunk in _chunks([d.pk for d in created], SEND_CHUNK):
                deliveries_send.delay_on_commit(chunk)
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
        for chunk in _chunks(stale, SEND_CHUNK):
            deliveries_send.delay(chunk)
    return len(created)


def deliveries_claim(delivery_ids: list[int], now: datetime) -> list[int]:
    """Takes the deliveries for one send attempt, in one statement: those queued, and those whose
    sender's lease ran out. The rest are done or held by another sender. Returns the ids taken."""
    if not delivery_ids:
        return []
    # The ORM's update() cannot say which rows it changed; UPDATE ... RETURNING (PostgreSQL, and
    # SQLite since 3.35) takes the chunk and names the winners in one statement.
    table = Delivery._meta.db_table
    marks = ", ".join(["%s"] * len(delivery_ids))
    moment = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET status = %s, claimed_at = %s, attempts = attempts + 1 "  # noqa: S608 (names only)
            f"WHERE id IN ({marks}) AND (status = %s OR (status = %s AND claimed_at <= %s)) RETURNING id",
            [
                Delivery.Status.SENDING.value,
                moment(now),
                *delivery_ids,
                Delivery.Status.QUEUED.value,
                Delivery.Status.SENDING.value,
                moment(now - lease()),
            ],
        )
        return [row[0] for row in cursor.fetchall()]


def deliveries_send(*, delivery_ids: list[int]) -> dict[int, str]:
    """Sends a chunk of deliveries; returns the outcome per delivery id ("skipped" when another
    sender has it or it is done).

    1. Claim the chunk in one statement (deliveries_claim), then load the deliveries with their
       reminder and patient, and the patients' push subscriptions: three statements per chunk.
    2. Send one by one and record each result as soon as the push service or mail server has
       answered, so a SIGKILL can repeat at most the send in flight.
    3. Never send on a lease about to run out: past half the lease, the unsent rest is put back
       in the queue as a new chunk, before another sender could take it over.
    4. A push that reached no device falls back to email (its own delivery, unique per round).
    """
    from ivigapp.reminders.tasks import deliveries_send as task

    claimed_at = timezone.now()
    outcomes = dict.fromkeys(delivery_ids, "skipped")
    claimed = deliveries_claim(delivery_ids, claimed_at)
    if not claimed:
        return outcomes
    deliveries = list(Delivery.objects.select_related("reminder__patient__user").filter(pk__in=claimed).order_by("pk"))
    subscriptions: dict[int, list[PushSubscription]] = {}
    if any(d.channel == Delivery.Channel.PUSH for d in deliveries):
        users = {d.reminder.patient.user_id for d in deliveries}
        for subscription in PushSubscription.objects.filter(user_id__in=users).order_by("pk"):
            subscriptions.setdefault(subscription.user_id, []).append(subscription)
    accepted_by = set()
    for index, delivery in enumerate(deliveries):
        if timezone.now() - claimed_at > lease() / 2:
            rest = [d.pk for d in deliveries[index:]]
            Delivery.objects.filter(pk__in=rest, status=Delivery.Status.SENDING, claimed_at=claimed_at).update(
                status=Delivery.Status.QUEUED, enqueued_at=timezone.now()
            )
            task.delay(rest)
            for pk in rest:
                outcomes[pk] = "requeued"
            break
        try:
            if delivery.channel == Delivery.Channel.PUSH:
                outcome, accepted = channels.push_send(
                    delivery, subscriptions.get(delivery.reminder.patient.user_id, [])
                )
                accepted_by.update(accepted)
            else:
                outcome = channels.email_send(delivery)
        except Exception as error:  # noqa: BLE001 (one refused address must not stop the chunk)
            outcome = f"error:{type(error).__name__}"
            logger.warning("delivery %s failed: %s", delivery.pk, type(error).__name__)
        outcomes[delivery.pk] = outcome
        delivery_record(delivery_id=delivery.pk, outcome=outcome)
        if outcome != "sent" and delivery.channel == Delivery.Channel.PUSH:
            delivery_email_fallback(delivery=delivery)
    if accepted_by:
        PushSubscription.objects.filter(pk__in=accepted_by).update(last_success_at=timezone.now())
    return outcomes


def delivery_record(*, delivery_id: int, outcome: str) -> None:
    """Records one send's result at once (autocommit). One statement per send on the hot path of a
    burst, so it is written out: the ORM's update() spent more CPU building it than the database
    spent running it."""
    sent = outcome == "sent"
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Delivery._meta.db_table} SET status = %s, sent_at = %s, last_error = %s WHERE id = %s",  # noqa: S608
            [
                (Delivery.Status.SENT if sent else Delivery.Status.FAILED).value,
                connection.ops.adapt_datetimefield_value(timezone.now()) if sent else None,
                "" if sent else outcome[:200],
                delivery_id,
            ],
        )


def delivery_email_fallback(*, delivery: Delivery) -> Delivery | None:
    """The email delivery of a push that reached no device; None if this round already has one."""
    from ivigapp.reminders.tasks import deliveries_send

    now = timezone.now()
    fallback, created = Delivery.objects.get_or_create(
        reminder=delivery.reminder,
        channel=Delivery.Channel.EMAIL,
        round=delivery.round,
        defaults={
            "created_at": now,
            "enqueued_at": now,
            "language": delivery.language,
            "content_version": GENERIC_TEXT_VERSION,
        },
    )
    if not created:
        return None
    deliveries_send.delay([fallback.pk])
    return fallback


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


def reminders_dispatch_all(*, batch: int = 1000, seconds: float = 50.0) -> int:
    """What beat runs every minute: re-plan what a newly published plan changes, then dispatch in
    short transactions until nothing is due, so a burst is not capped at one batch a minute and each
    batch's sends start as soon as it commits."""
    started = time.monotonic()
    reminders_adopt_plan()  # a new plan's times before anything is sent at an old one
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
