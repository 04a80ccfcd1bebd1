import pytest

from tests.browser.conftest import screenshot
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, username):
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")


def test_a_patient_signs_in_on_a_phone_and_sees_their_emergency_number(phone, patient):
    phone.goto("/accounts/login/")
    screenshot(phone, "login-360")
    sign_in(phone, "patient")
    phone.wait_for_url("**/app/**")
    phone.goto("/patients/me/")
    assert phone.locator("h1").inner_text() == patient.display_name
    assert phone.locator("a[href='tel:999']").is_visible()
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the page scrolls sideways at 360 px ({width} px)"
    screenshot(phone, "patient-profile-360")
    assert phone.problems == []


def test_a_nurse_opens_an_assigned_patient_and_signs_out(phone, nurse, patient, other_patient):
    sign_in(phone, "nurse")
    phone.wait_for_url("**/nurse/alerts/")
    phone.goto("/nurse/patients/")
    rows = phone.locator("tbody tr")
    assert rows.count() == 1
    screenshot(phone, "nurse-list-360")
    phone.get_by_role("link", name=patient.display_name, exact=True).click()
    phone.wait_for_url(f"**/nurse/patients/{patient.pk}/")
    phone.click("button:has-text('Sign out')")
    phone.wait_for_url("**/accounts/login/")
    assert phone.context.cookies() == [] or all(c["name"] != "sessionid" for c in phone.context.cookies())
    assert phone.problems == []


def test_switching_to_arabic_lays_the_page_out_right_to_left(phone, patient):
    sign_in(phone, "patient")
    phone.wait_for_url("**/app/**")
    phone.goto("/patients/me/")
    phone.select_option("#language-select", "ar")
    phone.wait_for_function("document.documentElement.dir === 'rtl'")
    assert phone.evaluate("document.documentElement.lang") == "ar"
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(phone, "patient-profile-360-ar")
    assert phone.problems == []
