"""Dose, volume and rate arithmetic (clinical.md section 5). Pure functions, no database.

Every computed value is stored with its inputs and FORMULA_VERSION, so a change of formula
never silently rewrites what a past plan said.
"""

from decimal import ROUND_HALF_UP, Decimal

FORMULA_VERSION = 1
INCH_CM = Decimal("2.54")
TWO_DP = Decimal("0.01")


def ideal_body_weight_kg(*, sex: str, height_cm: Decimal) -> Decimal:
    """Devine: male 50 kg, female 45.5 kg, plus 2.3 kg per inch over 60 inches."""
    base = {"M": Decimal("50"), "F": Decimal("45.5")}[sex]
    inches = Decimal(height_cm) / INCH_CM
    return (base + Decimal("2.3") * (inches - 60)).quantize(TWO_DP, ROUND_HALF_UP)


def adjusted_body_weight_kg(*, ideal_kg: Decimal, actual_kg: Decimal) -> Decimal:
    return (ideal_kg + Decimal("0.4") * (actual_kg - ideal_kg)).quantize(TWO_DP, ROUND_HALF_UP)


def dosing_weight_kg(*, method: str, actual_kg: Decimal, height_cm: Decimal | None, sex: str) -> Decimal:
    """actual, ideal or adjusted; ideal and adjusted never exceed the actual weight."""
    actual_kg = Decimal(actual_kg)
    if method == "actual":
        return actual_kg
    if height_cm is None or sex not in ("M", "F"):
        raise ValueError("ideal and adjusted weights need height and sex")
    ideal = ideal_body_weight_kg(sex=sex, height_cm=height_cm)
    if method == "ideal":
        return min(ideal, actual_kg)
    if method == "adjusted":
        return min(adjusted_body_weight_kg(ideal_kg=ideal, actual_kg=actual_kg), actual_kg)
    raise ValueError(f"unknown dosing weight method {method!r}")


def round_to_vials(dose_g: Decimal, vial_sizes_g: list) -> Decimal:
    """To the nearest whole gram amount made of the smallest vial size (ties round up)."""
    if not vial_sizes_g:
        return dose_g.quantize(Decimal("0.1"), ROUND_HALF_UP)
    step = Decimal(str(min(vial_sizes_g)))
    return ((dose_g / step).quantize(Decimal("1"), ROUND_HALF_UP) * step).quantize(Decimal("0.1"))


def volume_ml(*, dose_g: Decimal, concentration_pct: Decimal) -> Decimal:
    mg_per_ml = Decimal(concentration_pct) * 10
    return (Decimal(dose_g) * 1000 / mg_per_ml).quantize(Decimal("0.1"), ROUND_HALF_UP)


def rate_to_ml_h(*, rate: Decimal, unit: str, weight_kg: Decimal, concentration_pct: Decimal) -> Decimal:
    """A label rate in any unit, as the mL/h the pump is set to for this weight and product."""
    rate, weight_kg = Decimal(rate), Decimal(weight_kg)
    mg_per_ml = Decimal(concentration_pct) * 10
    per_hour = {
        "mL/h": rate,
        "mL/kg/h": rate * weight_kg,
        "mL/kg/min": rate * weight_kg * 60,
        "mg/kg/min": rate / mg_per_ml * weight_kg * 60,
    }[unit]
    return per_hour.quantize(Decimal("0.1"), ROUND_HALF_UP)


def derived_rates(*, rate_ml_h: Decimal, weight_kg: Decimal, concentration_pct: Decimal) -> dict:
    """The pump's mL/h expressed per kg, for comparison with labels. Never copied from labels."""
    rate_ml_h, weight_kg = Decimal(rate_ml_h), Decimal(weight_kg)
    ml_kg_h = rate_ml_h / weight_kg
    ml_kg_min = ml_kg_h / 60
    return {
        "ml_kg_h": ml_kg_h.quantize(Decimal("0.001"), ROUND_HALF_UP),
        "ml_kg_min": ml_kg_min.quantize(Decimal("0.0001"), ROUND_HALF_UP),
        "mg_kg_min": (ml_kg_min * Decimal(concentration_pct) * 10).quantize(Decimal("0.001"), ROUND_HALF_UP),
    }
