"""The infusion episode (the diary) and its parts. All rows are syncable and patient-scoped."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from ivigapp.patients.models import Patient
from ivigapp.reactions.models.plans import Plan
from ivigapp.sync.models import PULL_INDEX, SyncRow


class EnteredBy(models.TextChoices):
    PATIENT = "patient", _("Patient")
    CARER = "carer", _("Carer")
    NURSE = "nurse", _("Nurse")


class DiaryRow(SyncRow):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="+")
    entered_by = models.CharField(max_length=8, choices=EnteredBy.choices)
    entered_by_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        abstract = True
        indexes = [PULL_INDEX]


class InfusionEpisode(DiaryRow):
    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        IN_PROGRESS = "in_progress", _("In progress")
        COMPLETE = "complete", _("Complete")
        PARTIAL = "partial", _("Partly given")
        STOPPED_REACTION = "stopped_reaction", _("Stopped for a reaction")
        STOPPED_ACCESS = "stopped_access", _("Stopped for a drip problem")
        DEFERRED = "deferred", _("Put off")

    ENDED = {Status.COMPLETE, Status.PARTIAL, Status.STOPPED_REACTION, Status.STOPPED_ACCESS}

    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="episodes")
    course_day = models.PositiveSmallIntegerField(default=1)
    scheduled_start = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PLANNED)
    # Pre-infusion readiness checklist.
    hydrated = models.BooleanField(null=True, blank=True)
    premeds_taken = models.BooleanField(null=True, blank=True)
    premeds_taken_at = models.DateTimeField(null=True, blank=True)
    weight_kg = models.DecimalField(
        max_digits=5,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("1")), MaxValueValidator(Decimal("400"))],
    )
    fever_or_infection = models.BooleanField(null=True, blank=True)
    anaphylaxis_kit_present = models.BooleanField(null=True, blank=True)
    readiness_recorded_at = models.DateTimeField(null=True, blank=True)
    # Computed once the infusion ends.
    volume_infused_ml = models.DecimalField(max_digits=7, decimal_places=1, null=True, blank=True)

    class Meta:
        ordering = ["-scheduled_start"]
        indexes = [
            models.Index(fields=["patient", "-scheduled_start"]),
            PULL_INDEX,
        ]

    def __str__(self):
        return f"infusion {self.pk} ({self.status})"


class EpisodePart(DiaryRow):
    episode = models.ForeignKey(InfusionEpisode, on_delete=models.CASCADE, related_name="%(class)s_set")

    class Meta:
        abstract = True
        indexes = [PULL_INDEX]


class VialUsage(EpisodePart):
    lot_number = models.CharField(max_length=20)
    expiry_date = models.DateField()
    vial_size_g = models.DecimalField(max_digits=5, decimal_places=1, validators=[MinValueValidator(Decimal("0.5"))])
    quantity = models.PositiveSmallIntegerField(default=1, validators=[MinValueValidator(1)])

    class Meta:
        indexes = [PULL_INDEX, models.Index(fields=["lot_number"])]


class RateChange(EpisodePart):
    class Reason(models.TextChoices):
        TITRATION = "titration", _("Step up as planned")
        REACTION_SLOW = "reaction_slow", _("Slowed for a reaction")
        RESTART_AFTER_PAUSE = "restart", _("Restarted after a pause")
        PATIENT_REQUEST = "patient_request", _("Asked for by the patient")
        PUMP = "pump", _("Pump problem")

    at = models.DateTimeField()
    rate_ml_h = models.DecimalField(max_digits=6, decimal_places=1, validators=[MinValueValidator(Decimal("0.1"))])
    step_no = models.PositiveSmallIntegerField()
    reason = models.CharField(max_length=16, choices=Reason.choices, default=Reason.TITRATION)
    # Derived from the pump value, the rate weight and the product concentration.
    weight_basis_kg = models.DecimalField(max_digits=6, decimal_places=2)
    ml_kg_h = models.DecimalField(max_digits=7, decimal_places=3)
    ml_kg_min = models.DecimalField(max_digits=7, decimal_places=4)
    mg_kg_min = models.DecimalField(max_digits=7, decimal_places=3)
    cap_ml_h = models.DecimalField(max_digits=6, decimal_places=1)
    cap_source = models.CharField(max_length=32)
    exceeds_cap = models.BooleanField(default=False)

    class Meta:
        ordering = ["at"]
        indexes = [PULL_INDEX]


class Pause(EpisodePart):
    paused_at = models.DateTimeField()
    resumed_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["paused_at"]
        indexes = [PULL_INDEX]


class MedicationDose(EpisodePart):
    class Category(models.TextChoices):
        PREMED = "premed", _("Premedication")
        AS_NEEDED = "as_needed", _("As-needed medicine")
        EMERGENCY = "emergency", _("Emergency medicine")

    category = models.CharField(max_length=12, choices=Category.choices)
    drug = models.CharField(max_length=100)
    dose = models.CharField(max_length=40)
    given_at = models.DateTimeField()


class HydrationLog(EpisodePart):
    class Phase(models.TextChoices):
        DAY_BEFORE = "day_before", _("The day before")
        SAME_DAY = "same_day", _("The same day, before")
        DURING = "during", _("During")
        AFTER = "after", _("After")

    phase = models.CharField(max_length=12, choices=Phase.choices)
    volume_ml = models.PositiveIntegerField(validators=[MinValueValidator(1), MaxValueValidator(5000)])
    logged_at = models.DateTimeField()


class VitalSigns(EpisodePart):
    measured_at = models.DateTimeField()
    temperature_c = models.DecimalField(
        max_digits=4,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("30")), MaxValueValidator(Decimal("45"))],
    )
    heart_rate = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(20), MaxValueValidator(250)]
    )
    systolic = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(40), MaxValueValidator(280)]
    )
    diastolic = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(20), MaxValueValidator(180)]
    )


class Amendment(DiaryRow):
    """A correction to an entry that was already submitted. It never changes the original: the
    nurse sees both, and two amendments of one entry show as a branch."""

    target_table = models.CharField(max_length=40)
    target_id = models.UUIDField()
    changes = models.JSONField()
    reason = models.CharField(max_length=500, blank=True)

    class Meta:
        indexes = [PULL_INDEX, models.Index(fields=["target_table", "target_id"])]

    def __str__(self):
        return f"amendment of {self.target_table} {self.target_id}"
