from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ivigapp.patients.models import Patient
from ivigapp.protocols.models import Product, RateProtocol


class Plan(models.Model):
    """The prescriber's order. Computed values are stored with their inputs and formula version."""

    class WeightMethod(models.TextChoices):
        ACTUAL = "actual", _("Actual body weight")
        IDEAL = "ideal", _("Ideal body weight")
        ADJUSTED = "adjusted", _("Adjusted body weight")

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="plans")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    rate_protocol = models.ForeignKey(RateProtocol, on_delete=models.PROTECT, related_name="+")
    dose_g_per_kg = models.DecimalField(
        _("dose (g/kg)"), max_digits=5, decimal_places=3, validators=[MinValueValidator(Decimal("0.05"))]
    )
    weight_method = models.CharField(_("dosing weight method"), max_length=16, choices=WeightMethod.choices)
    interval_days = models.PositiveSmallIntegerField(_("interval (days)"))
    course_days = models.PositiveSmallIntegerField(_("course days"), default=1)
    premedication = models.JSONField(_("premedication orders"), default=list, blank=True)
    hydration = models.JSONField(_("hydration orders"), default=list, blank=True)
    has_step_down_instruction = models.BooleanField(_("trained to step the rate down"), default=False)
    epinephrine_prescribed = models.BooleanField(_("adrenaline auto-injector prescribed"), default=False)
    max_rate_override_ml_h = models.DecimalField(
        _("maximum rate override (mL/h)"), max_digits=6, decimal_places=1, null=True, blank=True
    )
    max_rate_override_reason = models.CharField(_("reason for the override"), max_length=200, blank=True)
    # Computed at creation; see ivigapp.reactions.dosing.
    dosing_weight_kg = models.DecimalField(max_digits=6, decimal_places=2, editable=False)
    rate_weight_kg = models.DecimalField(max_digits=6, decimal_places=2, editable=False)
    dose_g = models.DecimalField(max_digits=7, decimal_places=3, editable=False)
    rounded_dose_g = models.DecimalField(max_digits=6, decimal_places=1, editable=False)
    volume_ml = models.DecimalField(max_digits=7, decimal_places=1, editable=False)
    computation = models.JSONField(editable=False, help_text="Inputs and formula version of the computed values.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("plan")
        verbose_name_plural = _("plans")

    def __str__(self):
        return f"{self.product} {self.dose_g_per_kg} g/kg every {self.interval_days} days"

    def features(self) -> list[str]:
        """Plan facts the triage rules may depend on."""
        features = []
        if self.has_step_down_instruction:
            features.append("step_down")
        if self.epinephrine_prescribed:
            features.append("epinephrine")
        return features
