from decimal import Decimal as D

import pytest

from ivigapp.reactions import dosing


def test_it_reproduces_the_worked_adjusted_weight_example():
    # clinical.md 5.2: female, 165 cm, 100 kg, 0.4 g/kg → IBW 56.9, DDW 74.1, 30 g, 300 mL at 10 %.
    assert dosing.ideal_body_weight_kg(sex="F", height_cm=D("165")) == D(
        "56.91"
    )  # 56.9 in the text, which rounds the inches first
    weight = dosing.dosing_weight_kg(method="adjusted", actual_kg=D("100"), height_cm=D("165"), sex="F")
    assert weight == D("74.15")
    rounded = dosing.round_to_vials(weight * D("0.4"), [5, 10, 20])
    assert rounded == D("30.0")
    assert dosing.volume_ml(dose_g=rounded, concentration_pct=D("10")) == D("300.0")


def test_ideal_weight_never_exceeds_the_actual_weight():
    assert dosing.dosing_weight_kg(method="ideal", actual_kg=D("48"), height_cm=D("180"), sex="M") == D("48")


def test_label_units_convert_to_the_same_pump_rate():
    # 0.08 mL/kg/min = 4.8 mL/kg/h = 8 mg/kg/min at 10 % (clinical.md 1.3).
    for rate, unit in ((D("0.08"), "mL/kg/min"), (D("4.8"), "mL/kg/h"), (D("8"), "mg/kg/min")):
        assert dosing.rate_to_ml_h(rate=rate, unit=unit, weight_kg=D("70"), concentration_pct=D("10")) == D("336.0")


def test_the_same_ml_per_kg_delivers_half_the_protein_at_5_percent():
    ten = dosing.derived_rates(rate_ml_h=D("42"), weight_kg=D("70"), concentration_pct=D("10"))
    five = dosing.derived_rates(rate_ml_h=D("42"), weight_kg=D("70"), concentration_pct=D("5"))
    assert ten["ml_kg_min"] == five["ml_kg_min"] == D("0.0100")
    assert ten["mg_kg_min"] == D("1.000") and five["mg_kg_min"] == D("0.500")


def test_ideal_weight_needs_height_and_sex():
    with pytest.raises(ValueError):
        dosing.dosing_weight_kg(method="ideal", actual_kg=D("70"), height_cm=None, sex="U")
