"""Safe with bad input: whatever a device puts in a mutation, the push answers 200 with a result per
mutation (or 400 for a malformed envelope), logs every mutation it acknowledges, and never fails
with a 500 or leaves half a batch."""

import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ivigapp.sync.models import MutationLog
from ivigapp.sync.tables import TABLES
from tests.sync.conftest import Device

pytestmark = pytest.mark.django_db

FIELDS = ["episode_id", "patient_id", "alert_id", "lot_number", "expiry_date", "vial_size_g", "quantity", "drug"]
FIELDS += ["dose", "category", "given_at", "phase", "volume_ml", "logged_at", "measured_at", "temperature_c"]
FIELDS += ["systolic", "diastolic", "heart_rate", "red_flag_answers", "symptoms", "pain_score", "text", "status"]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(st.characters(exclude_categories=()), max_size=30),  # any code point: NUL, lone surrogates
    st.sampled_from(["2026-12-06T10:00:00+00:00", "2026-12-06", "10.5", "-1", "", "during", "premed", "LOT-1"]),
    st.sampled_from(["a\x00b", "\ud83d", "x\udfffy"]),  # what PostgreSQL cannot store, often
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)


@st.composite
def mutations(draw, episode_id, rows):
    keys = st.sampled_from(FIELDS) | st.text(max_size=10)
    fields = draw(st.dictionaries(keys, values, max_size=5))
    if draw(st.booleans()):
        fields["episode_id"] = episode_id
    return {
        "kind": draw(st.sampled_from(["upsert", "delete"])),
        "table": draw(st.sampled_from(sorted(TABLES))),
        "row_id": draw(st.sampled_from(rows) | st.uuids().map(str)),
        "base_version": draw(st.none() | st.integers(min_value=0, max_value=5)),
        "set": fields,
        "base": draw(st.dictionaries(keys, values, max_size=2)),
    }


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(data=st.data())
def test_any_mutation_gets_a_result_and_is_logged(episode, data):
    rows = [str(uuid.uuid5(uuid.NAMESPACE_URL, f"fuzz-{i}")) for i in range(3)]
    device = Device(episode.patient.user)
    batch = data.draw(st.lists(mutations(str(episode.pk), rows), min_size=1, max_size=6))
    for mutation in batch:
        device.write(
            mutation["table"],
            mutation["row_id"],
            kind=mutation["kind"],
            set=mutation["set"],
            base_version=mutation["base_version"],
            base=mutation["base"],
        )
    response = device.push()
    assert response.status_code == 200, response.content[:500]
    results = response.json()["results"]
    assert [r["id"] for r in results] == list(range(1, len(batch) + 1))
    assert {r["status"] for r in results} <= {"applied", "merged", "conflict", "rejected"}
    assert all(r.get("detail") or r.get("reason") != "validation" for r in results)
    assert MutationLog.objects.filter(client_id=device.client_id).count() == len(batch)
