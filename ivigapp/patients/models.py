import uuid
import zoneinfo
from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone as dj_timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("“%(value)s” is not an IANA time zone name."), params={"value": value})


phone_validator = RegexValidator(r"^\+?[0-9 ()-]{2,24}$", _("Enter a telephone number of digits and spaces."))


class Region(models.Model):
    """Where a patient lives: decides the emergency number the app offers to call."""

    code = models.CharField(_("code"), max_length=16, unique=True)
    name = models.CharField(_("name"), max_length=100)
    emergency_number = models.CharField(_("emergency number"), max_length=16, validators=[phone_validator])

    class Meta:
        ordering = ["name"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")

    def __str__(self):
        return f"{self.name} ({self.emergency_number})"


class Patient(models.Model):
    class CareModel(models.TextChoices):
        NURSE_ADMINISTERED = "nurse_administered", _("Nurse-administered")
        SELF_INFUSING = "self_infusing", _("Self-infusing")

    class Indication(models.TextChoices):
        PID = "PID", _("Primary immunodeficiency")
        CIDP = "CIDP", _("Chronic inflammatory demyelinating polyneuropathy")
        MMN = "MMN", _("Multifocal motor neuropathy")
        GBS = "GBS", _("Guillain-Barré syndrome")
        MG = "MG", _("Myasthenia gravis")
        ITP = "ITP", _("Immune thrombocytopenia")
        DM = "DM", _("Dermatomyositis")
        OTHER = "OTHER", pgettext_lazy("indication", "Other")

    class SexForIbw(models.TextChoices):
        FEMALE = "F", _("Female")
        MALE = "M", _("Male")
        UNKNOWN = "U", _("Unknown")

    NEURO_INDICATIONS = {Indication.CIDP, Indication.MMN, Indication.GBS, Indication.MG}

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="patient")
    display_name = models.CharField(_("name"), max_length=100)
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    sex_for_ibw = models.CharField(
        _("sex for ideal body weight"), max_length=1, choices=SexForIbw.choices, default=SexForIbw.UNKNOWN
    )
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, default="en")
    timezone = models.CharField(_("time zone"), max_length=64, validators=[validate_timezone], default="UTC")
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="patients", verbose_name=_("region"))
    care_model = models.CharField(_("care model"), max_length=24, choices=CareModel.choices)
    indication = models.CharField(_("indication"), max_length=8, choices=Indication.choices)
    care_team_phone = models.CharField(
        _("care team telephone"), max_length=32, blank=True, validators=[phone_validator]
    )
    created_at = models.DateTimeField(default=dj_timezone.now, editable=False)

    class Meta:
        ordering = ["display_name"]
        verbose_name = _("patient")
        verbose_name_plural = _("patients")

    def __str__(self):
        return self.display_name

    def age_on(self, day: date) -> int | None:
        if self.date_of_birth is None:
            return None
        born = self.date_of_birth
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


class RiskProfile(models.Model):
    """The risk factors of clinical.md section 4 that change how an infusion is run."""

    FLAG_FIELDS = [
        "renal_insufficiency",
        "diabetes",
        "volume_depletion",
        "nephrotoxic_medicines",
        "paraproteinemia",
        "prior_thrombosis",
        "hypercoagulable_condition",
        "immobility",
        "estrogen_use",
        "central_venous_catheter",
        "hyperviscosity",
        "cardiovascular_risk",
        "iga_deficiency_with_antibodies",
        "prior_anaphylaxis",
        "prior_infusion_reactions",
        "migraine_history",
        "heart_failure_or_fluid_restriction",
        "non_o_blood_group",
        "hereditary_fructose_intolerance",
        "uses_gdh_pqq_glucose_meter",
    ]

    patient = models.OneToOneField(Patient, on_delete=models.CASCADE, related_name="risk_profile")
    renal_insufficiency = models.BooleanField(_("renal insufficiency"), default=False)
    diabetes = models.BooleanField(_("diabetes mellitus"), default=False)
    volume_depletion = models.BooleanField(_("volume depletion"), default=False)
    nephrotoxic_medicines = models.BooleanField(_("nephrotoxic medicines"), default=False)
    paraproteinemia = models.BooleanField(_("paraproteinaemia"), default=False)
    prior_thrombosis = models.BooleanField(_("prior venous or arterial thrombosis"), default=False)
    hypercoagulable_condition = models.BooleanField(_("hypercoagulable condition"), default=False)
    immobility = models.BooleanField(_("prolonged immobilisation"), default=False)
    estrogen_use = models.BooleanField(_("oestrogen use"), default=False)
    central_venous_catheter = models.BooleanField(_("indwelling central venous catheter"), default=False)
    hyperviscosity = models.BooleanField(_("hyperviscosity"), default=False)
    cardiovascular_risk = models.BooleanField(_("cardiovascular risk factors"), default=False)
    iga_deficiency_with_antibodies = models.BooleanField(_("IgA deficiency with anti-IgA antibodies"), default=False)
    prior_anaphylaxis = models.BooleanField(_("prior anaphylaxis to immunoglobulin"), default=False)
    prior_infusion_reactions = models.BooleanField(_("prior infusion reactions"), default=False)
    migraine_history = models.BooleanField(_("history of migraine"), default=False)
    heart_failure_or_fluid_restriction = models.BooleanField(_("heart failure or fluid restriction"), default=False)
    non_o_blood_group = models.BooleanField(_("non-O blood group"), default=False)
    hereditary_fructose_intolerance = models.BooleanField(_("hereditary fructose intolerance"), default=False)
    uses_gdh_pqq_glucose_meter = models.BooleanField(_("uses a GDH-PQQ glucose meter"), default=False)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("risk profile")
        verbose_name_plural = _("risk profiles")

    def __str__(self):
        return f"risk profile of {self.patient_id}"

    def flags(self, *, on: date | None = None) -> list[str]:
        """Active flags, including the ones derived from age and indication."""
        active = [name for name in self.FLAG_FIELDS if getattr(self, name)]
        age = self.patient.age_on(on or dj_timezone.localdate())
        if age is not None and age > 65:
            active.append("age_over_65")
        if self.patient.indication in Patient.NEURO_INDICATIONS:
            active.append("neurological_indication")
        return active

    def flag_labels(self) -> list[str]:
        derived = {"age_over_65": _("age over 65"), "neurological_indication": _("neurological indication")}
        return [derived[name] if name in derived else self._meta.get_field(name).verbose_name for name in self.flags()]

    @property
    def renal_risk(self) -> bool:
        flags = self.flags()
        return any(
            f in flags
            for f in (
                "renal_insufficiency",
                "diabetes",
                "age_over_65",
                "volume_depletion",
                "nephrotoxic_medicines",
                "paraproteinemia",
            )
        )

    @property
    def thrombosis_risk(self) -> bool:
        flags = self.flags()
        return any(
            f in flags
            for f in (
                "prior_thrombosis",
                "hypercoagulable_condition",
                "immobility",
                "estrogen_use",
                "central_venous_catheter",
                "hyperviscosity",
                "cardiovascular_risk",
                "age_over_65",
            )
        )


class BodyMeasurement(models.Model):
    class Kind(models.TextChoices):
        WEIGHT_KG = "weight_kg", _("Weight (kg)")
        HEIGHT_CM = "height_cm", _("Height (cm)")

    class Source(models.TextChoices):
        PATIENT = "patient", _("Patient")
        NURSE = "nurse", _("Nurse")
        CLINIC = "clinic", _("Clinic")

    # Plausible human values; anything outside is a typing error, not a measurement.
    BOUNDS = {Kind.WEIGHT_KG: (1, 400), Kind.HEIGHT_CM: (40, 250)}

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="measurements")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    value = models.DecimalField(max_digits=6, decimal_places=2, validators=[MinValueValidator(0)])
    measured_on = models.DateField()
    source = models.CharField(max_length=16, choices=Source.choices)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=dj_timezone.now)

    class Meta:
        ordering = ["-measured_on", "-recorded_at"]
        indexes = [models.Index(fields=["patient", "kind", "-measured_on"])]

    def __str__(self):
        return f"{self.kind} {self.value} on {self.measured_on}"


class CareAssignmentQuerySet(models.QuerySet):
    def current(self, at=None):
        at = at or dj_timezone.now()
        return self.filter(starts_at__lte=at).filter(Q(ends_at__isnull=True) | Q(ends_at__gt=at))


class CareAssignment(models.Model):
    """A nurse looks after a patient from starts_at until ends_at (open-ended when empty)."""

    nurse = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="care_assignments", verbose_name=_("nurse")
    )
    patient = models.ForeignKey(
        Patient, on_delete=models.CASCADE, related_name="care_assignments", verbose_name=_("patient")
    )
    starts_at = models.DateTimeField(_("starts"), default=dj_timezone.now)
    ends_at = models.DateTimeField(_("ends"), null=True, blank=True)

    objects = CareAssignmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("care-team assignment")
        verbose_name_plural = _("care-team assignments")
        indexes = [models.Index(fields=["nurse", "patient"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__isnull=True) | Q(ends_at__gt=models.F("starts_at")),
                name="care_assignment_ends_after_start",
            )
        ]

    def __str__(self):
        return f"{self.nurse} → {self.patient}"
