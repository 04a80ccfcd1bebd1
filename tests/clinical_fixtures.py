"""Clinical fixtures shared by every test folder: a product with its rate protocol, a weighed
patient, a plan and an infusion in progress."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from ivigapp.patients import services as patient_services
from ivigapp.protocols import services as protocol_services
from ivigapp.protocols.models import Product
from ivigapp.reactions import services

NO_RED_FLAGS = {
    code: False
    for code in (
        "RF_AIRWAY",
        "RF_HIVES_PLUS",
        "RF_FAINT",
        "RF_CHEST",
        "RF_STROKE",
        "RF_MENINGISM",
        "RF_LIMB",
        "RF_URINE_LESS",
        "RF_URINE_DARK",
        "RF_WEAKNESS",
    )
}


def red_flags(*yes):
    return {**NO_RED_FLAGS, **{code: True for code in yes}}


@pytest.fixture
def product(db):
    return Product.objects.create(
        brand="Gammagard Liquid", manufacturer="Takeda", concentration_pct=Decimal("10"), vial_sizes_g=[5, 10, 20]
    )


@pytest.fixture
def protocol(product, roles):
    """Published: written by one clinical administrator, approved by another."""
    from tests.conftest import make_staff

    steps = [{"rate": r, "unit": "mL/kg/h", "minutes": 30} for r in (0.5, 1, 2, 3, 4)]
    steps.append({"rate": 5, "unit": "mL/kg/h", "minutes": None})
    return protocol_services.rate_protocol_signed_off(
        author=make_staff("protocol-author", "clinical_admin"),
        approver=make_staff("protocol-approver", "clinical_admin"),
        product=product,
        indication="CIDP",
        infusion_type="subsequent",
        steps=steps,
        max_rate=Decimal("5"),
        max_rate_unit="mL/kg/h",
        at_risk_max_rate=Decimal("2"),
        at_risk_max_rate_unit="mL/kg/h",
        source="Gammagard Liquid HCP dosing page",
    )


def patient_weigh(patient, admin):
    """A 70 kg, 165 cm woman's measurements from three days ago, through the services."""
    patient.sex_for_ibw = "F"
    patient.save(update_fields=["sex_for_ibw"])
    for kind, value in (("weight_kg", "70"), ("height_cm", "165")):
        patient_services.measurement_record(
            actor=admin,
            patient=patient,
            kind=kind,
            value=Decimal(value),
            measured_on=date.today() - timedelta(days=3),
            source="clinic",
        )
    return patient


def plan_standard(patient, admin, product, protocol):
    """0.4 g/kg every 21 days on the actual weight, through the services."""
    return services.plan_create(
        actor=admin,
        patient=patient,
        product=product,
        rate_protocol=protocol,
        dose_g_per_kg=Decimal("0.4"),
        weight_method="actual",
        interval_days=21,
        has_step_down_instruction=True,
    )


def infusion_open(patient, plan, *, hours_ago=2):
    """An infusion of `plan` scheduled and started `hours_ago` hours ago, through the services."""
    start = timezone.now() - timedelta(hours=hours_ago)
    episode = services.episode_schedule(actor=patient.user, patient=patient, plan=plan, scheduled_start=start)
    services.episode_start(actor=patient.user, episode=episode, started_at=start)
    return episode


@pytest.fixture
def weighed_patient(patient, admin_user):
    return patient_weigh(patient, admin_user)


@pytest.fixture
def plan(weighed_patient, product, protocol, admin_user):
    return plan_standard(weighed_patient, admin_user, product, protocol)


@pytest.fixture
def episode(plan, weighed_patient):
    """An infusion started 2 hours ago, titrated 70 → 140 → 210 mL/h at 0, 30 and 60 minutes."""
    user = weighed_patient.user
    ep = infusion_open(weighed_patient, plan)
    start = ep.started_at
    for minutes, rate in ((0, 35), (30, 70), (60, 140)):
        services.rate_change_record(
            actor=user, episode=ep, at=start + timedelta(minutes=minutes), rate_ml_h=Decimal(rate)
        )
    return ep


@pytest.fixture
def drink_in_conflict(episode):
    """During an infusion, a phone said 300 mL and a tablet 500 mL for the same drink of 250 mL:
    the tablet's later value stands, the phone's is kept in the conflict."""
    from ivigapp.reactions.models import HydrationLog
    from ivigapp.sync.models import SyncConflict
    from tests.sync.conftest import Device

    user = episode.patient.user
    drink = services.hydration_record(
        actor=user, episode=episode, phase=HydrationLog.Phase.DURING, volume_ml=250, logged_at=timezone.now()
    )
    for volume in (300, 500):
        device = Device(user)
        device.write("hydration", drink.pk, set={"volume_ml": volume}, base_version=1, base={"volume_ml": 250})
        assert device.push().status_code == 200
    conflict = SyncConflict.objects.get()
    assert (conflict.kept_value, conflict.other_value) == (500, 300)
    return drink
