"""The app shell at /app/ and the service worker at /sw.js: no patient data, no inline script,
the headers a service worker needs."""

import re

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_the_shell_is_served_without_a_session_and_holds_no_patient_data(patient):
    response = Client().get("/app/")
    assert response.status_code == 200
    html = response.content.decode()
    assert patient.display_name not in html
    assert response["Cache-Control"] == "no-cache"
    assert "csrftoken" in response.cookies


def test_the_shell_is_the_same_for_a_signed_in_patient(patient):
    client = Client()
    client.force_login(patient.user)
    html = client.get("/app/").content.decode()
    assert patient.display_name not in html and str(patient.pk) not in html


def test_the_shell_has_no_inline_script_or_style(patient):
    html = Client().get("/app/").content.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert "<style" not in html and " style=" not in html
    assert 'type="module" src="/static/js/app/main.js"' in html


def test_the_service_worker_is_served_with_no_cache_and_a_root_scope(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    (tmp_path / "sw.js").write_text("self.addEventListener('fetch', () => {});")
    response = Client().get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert response["Cache-Control"] == "no-cache"
    assert response["Service-Worker-Allowed"] == "/"


def test_an_unbuilt_service_worker_is_a_404(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    assert Client().get("/sw.js").status_code == 404
