"""Plans (orders) and the rate cap that applies to a patient on a plan."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from ivigapp.audit.services import audit_record
from ivigapp.patients.models import BodyMeasurement, Patient
from ivigapp.protocols.models import ApprovalStatus, Product, RateProtocol
from ivigapp.reactions import dosing
from ivigapp.reactions.models import Plan

DOSE_G_PER_KG_RANGE = (Decimal("0.1"), Decimal("2.5"))


def _latest(patient: Patient, kind: str) -> BodyMeasurement | None:
    return patient.measurements.filter(kind=kind).order_by("-measured_on", "-recorded_at").first()


def plan_check(
    *,
    patient: Patient,
    product: Product,
    rate_protocol: RateProtocol,
    dose_g_per_kg: Decimal,
    weight_method: str,
    interval_days: int,
    course_days: int = 1,
    max_rate_override_ml_h: Decimal | None = None,
    max_rate_override_reason: str = "",
) -> tuple[BodyMeasurement, BodyMeasurement | None]:
    """Raises the ValidationError that keeps a plan out (the admin's form shows it per field);
    returns the patient's latest weight and height, which the dose is computed from."""
    errors = {}
    if not (DOSE_G_PER_KG_RANGE[0] <= Decimal(str(dose_g_per_kg)) <= DOSE_G_PER_KG_RANGE[1]):
        errors["dose_g_per_kg"] = _("Enter a dose between 0.1 and 2.5 g/kg.")
    if rate_protocol.product_id != product.pk:
        errors["rate_protocol"] = _("This rate protocol is for another product.")
    elif rate_protocol.status != ApprovalStatus.PUBLISHED:
        errors["rate_protocol"] = _("Choose the published version of the rate protocol.")
    if weight_method not in Plan.WeightMethod.values:
        errors["weight_method"] = _("Choose actual, ideal or adjusted body weight.")
    if not 1 <= interval_days <= 120:
        errors["interval_days"] = _("Enter an interval between 1 and 120 days.")
    if not 1 <= course_days <= 7:
        errors["course_days"] = _("Enter between 1 and 7 course days.")
    if max_rate_override_ml_h is not None and (max_rate_override_ml_h <= 0 or not max_rate_override_reason.strip()):
        errors["max_rate_override_reason"] = _("A maximum-rate override needs a positive rate and a reason.")
    if product.contains_sorbitol and patient.risk_profile.hereditary_fructose_intolerance:
        errors["product"] = _("This product contains sorbitol and the patient has hereditary fructose intolerance.")
    weight = _latest(patient, BodyMeasurement.Kind.WEIGHT_KG)
    height = _latest(patient, BodyMeasurement.Kind.HEIGHT_CM)
    if weight is None:
        errors["weight_method"] = _("Record the patient's weight first.")
    elif weight_method != Plan.WeightMethod.ACTUAL and (height is None or patient.sex_for_ibw not in ("M", "F")):
        errors["weight_method"] = _("Ideal and adjusted weights need the patient's height and sex.")
    if errors:
        raise ValidationError(errors)
    return weight, height


@transaction.atomic
def plan_create(
    *,
    actor,
    patient: Patient,
    product: Product,
    rate_protocol: RateProtocol,
    dose_g_per_kg: Decimal,
    weight_method: str,
    interval_days: int,
    course_days: int = 1,
    premedication: list | None = None,
    hydration: list | None = None,
    has_step_down_instruction: bool = False,
    epinephrine_prescribed: bool = False,
    max_rate_override_ml_h: Decimal | None = None,
    max_rate_override_reason: str = "",
) -> Plan:
    dose_g_per_kg = Decimal(str(dose_g_per_kg))
    weight, height = plan_check(
        patient=patient,
        product=product,
        rate_protocol=rate_protocol,
        dose_g_per_kg=dose_g_per_kg,
        weight_method=weight_method,
        interval_days=interval_days,
        course_days=course_days,
        max_rate_override_ml_h=max_rate_override_ml_h,
        max_rate_override_reason=max_rate_override_reason,
    )

    dosing_weight = dosing.dosing_weight_kg(
        method=weight_method,
        actual_kg=weight.value,
        height_cm=height.value if height else None,
        sex=patient.sex_for_ibw,
    )
    dose_g = (dosing_weight * dose_g_per_kg).quantize(Decimal("0.001"))
    rounded = dosing.round_to_vials(dose_g, product.vial_sizes_g)
    plan = Plan.objects.create(
        patient=patient,
        product=product,
        rate_protocol=rate_protocol,
        dose_g_per_kg=dose_g_per_kg,
        weight_method=weight_method,
        interval_days=interval_days,
        course_days=course_days,
        premedication=premedication or [],
        hydration=hydration or [],
        has_step_down_instruction=has_step_down_instruction,
        epinephrine_prescribed=epinephrine_prescribed,
        max_rate_override_ml_h=max_rate_override_ml_h,
        max_rate_override_reason=max_rate_override_reason.strip(),
        dosing_weight_kg=dosing_weight,
        # Rates per kg use the dosing weight: the conservative choice where labels are silent.
        rate_weight_kg=dosing_weight,
        dose_g=dose_g,
        rounded_dose_g=rounded,
        volume_ml=dosing.volume_ml(dose_g=rounded, concentration_pct=product.concentration_pct),
        computation={
            "formula_version": dosing.FORMULA_VERSION,
            "actual_weight_kg": str(weight.value),
            "weight_measured_on": weight.measured_on.isoformat(),
            "height_cm": str(height.value) if height else None,
            "sex": patient.sex_for_ibw,
            "weight_method": weight_method,
            "rate_weight_basis": "dosing_weight",
            "vial_sizes_g": product.vial_sizes_g,
            "concentration_pct": str(product.concentration_pct),
        },
        created_by=actor,
    )
    audit_record(actor, action="plan.create", patient_id=patient.pk, object_type="plan", object_ids=[plan.pk])
    return plan


def rate_cap(plan: Plan) -> tuple[Decimal, str]:
    """The lowest applicable maximum in mL/h and where it comes from (clinical.md 5.3)."""
    protocol, product = plan.rate_protocol, plan.product
    weight, concentration = plan.rate_weight_kg, product.concentration_pct
    caps = [
        (
            dosing.rate_to_ml_h(
                rate=protocol.max_rate, unit=protocol.max_rate_unit, weight_kg=weight, concentration_pct=concentration
            ),
            "label_max",
        ),
        (Decimal(settings.SITE_MAX_RATE_ML_H), "site_max"),
    ]
    risk = plan.patient.risk_profile
    if protocol.at_risk_max_rate is not None and (risk.renal_risk or risk.thrombosis_risk):
        caps.append(
            (
                dosing.rate_to_ml_h(
                    rate=protocol.at_risk_max_rate,
                    unit=protocol.at_risk_max_rate_unit,
                    weight_kg=weight,
                    concentration_pct=concentration,
                ),
                "at_risk_max",
            )
        )
    if plan.max_rate_override_ml_h is not None:
        caps.append((plan.max_rate_override_ml_h, "plan_override"))
    return min(caps, key=lambda cap: cap[0])
