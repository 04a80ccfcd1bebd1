from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from ivigapp.audit.models import AuditEvent
from ivigapp.reactions import services
from tests.reactions.conftest import NO_RED_FLAGS

pytestmark = pytest.mark.django_db


def add_episodes(plan, patient, count):
    user = patient.user
    for i in range(count):
        start = timezone.now() - timedelta(days=21 * (i + 1))
        ep = services.episode_schedule(actor=user, patient=patient, plan=plan, scheduled_start=start)
        services.episode_start(actor=user, episode=ep, started_at=start, recorded_at=start)
        services.rate_change_record(actor=user, episode=ep, at=start, rate_ml_h=Decimal("35"))
        services.vial_add(
            actor=user,
            episode=ep,
            lot_number=f"LOT{i:03d}",
            expiry_date=start.date() + timedelta(days=300),
            vial_size_g=Decimal("20"),
        )
        services.symptom_report_submit(
            actor=user,
            patient=patient,
            episode=ep,
            onset_at=start + timedelta(minutes=20),
            red_flag_answers=NO_RED_FLAGS,
            symptoms={"FLUSHING": {"severity": 1}},
        )
        services.episode_end(actor=user, episode=ep, ended_at=start + timedelta(hours=3), status="complete")


def test_listing_episodes_with_reports_takes_the_same_queries_for_2_and_12(
    client, nurse, plan, weighed_patient, django_assert_num_queries
):
    client.force_login(nurse)
    url = reverse("api-episode-list", args=[weighed_patient.pk])
    add_episodes(plan, weighed_patient, 2)
    # 1 session, 2 user, 3 groups, 4 patient via access module, 5 audit insert, 6 episodes with plan and
    # product, 7 rate changes, 8 vials, 9 reports with decisions, 10-12 savepoint + session refresh + release
    with django_assert_num_queries(12):
        first = client.get(url).json()
    add_episodes(plan, weighed_patient, 10)
    with django_assert_num_queries(12):
        response = client.get(url)
    body = response.json()
    assert len(first) == 2 and len(body) == 12
    assert body[0]["rates"][0]["rate_ml_h"] == "35.0" and body[0]["vials"][0]["lot_number"].startswith("LOT")
    assert body[0]["reports"][0]["decision"]["primary_rule_id"] == "T16S"


def test_another_nurse_gets_404_for_the_episodes(client, other_nurse, plan, weighed_patient):
    client.force_login(other_nurse)
    assert client.get(reverse("api-episode-list", args=[weighed_patient.pk])).status_code == 404
    assert AuditEvent.objects.filter(action="episode.list", outcome="denied", actor_id=other_nurse.pk).exists()


def test_the_rule_set_is_served_as_json_for_the_offline_evaluator(client, patient):
    client.force_login(patient.user)
    response = client.get(reverse("api-triage-ruleset"))
    body = response.json()
    assert response.status_code == 200 and response["ETag"] == '"triage-v0"'
    assert body["version"] == 0 and len(body["rules"]) >= 70
    assert {"T01", "T02", "T03"} <= {rule["id"] for rule in body["rules"]}
