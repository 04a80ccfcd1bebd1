"""Demo accounts and patients for `manage.py seed_demo`. Idempotent: existing rows are kept."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from ivigapp.patients import services
from ivigapp.patients.models import BodyMeasurement, CareAssignment, Patient, Region, RiskProfile
from ivigapp.patients.roles import GROUP_ON_CALL, ROLE_ADMIN, ROLE_NURSE, ROLE_PATIENT, roles_ensure

User = get_user_model()

REGIONS = [
    ("GB", "United Kingdom", "999"),
    ("ES", "Spain", "112"),
    ("FR", "France", "112"),
    ("AE", "United Arab Emirates", "998"),
    ("US", "United States", "911"),
]


@dataclass(frozen=True)
class DemoPatient:
    username: str
    name: str
    language: str
    timezone: str
    region: str
    care_model: str
    indication: str
    sex: str
    born: date
    weight: str
    height: str
    nurse: str
    risks: tuple[str, ...] = ()


DEMO_PATIENTS = [
    DemoPatient(
        "patient1",
        "Alice Moreton",
        "en",
        "Europe/London",
        "GB",
        "self_infusing",
        "CIDP",
        "F",
        date(1961, 4, 12),
        "100.0",
        "165.0",
        "nurse1",
        ("migraine_history", "prior_infusion_reactions"),
    ),
    DemoPatient(
        "patient2",
        "Javier Ruiz",
        "es",
        "Europe/Madrid",
        "ES",
        "nurse_administered",
        "PID",
        "M",
        date(1984, 9, 3),
        "72.5",
        "178.0",
        "nurse1",
        ("diabetes",),
    ),
    DemoPatient(
        "patient3",
        "Camille Laurent",
        "fr",
        "Europe/Paris",
        "FR",
        "nurse_administered",
        "MMN",
        "F",
        date(1975, 1, 27),
        "61.0",
        "160.0",
        "nurse2",
        ("prior_thrombosis", "estrogen_use"),
    ),
    DemoPatient(
        "patient4",
        "Omar Haddad",
        "ar",
        "Asia/Dubai",
        "AE",
        "self_infusing",
        "PID",
        "M",
        date(1990, 6, 18),
        "84.0",
        "181.0",
        "nurse2",
        (),
    ),
]

STAFF = [
    ("lead", "Lena", "Okafor", ROLE_ADMIN, True),
    ("approver", "Sam", "Patel", ROLE_ADMIN, False),
    ("nurse1", "Nora", "Byrne", ROLE_NURSE, False),
    ("nurse2", "Tomás", "Silva", ROLE_NURSE, False),
]


def demo_seed(*, password: str, extra_patients: int = 0) -> list[tuple[str, str]]:
    """Creates what is missing and returns (username, role) for every demo account."""
    roles_ensure()
    hashed = make_password(password)  # one hash for all: hashing is deliberately slow
    regions = {}
    for code, name, number in REGIONS:
        regions[code], _ = Region.objects.get_or_create(code=code, defaults={"name": name, "emergency_number": number})
    accounts = []
    for username, first, last, role, superuser in STAFF:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = services.staff_user_create(
                username=username, email=f"{username}@demo.ivigapp.invalid", role=role, first_name=first, last_name=last
            )
            user.password = hashed
            user.is_superuser = superuser
            user.save(update_fields=["password", "is_superuser"])
        accounts.append((username, role))
    lead = User.objects.get(username="lead")
    for spec in DEMO_PATIENTS:
        if not User.objects.filter(username=spec.username).exists():
            _demo_patient_create(spec, regions, lead, hashed)
        accounts.append((spec.username, ROLE_PATIENT))
    if extra_patients:
        _load_patients_create(extra_patients, regions["GB"], hashed)
    from ivigapp.protocols.content.demo import content_demo_seed
    from ivigapp.reactions.demo import clinical_demo_seed

    approver = User.objects.get(username="approver")
    content_demo_seed(author=lead, approver=approver)
    clinical_demo_seed(lead=lead, approver=approver)
    nurse2 = User.objects.get(username="nurse2")
    nurse2.groups.add(Group.objects.get(name=GROUP_ON_CALL))
    return accounts


@transaction.atomic
def _demo_patient_create(spec: DemoPatient, regions, lead, hashed) -> Patient:
    patient = services.patient_enrol(
        actor=lead,
        username=spec.username,
        email=f"{spec.username}@demo.ivigapp.invalid",
        display_name=spec.name,
        region=regions[spec.region],
        care_model=spec.care_model,
        indication=spec.indication,
        language=spec.language,
        timezone_name=spec.timezone,
        date_of_birth=spec.born,
        sex_for_ibw=spec.sex,
        care_team_phone="+44 20 7946 0000",
        send_activation=False,
    )
    patient.user.password = hashed
    patient.user.save(update_fields=["password"])
    RiskProfile.objects.filter(patient=patient).update(**{name: True for name in spec.risks})
    measured_on = timezone.localdate() - timedelta(days=20)
    for kind, value in ((BodyMeasurement.Kind.WEIGHT_KG, spec.weight), (BodyMeasurement.Kind.HEIGHT_CM, spec.height)):
        services.measurement_record(
            actor=lead,
            patient=patient,
            kind=kind,
            value=Decimal(value),
            measured_on=measured_on,
            source=BodyMeasurement.Source.CLINIC,
        )
    nurse = User.objects.get(username=spec.nurse)
    services.care_team_assign(actor=lead, nurse=nurse, patient=patient, starts_at=timezone.now() - timedelta(days=365))
    return patient


@transaction.atomic
def _load_patients_create(count: int, region: Region, hashed: str) -> None:
    """Bulk patients for load tests (loadNNNNN), all in nurse1's care. Only the missing ones are made."""
    existing = set(User.objects.filter(username__startswith="load").values_list("username", flat=True))
    wanted = [f"load{i:05d}" for i in range(1, count + 1)]
    missing = [name for name in wanted if name not in existing]
    if not missing:
        return
    User.objects.bulk_create([User(username=name, password=hashed) for name in missing])
    users = list(User.objects.filter(username__in=missing))
    group = Group.objects.get(name=ROLE_PATIENT)
    User.groups.through.objects.bulk_create([User.groups.through(user_id=u.pk, group_id=group.pk) for u in users])
    patients = Patient.objects.bulk_create(
        [
            Patient(
                user=u,
                display_name=f"Load {u.username[4:]}",
                region=region,
                care_model="self_infusing",
                indication="PID",
                timezone="Europe/London",
            )
            for u in users
        ]
    )
    RiskProfile.objects.bulk_create([RiskProfile(patient=p) for p in patients])
    nurse = User.objects.get(username="nurse1")
    start = timezone.now() - timedelta(days=1)
    CareAssignment.objects.bulk_create([CareAssignment(nurse=nurse, patient=p, starts_at=start) for p in patients])
