"""GET /api/v1/me/: the signed-in patient's profile, whom to call, the active plan in the pump's
mL/h with its rate cap, and the reaction checklist, for the offline app."""

from decimal import Decimal

import pytest
from django.test import Client
from django.utils import translation

from ivigapp.reactions import dosing
from ivigapp.reactions.models import RED_FLAGS, SYMPTOMS
from ivigapp.reactions.services.plans import rate_cap

pytestmark = pytest.mark.django_db


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def test_it_describes_the_signed_in_patient_and_whom_to_call(patient):
    patient.care_team_phone = "+44 20 7946 0000"
    patient.save(update_fields=["care_team_phone"])
    body = client_for(patient.user).get("/api/v1/me/").json()
    assert body["id"] == str(patient.pk)
    assert body["region"] == {"code": "GB", "name": "United Kingdom", "emergency_number": "999"}
    assert body["care_team_phone"] == "+44 20 7946 0000"
    assert (body["care_model"], body["language"], body["timezone"]) == ("self_infusing", "en", "UTC")
    assert "neurological_indication" in body["risk_flags"]
    assert body["plan"] is None


def test_it_gives_the_plan_steps_in_the_pumps_ml_per_hour_with_the_cap(plan):
    body = client_for(plan.patient.user).get("/api/v1/me/").json()["plan"]
    assert body["id"] == plan.pk
    weight, concentration = plan.rate_weight_kg, plan.product.concentration_pct
    expected = [
        dosing.rate_to_ml_h(rate=s["rate"], unit=s["unit"], weight_kg=weight, concentration_pct=concentration)
        for s in plan.rate_protocol.steps
    ]
    assert [Decimal(step["rate_ml_h"]) for step in body["steps"]] == expected
    assert [step["step_no"] for step in body["steps"]] == [1, 2, 3, 4, 5, 6]
    assert body["steps"][0]["minutes"] == 30 and body["steps"][-1]["minutes"] is None
    cap, source = rate_cap(plan)
    assert (Decimal(body["rate_cap_ml_h"]), body["rate_cap_source"]) == (cap, source)
    assert [step["above_cap"] for step in body["steps"]] == [value > cap for value in expected]
    assert body["features"] == ["step_down"]


def test_the_checklist_lists_every_red_flag_first_and_marks_pain_symptoms(patient):
    checklist = client_for(patient.user).get("/api/v1/me/").json()["checklist"]
    assert [flag["code"] for flag in checklist["red_flags"]] == list(RED_FLAGS)
    assert [s["code"] for s in checklist["symptoms"]] == list(SYMPTOMS)
    assert {s["code"] for s in checklist["symptoms"] if s["pain_score"]} == {"HEADACHE", "BACKPAIN", "MYALGIA", "SITE"}


def test_the_checklist_is_worded_in_the_language_the_app_is_shown_in(patient):
    client = client_for(patient.user)
    client.cookies["django_language"] = "es"
    labels = {f["code"]: f["label"] for f in client.get("/api/v1/me/").json()["checklist"]["red_flags"]}
    with translation.override("es"):
        assert labels == {code: str(label) for code, label in RED_FLAGS.items()}


def test_a_nurse_has_no_app_profile(nurse, patient):
    assert client_for(nurse).get("/api/v1/me/").status_code == 404


def test_it_needs_a_session_and_is_never_stored(patient):
    assert Client().get("/api/v1/me/").status_code == 403
    response = client_for(patient.user).get("/api/v1/me/")
    assert response["Cache-Control"] == "no-store"


def test_it_reads_a_fixed_number_of_queries(plan, django_assert_max_num_queries):
    client = client_for(plan.patient.user)
    # session, user, role groups, patient with region and risk profile, plan with product and
    # protocol, and the measurements rate_cap's risk flags read.
    with django_assert_max_num_queries(8):
        assert client.get("/api/v1/me/").status_code == 200
