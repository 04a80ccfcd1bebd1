from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ivigapp.patients.models import Patient
from ivigapp.reactions.models.diary import InfusionEpisode
from ivigapp.reactions.models.reports import FollowUpCheck, SymptomReport
from ivigapp.sync.models import PULL_INDEX, SyncRow


class AlertLevel(models.TextChoices):
    LOG = "log", _("Log only")
    ROUTINE = "routine", _("Routine")
    SAME_DAY = "same_day", _("Same day")
    URGENT = "urgent", _("Urgent")
    EMERGENCY = "emergency", _("Emergency")


LEVEL_RANK = {level: rank for rank, level in enumerate(AlertLevel.values)}


class Alert(SyncRow):
    """Raised in the same transaction as its cause; nurse-owned; its acknowledgement is the
    receipt the patient sees ("your nurse has seen this")."""

    class Source(models.TextChoices):
        SYMPTOM_REPORT = "symptom_report", _("Reaction checklist")
        RATE_CAP = "rate_cap", _("Rate above the cap")
        MISSED_CHECK = "missed_check", _("Missed follow-up check")
        WEIGHT_CHANGE = "weight_change", _("Weight change")
        READINESS = "readiness", _("Pre-infusion checklist")

    class Resolution(models.TextChoices):
        ADVICE_GIVEN = "advice_given", _("Advice given by phone")
        VISIT = "visit", _("Home visit arranged")
        PRESCRIBER = "prescriber", _("Passed to the prescriber")
        EMERGENCY = "emergency", _("Emergency services involved")
        NO_ACTION = "no_action", _("No action needed")

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="alerts")
    source = models.CharField(max_length=16, choices=Source.choices)
    report = models.ForeignKey(SymptomReport, on_delete=models.CASCADE, null=True, blank=True, related_name="alerts")
    episode = models.ForeignKey(InfusionEpisode, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    followup = models.ForeignKey(FollowUpCheck, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    rule_id = models.CharField(max_length=16)
    level = models.CharField(max_length=10, choices=AlertLevel.choices)
    created_at = models.DateTimeField()
    deadline_at = models.DateTimeField()
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    escalated_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolution = models.CharField(max_length=16, choices=Resolution.choices, blank=True)

    class Meta:
        ordering = ["deadline_at"]
        indexes = [
            PULL_INDEX,
            models.Index(
                fields=["deadline_at"],
                condition=models.Q(acknowledged_at__isnull=True, escalated_at__isnull=True),
                name="alert_escalation_due_idx",
            ),
            models.Index(fields=["patient", "resolved_at"]),
        ]

    def __str__(self):
        return f"{self.level} alert {self.rule_id}"


class AlertNote(SyncRow):
    """A nurse's annotation on an alert; the patient sees it."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(max_length=2000)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at"]
        indexes = [PULL_INDEX]


class AlertEscalation(models.Model):
    """Outbox row: tell this person that an alert passed its deadline unacknowledged."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="escalations")
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["alert", "recipient"], name="one_escalation_per_recipient")]

    def __str__(self):
        return f"escalation of {self.alert_id} to {self.recipient_id}"


class ReactionReview(SyncRow):
    """The nurse's clinical grading of a reaction report (CTCAE v5 infusion-related reaction)."""

    class SuspectedType(models.TextChoices):
        IRR = "irr", _("Infusion-related reaction")
        HYPERSENSITIVITY = "hypersensitivity", _("Hypersensitivity")
        ANAPHYLAXIS = "anaphylaxis", _("Anaphylaxis")
        ASEPTIC_MENINGITIS = "aseptic_meningitis", _("Aseptic meningitis")
        THROMBOSIS = "thrombosis", _("Thrombosis")
        RENAL = "renal", _("Renal")
        HAEMOLYSIS = "haemolysis", _("Haemolysis")
        OTHER = "other", pgettext_lazy("reaction type", "Other")

    report = models.ForeignKey(SymptomReport, on_delete=models.CASCADE, related_name="reviews")
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="+")
    ctcae_grade = models.PositiveSmallIntegerField(choices=[(g, str(g)) for g in range(1, 6)])
    serious = models.BooleanField(default=False)
    suspected_type = models.CharField(max_length=20, choices=SuspectedType.choices)
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reviewed_at = models.DateTimeField()

    class Meta:
        ordering = ["-reviewed_at"]
        indexes = [PULL_INDEX]

    def __str__(self):
        return f"grade {self.ctcae_grade} review of {self.report_id}"
