"""Every page carries the security headers; no page relies on inline script or style."""

import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_STYLE = re.compile(r"<style\b|\sstyle=", re.IGNORECASE)
OUR_PAGES = {
    "/accounts/login/",
    "/accounts/password-reset/",
    "/accounts/password-reset/sent/",
    "/nurse/patients/",
    "/nurse/alerts/",
    "/patients/me/",
    "/accounts/reset/done/",
}


def pages_for(patient):
    return {
        None: [
            "/accounts/login/",
            "/accounts/password-reset/",
            "/accounts/password-reset/sent/",
            "/accounts/reset/done/",
            "/healthz",
            "/api/schema/",
            "/api/docs/",
            "/manifest.json",
        ],
        "nurse": [
            "/nurse/patients/",
            "/nurse/alerts/",
            reverse("reactions:patient", args=[patient.pk]),
            "/api/v1/patients/",
            "/nurse/lots/?lot=LOT1",
        ],
        "patient": ["/patients/me/", reverse("api-patient-detail", args=[str(patient.pk)])],
        "admin": [
            "/admin/",
            "/admin/patients/patient/",
            f"/admin/patients/patient/{patient.pk}/change/",
            "/admin/patients/careassignment/",
            "/admin/audit/auditevent/",
        ],
    }


def assert_secure_headers(response, url):
    csp = response.get("Content-Security-Policy", "")
    assert csp, f"{url} has no CSP"
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp, url
    for directive in ("object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'", "script-src 'self'"):
        assert directive in csp, (url, directive)
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Request-ID"]


def test_every_page_has_a_strict_csp_and_security_headers(client, patient, nurse, admin_user):
    users = {None: None, "nurse": nurse, "patient": patient.user, "admin": admin_user}
    checked = 0
    for who, urls in pages_for(patient).items():
        client.logout()
        if users[who] is not None:
            client.force_login(users[who])
        for url in urls:
            response = client.get(url)
            assert response.status_code in (200, 503), (who, url, response.status_code)
            assert_secure_headers(response, url)
            if url in OUR_PAGES:
                html = response.content.decode()
                assert not INLINE_SCRIPT.search(html), f"inline script on {url}"
                assert not INLINE_STYLE.search(html), f"inline style on {url}"
            checked += 1
    assert checked == sum(len(urls) for urls in pages_for(patient).values())


def test_an_evil_origin_gets_no_cors_grant(client, patient):
    client.force_login(patient.user)
    response = client.get("/api/v1/patients/", HTTP_ORIGIN="https://evil.example")
    assert "Access-Control-Allow-Origin" not in response


def test_a_sane_request_id_is_kept_and_a_hostile_one_replaced(client):
    assert client.get("/accounts/login/", HTTP_X_REQUEST_ID="abc12345-trace")["X-Request-ID"] == "abc12345-trace"
    replaced = client.get("/accounts/login/", HTTP_X_REQUEST_ID="<script>alert(1)</script>")["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", replaced)


def test_an_oversized_body_is_refused_not_parsed(client, patient):
    client.force_login(patient.user)
    response = client.post("/accounts/login/", {"username": "x" * (2 * 1024 * 1024)})
    assert response.status_code == 400
