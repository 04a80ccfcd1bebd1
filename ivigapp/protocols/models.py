"""Product data, rate protocols and the triage rule set: versioned clinical reference data."""

import math
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def validate_vial_sizes(value) -> None:
    """Plans round doses to the smallest size and the app splits them into vials: a size of 0, a
    word or NaN stopped every plan of the product with a server error."""
    sizes_ok = (
        isinstance(value, list)
        and value
        and all(
            isinstance(size, int | float) and not isinstance(size, bool) and math.isfinite(size) and 0 < size <= 100
            for size in value
        )
    )
    if not sizes_ok:
        raise ValidationError(
            _("Give the vial sizes in grams as a list of numbers above 0 and up to 100, for example [5, 10, 20]."),
            code="vial_sizes",
        )


class RateUnit(models.TextChoices):
    ML_KG_H = "mL/kg/h", "mL/kg/h"
    ML_KG_MIN = "mL/kg/min", "mL/kg/min"
    MG_KG_MIN = "mg/kg/min", "mg/kg/min"
    ML_H = "mL/h", "mL/h"


class Product(models.Model):
    brand = models.CharField(_("brand"), max_length=100)
    manufacturer = models.CharField(_("manufacturer"), max_length=100, blank=True)
    concentration_pct = models.DecimalField(
        _("concentration (%)"),
        max_digits=4,
        decimal_places=1,
        validators=[MinValueValidator(Decimal("1")), MaxValueValidator(Decimal("30"))],
    )
    contains_sucrose = models.BooleanField(_("contains sucrose"), default=False)
    contains_maltose = models.BooleanField(_("contains maltose"), default=False)
    contains_sorbitol = models.BooleanField(_("contains sorbitol"), default=False)
    iga_ug_per_ml = models.DecimalField(_("IgA (µg/mL)"), max_digits=7, decimal_places=1, null=True, blank=True)
    vial_sizes_g = models.JSONField(
        _("vial sizes (g)"), default=list, validators=[validate_vial_sizes], help_text=_("For example [5, 10, 20].")
    )
    label_version = models.CharField(_("label version"), max_length=50, blank=True)

    class Meta:
        ordering = ["brand", "concentration_pct"]
        verbose_name = _("product")
        verbose_name_plural = _("products")

    def __str__(self):
        return f"{self.brand} {self.concentration_pct.normalize():f}%"  # 10%, not 10.0%

    @property
    def mg_per_ml(self) -> Decimal:
        return self.concentration_pct * 10


class ApprovalStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("In review")
    APPROVED = "approved", _("Approved")
    PUBLISHED = "published", _("Published")
    RETIRED = "retired", _("Retired")


class RateProtocol(models.Model):
    """A label titration table for one product, indication and kind of infusion, in versions.

    `steps` is a list of {"rate": number, "unit": RateUnit, "minutes": int or null (last step)}.
    Rates are converted to the pump's mL/h with the patient's rate weight, never copied.

    Signed off like the other clinical content: a version is written as a draft, approved by a
    second administrator and published, which retires the version of the same use published before.
    A published or retired version is never edited. A plan keeps the version it was prescribed with,
    so publishing a new one changes no prescription's steps or caps.
    """

    class InfusionType(models.TextChoices):
        FIRST = "first", _("First infusion")
        SUBSEQUENT = "subsequent", _("Subsequent infusions")
        AFTER_GAP = "after_gap", _("More than 8 weeks since the last infusion")
        PRODUCT_SWITCH = "product_switch", _("Product switch")

    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="rate_protocols")
    indication = models.CharField(_("indication"), max_length=8)
    infusion_type = models.CharField(_("infusion type"), max_length=16, choices=InfusionType.choices)
    steps = models.JSONField(_("titration steps"))
    max_rate = models.DecimalField(_("label maximum"), max_digits=7, decimal_places=3)
    max_rate_unit = models.CharField(max_length=10, choices=RateUnit.choices)
    at_risk_max_rate = models.DecimalField(
        _("maximum for patients at renal or thrombotic risk"), max_digits=7, decimal_places=3, null=True, blank=True
    )
    at_risk_max_rate_unit = models.CharField(max_length=10, choices=RateUnit.choices, blank=True)
    source = models.CharField(_("source"), max_length=200, blank=True)
    version = models.PositiveIntegerField(default=1)
    status = models.CharField(max_length=16, choices=ApprovalStatus.choices, default=ApprovalStatus.DRAFT)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)

    USE = ("product", "indication", "infusion_type")

    class Meta:
        ordering = ["product", "indication", "infusion_type", "-version"]
        verbose_name = _("rate protocol")
        verbose_name_plural = _("rate protocols")
        constraints = [
            models.UniqueConstraint(
                fields=["product", "indication", "infusion_type", "version"], name="one_protocol_version_per_use"
            ),
            models.UniqueConstraint(
                fields=["product", "indication", "infusion_type"],
                condition=models.Q(status="published"),
                name="one_published_protocol_per_use",
            ),
        ]

    def __str__(self):
        return f"{self.product} {self.indication} {self.infusion_type} v{self.version} ({self.get_status_display()})"

    def use(self) -> dict:
        """What the versions of one protocol share: product, indication and kind of infusion."""
        return {name: getattr(self, name) for name in self.USE}


class TriageRuleSet(models.Model):
    """One version of the triage rules, as the JSON document both evaluators read.

    Signed off like content: the approver must be someone other than the author, and only a
    published version is served to the app.
    """

    version = models.PositiveIntegerField(unique=True)
    rules = models.JSONField()
    status = models.CharField(max_length=16, choices=ApprovalStatus.choices, default=ApprovalStatus.DRAFT)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-version"]
        verbose_name = _("triage rule set")
        verbose_name_plural = _("triage rule sets")

    def __str__(self):
        return f"triage rules v{self.version} ({self.get_status_display()})"

    def document(self) -> dict:
        return {"version": self.version, **self.rules}


from ivigapp.protocols.content.models import *  # noqa: E402, F403  (content models live in their own module)
