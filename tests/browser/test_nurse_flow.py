"""The nurse flow in Chromium: a red flag synced from the patient's device appears in the queue,
the nurse acknowledges it, and the patient's next pull carries the receipt."""

import base64
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from ivigapp.reactions import services
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


def signed_in_nurse(browser, live_server, width):
    """A page of a new context at `width` px, signed in as the nurse, on the alert queue."""
    context = browser.new_context(viewport={"width": width, "height": 844}, base_url=live_server.url)
    page = context.new_page()
    page.goto("/accounts/login/")
    page.fill("#id_username", "nurse")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/nurse/alerts/")
    return context, page


PIXEL = """async ([src, points]) => {
    const image = new Image();
    image.src = src;
    await image.decode();
    const canvas = Object.assign(document.createElement("canvas"), {width: image.width, height: image.height});
    const context = canvas.getContext("2d");
    context.drawImage(image, 0, 0);
    return points.map(([x, y]) => Math.min(...context.getImageData(x, y, 1, 1).data.slice(0, 3)));
}"""


def test_a_box_that_scrolls_sideways_at_phone_width_shows_a_shadow_on_the_side_with_more(
    browser, live_server, episode, nurse
):
    """At 390 px the infusion chart is wider than the screen. The side with more to see has a
    shadow, and the shadow goes once that end is reached. The chart itself is hidden for the
    check, so only the box's own background is read, at its two edges, from a screenshot."""
    context, page = signed_in_nurse(browser, live_server, 390)
    page.goto(reverse("reactions:timeline", args=[episode.pk]))
    box = page.locator(".chart-wrap")
    assert box.evaluate("b => b.scrollWidth > b.clientWidth + 100"), "the chart fits: nothing to check"
    box.evaluate("b => { b.firstElementChild.style.visibility = 'hidden'; }")
    blank = context.new_page()  # decodes the screenshots; it has no content security policy

    def edges():
        width, height = (box.bounding_box()[k] for k in ("width", "height"))
        src = "data:image/png;base64," + base64.b64encode(box.screenshot()).decode()
        left, right = blank.evaluate(PIXEL, [src, [[1, int(height / 2)], [int(width) - 2, int(height / 2)]]])
        return left, right

    left, right = edges()
    assert left > 250 and right < 235, (left, right)  # at the start: a shadow on the right only
    box.evaluate("b => { b.scrollLeft = b.scrollWidth; }")
    left, right = edges()
    assert left < 235 and right > 250, (left, right)  # at the end: on the left only
    context.close()


def test_a_long_word_typed_by_the_patient_wraps_in_the_timeline(browser, live_server, episode, nurse):
    """A medicine named with 100 letters and no space pushed the timeline table past the page, and
    the rate above the cap at the end of another row was cut off."""
    services.medication_record(
        actor=episode.patient.user,
        episode=episode,
        category="as_needed",
        drug="x" * 100,
        dose="400 mg",
        given_at=episode.started_at + timedelta(minutes=10),
    )
    context, page = signed_in_nurse(browser, live_server, 1280)
    page.goto(reverse("reactions:timeline", args=[episode.pk]))
    page.locator(".timeline-table td", has_text="x" * 40).wait_for()
    wrap = page.locator(".timeline-table").locator("xpath=..")
    assert wrap.evaluate("w => w.scrollWidth <= w.clientWidth"), "the table is wider than its box"
    # The patient page too: a report's free text of one long word pushed it to 1,354 px.
    services.symptom_report_submit(
        actor=episode.patient.user,
        patient=episode.patient,
        episode=episode,
        onset_at=timezone.now(),
        red_flag_answers=red_flags(),
        symptoms={},
        free_text="y" * 120,
    )
    page.goto(reverse("reactions:patient", args=[episode.patient_id]))
    page.locator(".free-text", has_text="y" * 40).wait_for()
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 1280
    context.close()
