"""What a walkthrough of the patient app found wrong, at 360 px: slowing the drip for a reaction
made "Next step" offer a rate far above it; a fever on the checklist showed its advice for less
than a second; a checklist saved with no infusion planned planned one for now (its reminders went
out at once); no screen logged a drink; a start in 1990, a weight of 9999 kg and -3 vials were all
accepted on the phone and refused by the server only later."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from ivigapp.reactions import services
from ivigapp.reactions.models import HydrationLog, InfusionEpisode, Plan, RateChange, SymptomReport, VialUsage
from ivigapp.reminders.models import Reminder
from tests.browser.pwa_support import (
    PHONE,
    answer_red_flags,
    screen,
    service_worker_built,
    sign_in_to_app,
    synced,
    watch,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
__all__ = ["service_worker_built"]


@pytest.fixture
def app(browser, live_server, service_worker_built, plan):
    context = browser.new_context(base_url=live_server.url, **PHONE)
    page = watch(context.new_page())
    sign_in_to_app(page)
    yield page
    context.close()


def error_after(page, button):
    """Submits the form of `button` and returns the error it shows."""
    page.click(button)
    error = page.locator("form", has=page.locator(button)).locator(".error")
    page.wait_for_function("e => e.textContent.trim() !== ''", arg=error.element_handle())
    return error.inner_text()


def test_slowing_for_a_reaction_steps_back_up_from_the_slower_rate_and_drinks_are_logged(app, plan):
    page = app
    screen(page, "#/infusion")
    page.fill("input[name=started_at]", "1990-01-01T10:00")
    assert "more than 90 days in the past" in error_after(page, "#start-infusion")
    assert not InfusionEpisode.objects.filter(started_at__isnull=False).exists()

    page.fill("input[name=started_at]", timezone.localtime().strftime("%Y-%m-%dT%H:%M"))
    page.click("#start-infusion")
    page.wait_for_selector("#next-step")
    step_one = page.locator("#next-step").inner_text()  # not clicked yet: it names step 2
    page.click("#next-step")
    page.wait_for_function("() => document.getElementById('step-title').textContent.includes('Step 2 of 6')")
    first_rate = plan.rate_protocol.steps[0]
    assert first_rate["unit"] == "mL/kg/h"
    step_one_ml_h = Decimal(str(first_rate["rate"])) * plan.rate_weight_kg

    page.locator("summary", has_text="Log a different rate").click()
    page.fill("input[name=rate_ml_h]", "30")
    page.select_option("select[name=reason]", "reaction_slow")
    page.click("text=Log this rate")
    page.wait_for_function("() => document.getElementById('step-title').textContent.includes('Below step 1 of 6')")
    offered = page.locator("#next-step").inner_text()
    assert offered != step_one
    assert f"{step_one_ml_h.quantize(Decimal('0.1')).normalize():f}" in offered  # step 1, not step 3
    assert "Go up a step only once the symptoms have gone" in page.locator("#slowed-hint").inner_text()

    page.locator("summary", has_text="Add a vial").click()
    page.fill("input[name=lot_number]", "LE12F045")
    page.fill("input[name=expiry_date]", "2030-01-31")
    page.fill("input[name=quantity]", "-3")
    assert "1 to 50" in error_after(page, "#add-vial")

    page.locator("summary", has_text="Log a drink").click()
    page.fill("input[name=volume_ml]", "250")
    page.click("#add-drink")
    page.wait_for_selector("#drinks-total")
    page.evaluate("() => window.ivigapp.syncNow()")
    synced(page)
    assert list(HydrationLog.objects.values_list("phase", "volume_ml")) == [("during", 250)]
    slowed = RateChange.objects.get(rate_ml_h=Decimal("30"))
    assert (slowed.reason, slowed.step_no) == ("reaction_slow", 1)
    assert not VialUsage.objects.exists()
    assert page.problems == []


def test_a_rate_above_the_maximum_says_to_turn_it_down_and_a_rate_change_needs_its_reason(app, plan):
    """A walkthrough logged 300 mL/h (maximum 240) with "Why" left on its first choice, "Slowed for
    a reaction": the card then said "Stay at this rate", and the nurse read "Slowed for a reaction"."""
    page = app
    screen(page, "#/infusion")
    page.fill("input[name=started_at]", timezone.localtime().strftime("%Y-%m-%dT%H:%M"))
    page.click("#start-infusion")
    page.wait_for_selector("#next-step")
    cap, _source = services.rate_cap(plan)
    above = int(cap) + 60
    shown_cap = page.locator("text=Your maximum rate:").inner_text().removeprefix("Your maximum rate: ")

    page.locator("summary", has_text="Log a different rate").click()
    page.fill("input[name=rate_ml_h]", "5000")
    assert "between 0.1 and 1000" in error_after(page, "text=Log this rate")
    page.fill("input[name=rate_ml_h]", str(above))
    assert error_after(page, "text=Log this rate") == "Choose why you changed the rate."  # the last error is gone
    page.select_option("select[name=reason]", "reaction_slow")
    assert "a rate below the one running now" in error_after(page, "text=Log this rate")
    page.select_option("select[name=reason]", "patient_request")
    page.click("text=Log this rate")
    page.locator("#dialog").get_by_role("button", name="Log it").click()
    page.wait_for_selector("#above-cap")
    assert f"Turn the pump down to {shown_cap} or lower" in page.locator("#above-cap").inner_text()
    assert page.locator("#slowed-hint").count() == 0
    assert "Stay at this rate" not in page.locator("#main").inner_text()
    assert page.locator("#next-step").count() == 0  # no step up offered beside "turn it down"

    page.click("#pause")  # "Time at this rate" stops while the infusion is paused
    page.wait_for_selector("#resume")
    page.wait_for_timeout(1100)
    frozen = page.locator("#step-timer").inner_text()
    page.wait_for_timeout(2200)
    assert page.locator("#step-timer").inner_text() == frozen
    page.click("#resume")
    page.locator("summary", has_text="Add a vial").click()
    page.fill("input[name=lot_number]", "LE12F045")
    page.fill("input[name=expiry_date]", "2030-01-31")
    page.fill("input[name=quantity]", "2")
    page.click("#add-vial")
    long_name = "x" * 100  # one long word, as a walkthrough typed: the screen grew to 1041 px
    page.locator("summary", has_text="Log an as-needed medicine").click()
    page.fill("input[name=drug]", long_name)
    page.fill("input[name=dose]", "400 mg")
    page.click("text=Log as-needed medicine")
    page.wait_for_selector(f"text={long_name[:40]}")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 360
    page.evaluate("() => window.ivigapp.syncNow()")
    synced(page)
    logged = RateChange.objects.get(rate_ml_h=Decimal(above))
    assert logged.reason == "patient_request"

    screen(page, "#/diary")  # the diary says why a rate was set, and what a vial's line is
    lines = page.locator(".diary-episode li").all_inner_texts()
    assert any(line.startswith(f"I asked for it · {above} mL/h") for line in lines), lines
    assert any(line.startswith("Step 1 · ") for line in lines), lines
    assert any(line.startswith("Lot number LE12F045 · expires Jan 31, 2030") for line in lines), lines
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 360
    assert page.problems == []


def test_ending_an_infusion_asks_first_and_a_vial_expiring_in_9999_is_refused(app, plan):
    page = app
    screen(page, "#/infusion")
    page.fill("input[name=started_at]", timezone.localtime().strftime("%Y-%m-%dT%H:%M"))
    page.click("#start-infusion")
    page.wait_for_selector("#next-step")
    page.locator("summary", has_text="Add a vial").click()
    page.fill("input[name=lot_number]", "LE12F045")
    page.fill("input[name=expiry_date]", "9999-12-31")
    assert error_after(page, "#add-vial") == "That expiry date is years away. Check the date printed on the vial."

    page.click("#end-infusion")  # one tap used to end it
    dialog = page.locator("#dialog")
    dialog.wait_for()
    assert "End it only once the pump has stopped. How it ended: All given." in dialog.inner_text()
    dialog.get_by_role("button", name="Go back").click()
    assert page.locator("#end-infusion").is_visible()
    page.click("#end-infusion")
    dialog.get_by_role("button", name="End it").click()
    page.wait_for_selector("#next-title")
    page.evaluate("() => window.ivigapp.syncNow()")
    synced(page)
    episode = InfusionEpisode.objects.get()
    assert episode.status == "complete" and episode.ended_at is not None
    assert not VialUsage.objects.exists()
    assert page.problems == []


@pytest.fixture
def infused_a_week_ago(plan):
    user = plan.patient.user
    start = timezone.now() - timedelta(days=7)
    episode = services.episode_schedule(actor=user, patient=plan.patient, plan=plan, scheduled_start=start)
    services.episode_start(actor=user, episode=episode, started_at=start, recorded_at=start)
    services.episode_end(actor=user, episode=episode, ended_at=start + timedelta(hours=3), status="complete")
    return episode


def test_the_checklist_keeps_its_fever_advice_and_prepares_the_infusion_of_the_planned_day(
    browser, live_server, service_worker_built, infused_a_week_ago
):
    context = browser.new_context(base_url=live_server.url, **PHONE)
    page = watch(context.new_page())
    sign_in_to_app(page)
    for name in ("hydrated", "premeds_taken", "fever_or_infection", "anaphylaxis_kit_present"):
        radio = page.locator(f"input[name={name}][value=yes]")
        page.locator(f"label[for='{radio.get_attribute('id')}']").click()
        assert radio.is_checked()
    page.fill("input[name=weight_kg]", "9999")
    page.click("text=Save checklist")
    page.wait_for_selector("text=between 1 and 400")
    assert not InfusionEpisode.objects.filter(status="planned").exists()

    page.fill("input[name=weight_kg]", "70")
    page.click("text=Save checklist")
    page.wait_for_selector("#fever-advice")
    page.evaluate("() => window.ivigapp.syncNow()")
    synced(page)
    page.wait_for_timeout(500)  # the screen is drawn again after the sync
    assert "Do not start" in page.locator("#fever-advice").inner_text()

    planned = InfusionEpisode.objects.get(status="planned")
    expected = infused_a_week_ago.started_at + timedelta(days=infused_a_week_ago.plan.interval_days)
    assert abs(planned.scheduled_start - expected) < timedelta(seconds=1)
    assert planned.fever_or_infection is True and planned.weight_kg == Decimal("70.0")
    assert not Reminder.objects.filter(episode=planned, due_at__lte=timezone.now()).exists()
    # Two weeks away: no drinks to log for it yet (a walkthrough filed "the day before" drinks then).
    assert page.locator("#drinks-title").count() == 0
    # Starting anyway takes a decision, in words the patient saw on Home.
    screen(page, "#/infusion")
    assert "Do not start" in page.locator("#fever-warning").inner_text()
    page.click("#start-infusion")
    page.locator("#dialog").get_by_role("button", name="Do not start").click()
    page.wait_for_timeout(300)
    assert not InfusionEpisode.objects.filter(status="in_progress").exists()
    page.click("#start-infusion")
    page.locator("#dialog").get_by_role("button", name="My care team said to start").click()
    page.wait_for_selector("#next-step")
    assert page.problems == []
    context.close()


def test_a_temperature_in_fahrenheit_a_pain_score_out_of_range_and_a_missing_severity_are_refused(app):
    """A walkthrough saved a pain score of 999 (the nurse read "pain 10/10") and a ticked symptom with
    "How bad is it?" unanswered (the nurse read "mild": it was ticked in advance)."""
    page = app
    screen(page, "#/unwell")
    answer_red_flags(page)
    page.wait_for_selector("#symptoms")
    page.fill("input[name=temperature_c]", "98.6")
    page.locator("#symptoms button[type=submit]").click()
    error = page.locator("#symptoms .error")
    error.wait_for()
    assert error.inner_text() == "98.6 looks like degrees Fahrenheit, which is 37 °C. Enter it in °C."
    page.fill("input[name=temperature_c]", "37.2")
    headache = page.locator("#symptoms li.symptom", has_text="Headache")
    headache.locator("input[type=checkbox]").check()
    assert headache.locator("input[type=radio]:checked").count() == 0, "no severity is chosen for the patient"
    page.locator("#symptoms button[type=submit]").click()
    page.wait_for_function("e => e.textContent.startsWith('Choose how bad')", arg=error.element_handle())
    assert page.evaluate("() => document.activeElement.type") == "radio"
    headache.locator(".choices label").nth(1).click()  # moderate, then unticked and ticked again:
    headache.locator("input[type=checkbox]").uncheck()  # the choice shown must be the one saved
    headache.locator("input[type=checkbox]").check()
    assert headache.locator("input[type=radio]:checked").count() == 0
    headache.locator(".choices label").nth(2).click()  # severe
    score = headache.locator("input[name^=nrs-]")
    score.fill("999")
    score.dispatch_event("change")
    page.locator("#symptoms button[type=submit]").click()
    page.wait_for_function("e => e.textContent.startsWith('Enter a pain score')", arg=error.element_handle())
    assert score.input_value() == "999", "what the patient typed is not changed behind their back"
    score.fill("8")
    score.dispatch_event("change")
    page.locator("#symptoms button[type=submit]").click()
    page.wait_for_selector("#advice")
    page.evaluate("() => window.ivigapp.syncNow()")
    synced(page)
    (report,) = SymptomReport.objects.all()
    assert report.symptoms == {"HEADACHE": {"severity": 3, "nrs": 8}}
    assert page.problems == []


def test_day_two_of_a_course_is_prepared_for_the_next_day(browser, live_server, service_worker_built, plan):
    """A two-day course: the checklist after day 1 prepares day 2 for the day after, not for the next
    course weeks later (its premedication reminder would have gone out weeks late)."""
    Plan.objects.filter(pk=plan.pk).update(course_days=2)
    user = plan.patient.user
    start = timezone.now() - timedelta(hours=20)
    day_one = services.episode_schedule(actor=user, patient=plan.patient, plan=plan, scheduled_start=start)
    services.episode_start(actor=user, episode=day_one, started_at=start)
    services.episode_end(actor=user, episode=day_one, ended_at=start + timedelta(hours=4), status="complete")
    context = browser.new_context(base_url=live_server.url, **PHONE)
    page = watch(context.new_page())
    sign_in_to_app(page)
    radio = page.locator("input[name=fever_or_infection][value=no]")
    page.locator(f"label[for='{radio.get_attribute('id')}']").click()
    page.click("text=Save checklist")  # one answer of four: nothing is saved
    page.wait_for_selector("text=Answer each question with yes or no.")
    assert page.evaluate("() => document.activeElement.name") == "hydrated"
    for name in ("hydrated", "premeds_taken", "anaphylaxis_kit_present"):
        radio = page.locator(f"input[name={name}][value=yes]")
        page.locator(f"label[for='{radio.get_attribute('id')}']").click()
    assert not page.evaluate(
        """async () => {
            const store = await import("/static/js/app/store.js");
            return (await store.rowsOf("infusion_episode")).some((row) => row.status === "planned");
        }"""
    )
    page.click("text=Save checklist")
    page.wait_for_function(
        """async () => {
            const store = await import("/static/js/app/store.js");
            return (await store.rowsOf("infusion_episode")).some((row) => row.status === "planned");
        }"""
    )
    page.evaluate("() => window.ivigapp.syncNow()")
    synced(page)
    day_two = InfusionEpisode.objects.get(status="planned")
    assert day_two.course_day == 2
    assert abs(day_two.scheduled_start - (start + timedelta(days=1))) < timedelta(seconds=1)
    assert (day_two.hydrated, day_two.premeds_taken, day_two.fever_or_infection) == (True, True, False)
    page.wait_for_timeout(500)  # the screen is drawn again after the sync; the saved state stays
    assert page.locator(".form-status").inner_text() == "Checklist saved."
    assert page.problems == []
    context.close()
