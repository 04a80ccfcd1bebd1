"""The nurse flow in Chromium: a red flag synced from the patient's device appears in the queue,
the nurse acknowledges it, and the patient's next pull carries the receipt."""

import pytest
from django.utils import timezone

from tests.browser.conftest import screenshot
from tests.clinical_fixtures import red_flags
from tests.conftest import PASSWORD
from tests.sync.conftest import Device

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_nurse_acknowledges_a_synced_red_flag_and_the_patient_pulls_the_receipt(browser, live_server, episode, nurse):
    phone = Device(episode.patient.user)
    phone.write(
        "symptom_report",
        set={
            "episode_id": str(episode.pk),
            "onset_at": timezone.now().isoformat(),
            "red_flag_answers": red_flags("RF_CHEST"),
            "free_text": "tight chest",
        },
    )
    assert phone.push().json()["results"][0]["status"] == "applied"

    context = browser.new_context(viewport={"width": 1024, "height": 800}, base_url=live_server.url)
    page = context.new_page()
    problems = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.goto("/accounts/login/")
    page.fill("#id_username", "nurse")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/nurse/alerts/")
    card = page.locator("li.alert.level-emergency")
    assert card.count() == 1
    assert "overdue" in card.inner_text().lower() or "min" in card.inner_text()
    screenshot(page, "nurse-queue")
    card.get_by_role("button", name="Acknowledge").click()
    page.wait_for_url("**/nurse/alerts/")
    assert "Acknowledged" in page.locator("li.alert").first.inner_text()
    page.fill("input[name=text]", "Calling you now. Stop the drip.")
    page.get_by_role("button", name="Add note").first.click()
    page.wait_for_url("**/nurse/alerts/")
    screenshot(page, "nurse-queue-acknowledged")
    context.close()
    assert problems == []

    phone.pull_all()
    alert = next(change for (table, _), change in phone.replica.items() if table == "alert")
    assert alert["row"]["acknowledged_at"] is not None
    notes = [c["row"]["text"] for (table, _), c in phone.replica.items() if table == "alert_note"]
    assert notes == ["Calling you now. Stop the drip."]


def test_the_queue_counts_down_in_the_nurses_language(browser, live_server, episode, nurse):
    """Arabic showed "14 min": the units came from the script, untranslated."""
    from ivigapp.reactions import services

    services.symptom_report_submit(
        actor=episode.patient.user,
        patient=episode.patient,
        episode=episode,
        onset_at=timezone.now(),
        red_flag_answers=red_flags("RF_LIMB"),
        symptoms={},
    )
    context = browser.new_context(viewport={"width": 1024, "height": 800}, base_url=live_server.url)
    context.add_cookies([{"name": "django_language", "value": "ar", "url": live_server.url}])
    page = context.new_page()
    page.goto("/accounts/login/")
    page.fill("#id_username", "nurse")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/nurse/alerts/")
    countdown = page.locator("time[data-deadline]").first
    page.wait_for_function("t => !/\\d:\\d/.test(t.textContent)", arg=countdown.element_handle())  # ticked
    text = countdown.inner_text()
    assert "min" not in text and any("\u0600" <= ch <= "\u06ff" for ch in text), text
    context.close()
