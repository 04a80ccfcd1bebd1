"""The pull answer is built as plain JSON-ready dicts, not by walking PullOut over every change.

It must be byte for byte what the serializers and the JSON round trip gave before: the same
formats for times (milliseconds, "Z"), decimals (strings), dates and ids, tombstones without a
row, open conflicts listed on their row.
"""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone
from rest_framework.renderers import JSONRenderer

from ivigapp.reactions import services
from ivigapp.reactions.models import HydrationLog
from ivigapp.sync.api import PullOut, pull_document
from ivigapp.sync.models import SyncClient
from ivigapp.sync.pull import pull_changes
from ivigapp.sync.tables import TABLES
from tests.clinical_fixtures import NO_RED_FLAGS
from tests.sync.conftest import Device

pytestmark = pytest.mark.django_db


def as_before(change: dict) -> dict:
    """A change as the earlier code built it: the row through a JSON round trip."""
    if "row" in change:
        return {**change, "row": json.loads(json.dumps(change["row"], cls=DjangoJSONEncoder))}
    return change


def test_the_pull_document_is_what_the_serializers_gave(episode, drink_in_conflict):
    user = episode.patient.user
    now = timezone.now().replace(microsecond=123456)
    services.vitals_record(
        actor=user, episode=episode, measured_at=now, temperature_c=Decimal("37.8"), systolic=118, diastolic=76
    )
    services.vial_add(
        actor=user,
        episode=episode,
        lot_number="LOT-77",
        expiry_date=timezone.localdate() + timedelta(days=400),
        vial_size_g=Decimal("10"),
    )
    gone = services.hydration_record(
        actor=user, episode=episode, phase=HydrationLog.Phase.DURING, volume_ml=100, logged_at=now
    )
    services.symptom_report_submit(
        actor=user,
        patient=episode.patient,
        episode=episode,
        onset_at=now - timedelta(minutes=2),
        red_flag_answers=NO_RED_FLAGS,
        symptoms={"HEADACHE": {"severity": 1, "nrs": 3}},
        temperature_c=Decimal("37.9"),
    )
    device = Device(user)
    client = SyncClient.objects.get(pk=device.client_id)
    first = pull_changes(user=user, client=client, cursor_token=None, limit=500)
    services.diary_row_delete(actor=user, row=gone)
    later = pull_changes(user=user, client=client, cursor_token=first["cursor"], limit=500)

    tables = {c["table"] for c in first["changes"]}
    assert {"vitals", "vial", "hydration", "symptom_report", "triage_decision", "sync_conflict"} <= tables
    assert any(c.get("conflicts") for c in first["changes"]), "an open conflict is listed on its row"
    assert [c["deleted"] for c in later["changes"]] == [True] and "row" not in later["changes"][0]
    for result in (first, later):
        ours = JSONRenderer().render(pull_document(result))
        theirs = JSONRenderer().render(PullOut({**result, "changes": [as_before(c) for c in result["changes"]]}).data)
        assert ours == theirs
    vitals = next(c["row"] for c in first["changes"] if c["table"] == "vitals")
    assert vitals["temperature_c"] == "37.8" and vitals["measured_at"].endswith(".123Z")
    assert set(TABLES["vitals"].fields) == set(vitals)
