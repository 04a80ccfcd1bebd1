"""Seeds the benchmark database through the services (run by bench/_harness.seed in a subprocess).

demo_seed makes patient1..4 (weights, care teams, DEMO_PASSWORD), and with BENCH_PATIENTS=N above 4
its load patients load00001.. for the rest, which get a weight and height here; then a product, a
rate protocol, and for patient1 (the first N patients with BENCH_PATIENTS=N) a plan and an infusion
started two hours ago. Prints one JSON line: patient1's infusion, and all of them under "patients".
"""

import json
import os
import sys
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ivigapp.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.utils import timezone  # noqa: E402

from ivigapp.patients import services as patient_services  # noqa: E402
from ivigapp.patients.demo import demo_seed  # noqa: E402
from ivigapp.patients.models import BodyMeasurement, Patient  # noqa: E402
from ivigapp.protocols import services as protocol_services  # noqa: E402
from ivigapp.protocols.models import Product, RateProtocol  # noqa: E402
from ivigapp.reactions import services  # noqa: E402


def main():
    count = int(os.environ.get("BENCH_PATIENTS", "1"))
    demo_seed(password=os.environ["DEMO_PASSWORD"], extra_patients=max(0, count - 4))
    lead = get_user_model().objects.get(username="lead")
    # The demo may already have made this product and protocol: reuse them, make them otherwise.
    product, _ = Product.objects.get_or_create(
        brand="Gammagard Liquid",
        concentration_pct=Decimal("10"),
        defaults={"manufacturer": "Takeda", "vial_sizes_g": [5, 10, 20]},
    )
    infusions = [infusion(lead, p, product, protocol_for(product, p.indication)) for p in patients(count, lead)]
    print(json.dumps({**infusions[0], "patients": infusions}))


def protocol_for(product, indication):
    protocol = RateProtocol.objects.filter(
        product=product, indication=indication, infusion_type="subsequent", status="published"
    ).first()
    if protocol is None:
        steps = [{"rate": r, "unit": "mL/kg/h", "minutes": 30} for r in (0.5, 1, 2, 3, 4)]
        steps.append({"rate": 5, "unit": "mL/kg/h", "minutes": None})
        users = get_user_model().objects
        protocol = protocol_services.rate_protocol_signed_off(
            author=users.get(username="lead"),
            approver=users.get(username="approver"),
            product=product,
            indication=indication,
            infusion_type="subsequent",
            steps=steps,
            max_rate=Decimal("5"),
            max_rate_unit="mL/kg/h",
            source="bench",
        )
    return protocol


def patients(count: int, lead) -> list:
    """patient1..4 (demo_seed's), then load00001, ... (its load patients, weighed here)."""
    names = [f"patient{i}" for i in range(1, min(count, 4) + 1)] + [f"load{i:05d}" for i in range(1, count - 3)]
    found = {p.user.username: p for p in Patient.objects.select_related("user").filter(user__username__in=names)}
    if len(found) != count:
        raise SystemExit(f"BENCH_PATIENTS={count}: demo_seed made {len(found)} of those patients")
    for name in names:
        if name.startswith("load"):
            for kind, value in ((BodyMeasurement.Kind.WEIGHT_KG, "70"), (BodyMeasurement.Kind.HEIGHT_CM, "170")):
                patient_services.measurement_record(
                    actor=lead,
                    patient=found[name],
                    kind=kind,
                    value=Decimal(value),
                    measured_on=timezone.localdate() - timedelta(days=20),
                    source=BodyMeasurement.Source.CLINIC,
                )
    return [found[name] for name in names]


def infusion(lead, patient, product, protocol) -> dict:
    """A plan and an infusion started two hours ago, through the services."""
    plan = services.plan_create(
        actor=lead,
        patient=patient,
        product=product,
        rate_protocol=protocol,
        dose_g_per_kg=Decimal("0.4"),
        weight_method="actual",
        interval_days=21,
        has_step_down_instruction=True,
    )
    start = timezone.now() - timedelta(hours=2)
    user = patient.user
    episode = services.episode_schedule(actor=user, patient=patient, plan=plan, scheduled_start=start)
    services.episode_start(actor=user, episode=episode, started_at=start)
    return {
        "username": user.username,
        "user_id": user.pk,
        "patient_id": str(patient.pk),
        "plan_id": plan.pk,
        "episode_id": str(episode.pk),
        "started_at": start.isoformat(),
        "scope_id": episode.scope_id,
    }


if __name__ == "__main__":
    main()
