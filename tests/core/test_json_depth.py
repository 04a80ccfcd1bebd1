"""Safe with bad input: JSON nested past what Python's parser (or anything walking the result) can
take is a 400 with a message on every JSON API, not a 500."""

import json

import pytest

from ivigapp.core.parsers import MAX_DEPTH
from tests.sync.conftest import Device

pytestmark = pytest.mark.django_db

APIS = ["/api/sync/v1/push", "/api/sync/v1/pull", "/api/sync/v1/clients", "/api/v1/push/subscriptions"]


def nested(levels: int, leaf=1):
    value = leaf
    for i in range(levels):
        value = [value] if i % 2 else {"a": value}
    return value


@pytest.mark.parametrize("path", APIS)
@pytest.mark.parametrize(
    "body",
    [
        "[" * 50_000 + "]" * 50_000,  # past Python's recursion limit: the parser itself gives up
        '{"a":' * 50_000 + "1" + "}" * 50_000,
        json.dumps(nested(MAX_DEPTH + 1)),  # parses, but deeper than the API takes
        json.dumps(nested(900)),  # parses, and would break json.dumps and the checks walking it
    ],
    ids=["arrays-50k", "objects-50k", "max+1", "900"],
)
def test_json_nested_too_deep_is_a_400(client, patient, path, body):
    client.raise_request_exception = False
    client.force_login(patient.user)
    response = client.post(path, body, content_type="application/json")
    assert response.status_code == 400
    assert f"more than {MAX_DEPTH} levels" in response.json()["detail"]


def test_a_push_nested_to_the_limit_is_applied_or_rejected_like_any_other(episode):
    """A push at exactly MAX_DEPTH levels (envelope, mutations, mutation, set: 4 of them) still goes
    through, and its odd field gets a per-field answer."""
    device = Device(episode.patient.user)
    device.write("hydration", set={"episode_id": str(episode.pk), "note": nested(MAX_DEPTH - 4)})
    response = device.push()
    assert response.status_code == 200
    assert [r["status"] for r in response.json()["results"]] == ["rejected"]
    device.write("hydration", set={"episode_id": str(episode.pk), "note": nested(MAX_DEPTH - 3)})
    response = device.push()
    assert response.status_code == 400 and len(device.outbox) == 1  # nothing applied, nothing lost
