"""Safe with bad input: a NUL character (which PostgreSQL stores neither in text nor in JSON) sent
to the pages and APIs that take text is a 4xx, never a 500. The push has its own fuzz test
(tests/sync/test_push_fuzz.py)."""

import json
import uuid

import pytest

pytestmark = pytest.mark.django_db

NUL = "\x00"
PAGES = [
    f"/api/v1/patients/a{NUL}b/",
    f"/api/v1/patients/a{NUL}b/episodes/",
    f"/api/content/blob/ab{NUL}cd",
    f"/api/sync/v1/content/manifest?lang=e{NUL}s",
    f"/api/v1/reminders/?x={NUL}",
    f"/nurse/patients/?sort=na{NUL}me",
    f"/nurse/lots/?lot=AB{NUL}C",
    f"/content/status/?kind=a{NUL}&status=b{NUL}&language=c{NUL}",
]
BODIES = [
    ("patch", "/api/v1/me/", {"language": f"e{NUL}s", "timezone": f"Europe/Lon{NUL}don"}),
    ("post", "/api/v1/push/subscriptions", {"endpoint": f"https://push.example/{NUL}", "keys": {"p256dh": NUL}}),
    ("post", "/api/v1/push/subscriptions/delete", {"endpoint": f"https://push.example/{NUL}"}),
    ("post", "/api/sync/v1/clients", {"client_id": str(uuid.uuid4()), "schema_version": 1, "device_label": NUL}),
    ("post", "/api/sync/v1/pull", {"client_id": str(uuid.uuid4()), "schema_version": 1, "cursor": f"c{NUL}"}),
]


@pytest.fixture(params=["patient", "nurse", "clinical_admin"])
def signed_in(request, client, patient, nurse, admin_user):
    client.raise_request_exception = False
    client.force_login({"patient": patient.user, "nurse": nurse, "clinical_admin": admin_user}[request.param])
    return client


@pytest.mark.parametrize("path", PAGES)
def test_a_nul_in_a_page_or_query_is_not_a_500(signed_in, path):
    assert signed_in.get(path).status_code < 500


@pytest.mark.parametrize("method,path,body", BODIES)
def test_a_nul_in_a_json_body_is_not_a_500(signed_in, method, path, body):
    response = getattr(signed_in, method)(path, json.dumps(body), content_type="application/json")
    assert response.status_code < 500


def test_a_nul_at_sign_in_is_not_a_500(client, patient):
    client.raise_request_exception = False
    response = client.post("/accounts/login/", {"username": f"pa{NUL}tient", "password": f"x{NUL}y"})
    assert response.status_code < 500
    response = client.post("/accounts/password-reset/", {"email": f"a{NUL}@example.com"})
    assert response.status_code < 500
