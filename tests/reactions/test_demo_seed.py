"""The clinical demo seed: built through the services, idempotent, and it leaves the nurse queue and
the reaction history the demo relies on, whatever time of day it runs."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.contrib.auth import get_user_model

from ivigapp.patients.demo import demo_seed
from ivigapp.protocols.models import ApprovalStatus, TriageRuleSet
from ivigapp.reactions.demo import clinical_demo_seed
from ivigapp.reactions.models import (
    Alert,
    AlertLevel,
    FollowUpCheck,
    InfusionEpisode,
    Plan,
    RateChange,
    SymptomReport,
)

pytestmark = pytest.mark.django_db

MODELS = [Plan, InfusionEpisode, RateChange, SymptomReport, Alert, FollowUpCheck]


def counts() -> dict:
    return {model.__name__: model.objects.count() for model in MODELS}


def seed_twice() -> tuple[dict, dict]:
    demo_seed(password="demo-pass-for-tests")
    users = get_user_model().objects
    lead, approver = users.get(username="lead"), users.get(username="approver")
    clinical_demo_seed(lead=lead, approver=approver)
    first = counts()
    clinical_demo_seed(lead=lead, approver=approver)
    return first, counts()


# Two clocks: the newest infusions move a day back or forward depending on the local time of day.
@pytest.mark.parametrize("now", [datetime(2026, 11, 21, 21, 36, tzinfo=UTC), datetime(2026, 3, 29, 6, 5, tzinfo=UTC)])
def test_it_seeds_a_clinical_history_once_with_an_open_nurse_queue(now):
    with time_machine.travel(now, tick=False):
        first, second = seed_twice()

    assert first == second
    assert first["InfusionEpisode"] == 22
    for username in ("patient1", "patient2", "patient3", "patient4"):
        assert InfusionEpisode.objects.filter(patient__user__username=username).count() >= 4
    assert InfusionEpisode.objects.filter(status=InfusionEpisode.Status.STOPPED_REACTION).count() == 1

    during = SymptomReport.objects.filter(rate_step_at_onset__isnull=False)
    assert len(set(during.values_list("rate_step_at_onset", flat=True))) >= 3
    assert RateChange.objects.filter(exceeds_cap=True).count() == 1
    assert not FollowUpCheck.objects.filter(completed_at__isnull=True, due_at__lt=now, window_ends_at__lt=now).exists()

    open_alerts = Alert.objects.filter(resolved_at__isnull=True)
    assert open_alerts.filter(level=AlertLevel.URGENT, owner__username="nurse1").exists()
    assert open_alerts.filter(patient__care_assignments__nurse__username="nurse2").exists()
    assert open_alerts.count() == 3
    assert all(alert.notes.exists() for alert in Alert.objects.filter(resolved_at__isnull=False))

    published = TriageRuleSet.objects.get(status=ApprovalStatus.PUBLISHED)
    assert (published.author.username, published.approved_by.username) == ("lead", "approver")
