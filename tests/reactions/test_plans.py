from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from ivigapp.protocols.models import Product
from ivigapp.reactions import services
from ivigapp.reactions.models import Plan

pytestmark = pytest.mark.django_db


def create(admin_user, patient, product, protocol, **overrides):
    fields = dict(
        actor=admin_user,
        patient=patient,
        product=product,
        rate_protocol=protocol,
        dose_g_per_kg=Decimal("0.4"),
        weight_method="actual",
        interval_days=21,
    )
    fields.update(overrides)
    return services.plan_create(**fields)


def test_it_computes_dose_and_volume_from_the_latest_weight_and_keeps_the_inputs(plan):
    assert plan.dosing_weight_kg == Decimal("70")
    assert plan.dose_g == Decimal("28.000") and plan.rounded_dose_g == Decimal("30.0")
    assert plan.volume_ml == Decimal("300.0")
    assert plan.computation["formula_version"] == 1
    assert plan.computation["actual_weight_kg"] == "70.00" and plan.computation["rate_weight_basis"] == "dosing_weight"


def test_adjusted_weight_uses_height_and_sex(admin_user, weighed_patient, product, protocol):
    plan = create(admin_user, weighed_patient, product, protocol, weight_method="ideal")
    assert plan.dosing_weight_kg == Decimal("56.91")


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"dose_g_per_kg": Decimal("-0.4")}, "dose_g_per_kg"),
        ({"dose_g_per_kg": Decimal("4")}, "dose_g_per_kg"),
        ({"interval_days": 0}, "interval_days"),
        ({"max_rate_override_ml_h": Decimal("100")}, "max_rate_override_reason"),
        ({"weight_method": "guess"}, "weight_method"),
    ],
)
def test_it_refuses_impossible_plans_field_by_field(admin_user, weighed_patient, product, protocol, overrides, field):
    with pytest.raises(ValidationError) as caught:
        create(admin_user, weighed_patient, product, protocol, **overrides)
    assert field in caught.value.message_dict
    assert not Plan.objects.exists()


def test_it_refuses_a_sorbitol_product_for_hereditary_fructose_intolerance(admin_user, weighed_patient, protocol):
    product = protocol.product
    product.contains_sorbitol = True
    product.save()
    weighed_patient.risk_profile.hereditary_fructose_intolerance = True
    weighed_patient.risk_profile.save()
    with pytest.raises(ValidationError) as caught:
        create(admin_user, weighed_patient, product, protocol)
    assert "product" in caught.value.message_dict


def test_it_refuses_a_protocol_of_another_product(admin_user, weighed_patient, protocol):
    other = Product.objects.create(brand="Other", concentration_pct=Decimal("5"), vial_sizes_g=[5])
    with pytest.raises(ValidationError) as caught:
        create(admin_user, weighed_patient, other, protocol)
    assert "rate_protocol" in caught.value.message_dict


def test_the_rate_cap_is_the_lowest_that_applies(admin_user, weighed_patient, product, protocol, settings):
    plan = create(admin_user, weighed_patient, product, protocol)
    # Label maximum 5 mL/kg/h x 70 kg = 350 mL/h; the site cap of 240 mL/h is lower.
    assert services.rate_cap(plan) == (Decimal("240"), "site_max")
    settings.SITE_MAX_RATE_ML_H = 1000
    assert services.rate_cap(plan) == (Decimal("350.0"), "label_max")
    weighed_patient.risk_profile.prior_thrombosis = True
    weighed_patient.risk_profile.save()
    plan.refresh_from_db()
    assert services.rate_cap(plan) == (Decimal("140.0"), "at_risk_max")  # 2 mL/kg/h x 70 kg
    lower = create(
        admin_user,
        weighed_patient,
        product,
        protocol,
        max_rate_override_ml_h=Decimal("100"),
        max_rate_override_reason="prior reaction at higher rates",
    )
    assert services.rate_cap(lower) == (Decimal("100"), "plan_override")
