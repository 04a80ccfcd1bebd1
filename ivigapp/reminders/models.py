import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ivigapp.patients.models import Patient
from ivigapp.protocols.models import ApprovalStatus


class ReminderKind(models.TextChoices):
    HYDRATION_DAY_BEFORE = "hydration_day_before", _("Drink well the day before")
    HYDRATION_MORNING = "hydration_morning", _("Drink well this morning")
    PREMEDICATION = "premedication", _("Take your premedication")
    INFUSION_START = "infusion_start", _("Infusion time")
    HYDRATION_DAY_AFTER = "hydration_day_after", _("Keep drinking well today")
    CHECK_24H = "check_24h", _("24-hour check")
    CHECK_48H = "check_48h", _("48-hour check")
    CHECK_72H = "check_72h", _("72-hour check")
    CHECK_D5 = "check_d5", _("Day 5 check")
    CHECK_D7 = "check_d7", _("Day 7 check")
    CHECK_D10 = "check_d10", _("Day 10 check")
    RECHECK = "recheck", _("Check how you feel again")


class ReminderPlan(models.Model):
    """When reminders fire, as content: a plan of steps, each anchored on the scheduled start or the
    actual end, either an offset in minutes or a local wall-clock time on a day relative to the
    anchor. Signed off like triage rule sets (a second administrator approves); the newest published
    version plans every infusion (the pending reminders of those planned before it move at the next
    dispatch tick: services.reminders_adopt_plan), and without one the built-in plan
    (planning.DEFAULT_PLAN) does."""

    name = models.CharField(max_length=100, default="default")
    version = models.PositiveIntegerField(default=1)
    steps = models.JSONField()
    status = models.CharField(max_length=16, choices=ApprovalStatus.choices, default=ApprovalStatus.DRAFT)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-version"]
        constraints = [models.UniqueConstraint(fields=["name", "version"], name="one_reminder_plan_version")]
        verbose_name = _("reminder plan")
        verbose_name_plural = _("reminder plans")

    def __str__(self):
        return f"reminder plan v{self.version} ({self.get_status_display()})"


class ReminderPreference(models.Model):
    patient = models.OneToOneField(Patient, on_delete=models.CASCADE, related_name="reminder_preference")
    quiet_start = models.TimeField(null=True, blank=True, help_text=_("Local time quiet hours begin."))
    quiet_end = models.TimeField(null=True, blank=True, help_text=_("Local time quiet hours end."))

    def __str__(self):
        return f"reminder preferences of {self.patient_id}"


class Reminder(models.Model):
    """One reminder of one infusion, due at a UTC instant computed from the patient's local time.
    The dispatcher claims due rows; nothing is ever scheduled far ahead in the broker."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DISPATCHED = "dispatched", _("Sent")
        SUPPRESSED = "suppressed", _("Not needed")
        CANCELLED = "cancelled", _("Cancelled")

    # Why a due reminder was not sent (suppressed_reason).
    SUPPRESSED_REASONS = {
        "infusion_cancelled": _("the infusion was cancelled"),
        "acknowledged": _("marked done in the app"),
        "premeds_logged": _("premedication already logged"),
        "already_started": _("the infusion had started"),
        "check_done": _("check-in already answered"),
        "too_late": _("too late to be useful"),
    }

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="reminders")
    episode = models.ForeignKey("reactions.InfusionEpisode", on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=24, choices=ReminderKind.choices)
    safety_critical = models.BooleanField(default=False)
    due_at = models.DateTimeField()
    local_due = models.CharField(max_length=80, help_text="Wall-clock time and zone it was planned for.")
    shifted_from = models.DateTimeField(null=True, blank=True, help_text="Planned time before quiet hours.")
    window_minutes = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    suppressed_reason = models.CharField(max_length=40, blank=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    snoozed_until = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    plan_version = models.PositiveIntegerField(default=1)
    round = models.PositiveSmallIntegerField(default=0, help_text="Bumped by a snooze: a new round of deliveries.")

    class Meta:
        ordering = ["due_at"]
        constraints = [models.UniqueConstraint(fields=["episode", "kind"], name="one_reminder_per_kind")]
        indexes = [models.Index(fields=["due_at"], condition=models.Q(status="pending"), name="reminder_due_idx")]

    def __str__(self):
        return f"{self.kind} at {self.due_at:%Y-%m-%d %H:%M}"

    def suppressed_reason_label(self) -> str:
        return str(self.SUPPRESSED_REASONS.get(self.suppressed_reason, self.suppressed_reason))


class PushSubscription(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="push_subscriptions")
    client_id = models.UUIDField(null=True, blank=True)
    endpoint = models.URLField(max_length=1000, unique=True)
    p256dh = models.CharField(max_length=200)
    auth = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)
    last_success_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"push subscription {self.pk} of {self.user_id}"


class Delivery(models.Model):
    """Outbox row: send this reminder on this channel. Unique per (reminder, channel), so two
    dispatchers can never make two; the send task claims it with a lease before sending."""

    class Channel(models.TextChoices):
        PUSH = "push", _("Web Push")
        EMAIL = "email", _("Email")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    reminder = models.ForeignKey(Reminder, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(max_length=8, choices=Channel.choices)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField()
    claimed_at = models.DateTimeField(null=True, blank=True)
    enqueued_at = models.DateTimeField(null=True, blank=True, help_text="When a send task was last enqueued.")
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=200, blank=True)
    round = models.PositiveSmallIntegerField(default=0)
    language = models.CharField(max_length=8, blank=True)
    content_version = models.CharField(max_length=64, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["reminder", "channel", "round"], name="one_delivery_per_channel_round")
        ]
        indexes = [models.Index(fields=["status", "claimed_at"])]

    def __str__(self):
        return f"{self.channel} delivery of {self.reminder_id} ({self.status})"
