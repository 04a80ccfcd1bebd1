import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from ivigapp.patients.access import patients_for
from ivigapp.patients.models import Patient

pytestmark = pytest.mark.django_db


def test_seed_demo_creates_the_documented_accounts_once(monkeypatch, capsys):
    monkeypatch.setenv("DEMO_PASSWORD", "demo-pass-for-tests")
    call_command("seed_demo")
    call_command("seed_demo")
    users = get_user_model().objects
    assert set(users.values_list("username", flat=True)) == {
        "lead",
        "approver",
        "nurse1",
        "nurse2",
        "patient1",
        "patient2",
        "patient3",
        "patient4",
    }
    assert Patient.objects.count() == 4
    assert {p.user.username for p in patients_for(users.get(username="nurse1"))} == {"patient1", "patient2"}
    assert {p.user.username for p in patients_for(users.get(username="nurse2"))} == {"patient3", "patient4"}
    assert users.get(username="patient4").check_password("demo-pass-for-tests")
    assert "demo-pass-for-tests" in capsys.readouterr().out


def test_seed_demo_adds_load_test_patients_for_nurse1():
    call_command("seed_demo", patients=30)
    call_command("seed_demo", patients=30)
    nurse1 = get_user_model().objects.get(username="nurse1")
    assert patients_for(nurse1).count() == 32
