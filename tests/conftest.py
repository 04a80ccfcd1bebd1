"""The shared cast: a patient and their nurse, another nurse with another patient, an
administrator. Everything is made through the real services."""

import os
from datetime import timedelta

import pytest
from django.utils import timezone

from ivigapp.celery import app as celery_app
from ivigapp.patients import services
from ivigapp.patients.models import Region
from ivigapp.patients.roles import ROLE_ADMIN, ROLE_NURSE, roles_ensure

pytest_plugins = ["tests.clinical_fixtures"]

PASSWORD = "correct-horse-battery-staple"


@pytest.fixture(autouse=True)
def _celery_eager_for_unit_tests(request):
    # Unit tests run tasks in-process; tests marked `worker` use a real worker and broker.
    eager = request.node.get_closest_marker("worker") is None
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = eager
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture
def roles(db):
    roles_ensure()


@pytest.fixture
def region(db):
    return Region.objects.create(code="GB", name="United Kingdom", emergency_number="999")


def make_staff(username, role):
    user = services.staff_user_create(username=username, email=f"{username}@example.org", role=role)
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    return user


def make_patient(username, region, actor, **extra):
    patient = services.patient_enrol(
        actor=actor,
        username=username,
        email=f"{username}@example.org",
        display_name=username.title(),
        region=region,
        care_model="self_infusing",
        indication="CIDP",
        send_activation=False,
        **extra,
    )
    patient.user.set_password(PASSWORD)
    patient.user.save(update_fields=["password"])
    return patient


@pytest.fixture
def admin_user(roles):
    return make_staff("admin", ROLE_ADMIN)


@pytest.fixture
def nurse(roles):
    return make_staff("nurse", ROLE_NURSE)


@pytest.fixture
def other_nurse(roles):
    return make_staff("othernurse", ROLE_NURSE)


@pytest.fixture
def patient(region, admin_user, nurse):
    p = make_patient("patient", region, admin_user)
    services.care_team_assign(actor=admin_user, nurse=nurse, patient=p, starts_at=timezone.now() - timedelta(days=1))
    return p


@pytest.fixture
def other_patient(region, admin_user, other_nurse):
    p = make_patient("otherpatient", region, admin_user)
    services.care_team_assign(
        actor=admin_user, nurse=other_nurse, patient=p, starts_at=timezone.now() - timedelta(days=1)
    )
    return p


def browser_required() -> bool:
    return os.environ.get("IVIGAPP_BROWSER_TESTS") == "required"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # PBKDF2's deliberate slowness would dominate the suite; login code paths are unchanged.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
