import pytest
from django.urls import reverse

from ivigapp.patients.roles import ROLE_NURSE
from tests.conftest import PASSWORD, make_staff

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


def sign_in(client, username, password, ip="203.0.113.7", **extra):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip, **extra)


def test_it_signs_a_nurse_in_and_sends_them_to_their_patients(client, nurse):
    response = sign_in(client, "nurse", PASSWORD)
    assert response.status_code == 302
    assert client.get("/").url == reverse("reactions:queue")


def test_it_signs_a_patient_in_with_their_own_language(client, patient):
    patient.language = "ar"
    patient.save()
    response = sign_in(client, "patient", PASSWORD)
    assert response.cookies["django_language"].value == "ar"
    assert client.get("/").url == "/app/"
    page = client.get(reverse("patients:me")).content.decode()
    assert 'dir="rtl"' in page and 'lang="ar"' in page


def test_it_changes_the_session_key_at_login(client, nurse):
    client.get(LOGIN)
    client.session.save()
    before = client.session.session_key
    sign_in(client, "nurse", PASSWORD)
    assert client.session.session_key != before


def test_it_refuses_a_wrong_password_without_saying_which_part_was_wrong(client, nurse):
    wrong_password = sign_in(client, "nurse", "nope-nope-nope")
    unknown_user = sign_in(client, "nobody-here", "nope-nope-nope")
    assert wrong_password.status_code == unknown_user.status_code == 200
    assert "_auth_user_id" not in client.session


def test_it_locks_one_username_from_one_address_only(client, roles):
    make_staff("victim", ROLE_NURSE)
    for _ in range(5):
        sign_in(client, "victim", "wrong-password-x", ip="198.51.100.9")
    locked = sign_in(client, "victim", PASSWORD, ip="198.51.100.9")
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session
    # The real user, elsewhere, is not locked out by the attacker.
    assert sign_in(client, "victim", PASSWORD, ip="192.0.2.44").status_code == 302


def test_a_spoofed_forwarded_for_header_does_not_dodge_the_lock(client, roles):
    make_staff("victim", ROLE_NURSE)
    for i in range(5):
        sign_in(client, "victim", "wrong-password-x", ip="198.51.100.9", HTTP_X_FORWARDED_FOR=f"10.9.9.{i}")
    locked = sign_in(client, "victim", PASSWORD, ip="198.51.100.9", HTTP_X_FORWARDED_FOR="10.1.1.1")
    assert locked.status_code == 429


def test_logout_clears_the_site_and_the_old_cookie_is_dead(client, nurse):
    sign_in(client, "nurse", PASSWORD)
    old_cookie = client.cookies["sessionid"].value
    response = client.post(reverse("accounts:logout"))
    assert response["Clear-Site-Data"] == '"cache", "cookies", "storage"'
    client.cookies["sessionid"] = old_cookie
    assert client.get(reverse("reactions:patients")).status_code == 302


def test_a_deactivated_nurse_is_out_on_the_next_request(client, nurse, patient):
    sign_in(client, "nurse", PASSWORD)
    assert client.get(reverse("reactions:patients")).status_code == 200
    nurse.is_active = False
    nurse.save()
    assert client.get(reverse("reactions:patients")).status_code == 302


def test_the_login_form_needs_a_csrf_token(nurse):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = strict.post(LOGIN, {"username": "nurse", "password": PASSWORD}, REMOTE_ADDR="203.0.113.7")
    assert response.status_code == 403
