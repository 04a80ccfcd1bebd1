"""A red flag that calls for the emergency number gets its advice the moment it is answered yes,
before the other questions, and the report can go from there (issue 6's "immediate advice"). A
red flag that calls for the care team still asks the rest: one of them may call for more."""

import pytest

from ivigapp.reactions.models import Alert, SymptomReport
from tests.browser.conftest import screenshot
from tests.browser.pwa_support import pending, screen, service_worker_built, signed_in_phone, synced
from tests.reactions.conftest import NO_RED_FLAGS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
__all__ = ["service_worker_built"]


@pytest.fixture
def app(browser, live_server, service_worker_built, plan):
    with signed_in_phone(browser, live_server) as page:
        screen(page, "#/unwell")
        yield page


def tap(page, code, answer):
    radio = page.locator(f"#red-flags input[name={code}][value={answer}]")
    page.locator(f"label[for='{radio.get_attribute('id')}']").click()
    assert radio.is_checked()


def test_the_emergency_advice_shows_at_the_first_yes_and_the_report_can_go_from_there(app, plan):
    page = app
    page.context.set_offline(True)
    tap(page, "RF_AIRWAY", "yes")
    advice = page.locator("#advice-now")
    advice.wait_for()
    assert advice.locator("h2").inner_text() == "Get help now"
    assert advice.locator("a.call-emergency").get_attribute("href") == "tel:999"
    assert "emergency number" in advice.inner_text()
    # Right under the question, where the patient is looking, without scrolling.
    assert page.evaluate(
        "() => document.querySelector('#advice-now').previousElementSibling.contains("
        "document.querySelector('input[name=RF_AIRWAY]'))"
    )
    assert advice.is_visible() and pending(page) == 0  # nothing is sent until the patient says so
    # Scrolled into view above the tab bar, the send button included.
    page.wait_for_function(
        """() => {
            const button = document.getElementById("send-now").getBoundingClientRect();
            return button.top >= 0 && button.bottom <= document.querySelector(".tabbar").getBoundingClientRect().top;
        }""",
        timeout=3000,
    )
    screenshot(page, "pwa-unwell-advice-at-once")

    tap(page, "RF_AIRWAY", "no")  # a wrong tap, taken back: the advice goes
    page.wait_for_selector("#advice-now", state="detached")
    tap(page, "RF_AIRWAY", "yes")
    button = page.locator("#send-now").element_handle()
    button.click()
    page.locator("#advice").wait_for()
    assert page.locator("#advice-title").inner_text() == "Get help now"
    assert pending(page) == 1
    # The same button tapped again (a second tap that lands as the screen changes) sends nothing more.
    button.evaluate("b => b.click()")
    page.wait_for_timeout(500)
    assert pending(page) == 1

    state = page.locator("#report-state")
    assert "goes to your nurse as soon as there is a connection" in state.inner_text()

    page.context.set_offline(False)
    synced(page)
    # The screen says when the report has gone (it kept saying "as soon as there is a connection").
    page.wait_for_function("() => document.getElementById('report-state').dataset.state === 'synced'")
    assert state.inner_text() == "Sent: your report has reached your nurse."
    report = SymptomReport.objects.get(patient=plan.patient)
    assert report.red_flag_answers == {**dict.fromkeys(NO_RED_FLAGS), "RF_AIRWAY": True}
    assert Alert.objects.get(report=report).level == "emergency"
    assert page.problems == []


def test_a_care_team_red_flag_still_asks_the_other_questions(app, plan):
    page = app
    tap(page, "RF_LIMB", "yes")
    page.click("#red-flags button[type=submit]")
    page.wait_for_function("() => document.getElementById('flags-error').textContent !== ''")
    assert page.locator("#flags-error").inner_text() == "Answer every question with yes or no."
    assert page.locator("#advice-now").count() == 0  # decided before the error was shown
    tap(page, "RF_CHEST", "yes")  # a later answer that calls for the emergency number
    page.locator("#advice-now").wait_for()
    page.click("#red-flags button[type=submit]")  # Next now sends what is answered
    page.locator("#advice").wait_for()
    synced(page)
    report = SymptomReport.objects.get(patient=plan.patient)
    assert sorted(report.red_flags()) == ["RF_CHEST", "RF_LIMB"]
    assert report.decision.level == "emergency"
    assert page.problems == []
