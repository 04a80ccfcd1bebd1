"""Every screen of the patient app at 360 px, in English and in Arabic (right to left): axe-core
finds no WCAG 2.2 A/AA violation, nothing scrolls sideways, and a screenshot of each is saved in
var/screenshots/ for people to look at."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from ivigapp.patients.roles import ROLE_ADMIN
from ivigapp.protocols.content.demo import content_demo_seed
from ivigapp.reactions import services
from ivigapp.reactions.models import Alert, HydrationLog
from tests.browser.conftest import screenshot
from tests.browser.pwa_support import PHONE, ROOT, answer_red_flags, screen, service_worker_built, sign_in_to_app, watch
from tests.clinical_fixtures import red_flags
from tests.conftest import make_staff
from tests.sync.conftest import Device

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
__all__ = ["service_worker_built"]

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
AXE_RUN = """async () => {
    const tags = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"];
    const result = await axe.run(document, {runOnly: {type: "tag", values: tags}});
    return result.violations.map((v) => {
        const where = v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ");
        return `${v.id} (${v.impact}): ${where}`;
    });
}"""


def check(page, name, language):
    """axe-core on the screen as shown, no sideways scrolling at 360 px, and a screenshot."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    assert page.evaluate(AXE_RUN) == [], f"{name} ({language})"
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 360, f"{name} ({language}) scrolls sideways: {width} px"
    screenshot(page, f"pwa-{language}-{name}")


@pytest.fixture
def history(episode, admin_user, nurse):
    """A finished infusion with a red-flag report the nurse has seen and annotated, a drink whose
    volume two devices changed differently (a conflict), follow-up checks, and published content."""
    patient = episode.patient
    user = patient.user
    patient.care_team_phone = "+44 20 7946 0000"
    patient.save(update_fields=["care_team_phone"])
    content_demo_seed(author=admin_user, approver=make_staff("approver", ROLE_ADMIN))
    drink = services.hydration_record(
        actor=user, episode=episode, phase=HydrationLog.Phase.DURING, volume_ml=250, logged_at=timezone.now()
    )
    phone, tablet = Device(user), Device(user)
    for device, volume in ((phone, 300), (tablet, 500)):
        device.write("hydration", drink.pk, set={"volume_ml": volume}, base_version=1, base={"volume_ml": 250})
        assert device.push().status_code == 200
    report = services.symptom_report_submit(
        actor=user,
        patient=patient,
        episode=episode,
        onset_at=timezone.now() - timedelta(minutes=30),
        red_flag_answers=red_flags("RF_FAINT"),
        symptoms={},
        free_text="Felt faint for a minute.",
    )
    alert = Alert.objects.get(report=report)
    services.alert_acknowledge(actor=nurse, alert=alert)
    services.alert_annotate(actor=nurse, alert=alert, text="I will call you in ten minutes.")
    # A pump rate above the cap raises an alert with no report of the patient's; the nurse's note
    # on it belongs in the diary all the same.
    too_fast = services.rate_change_record(
        actor=user, episode=episode, at=episode.started_at + timedelta(minutes=90), rate_ml_h=Decimal("999")
    )
    cap_alert = Alert.objects.get(source=Alert.Source.RATE_CAP, episode=episode)
    assert too_fast.exceeds_cap and cap_alert.report_id is None
    services.alert_annotate(actor=nurse, alert=cap_alert, text="Please keep the pump at the step I gave you.")
    services.episode_end(actor=user, episode=episode, ended_at=timezone.now() - timedelta(minutes=1), status="complete")
    return patient


@pytest.mark.parametrize("language", ["en", "ar"])
def test_every_screen_passes_axe_at_360_px(browser, live_server, history, service_worker_built, language):
    history.language = language
    history.save(update_fields=["language"])
    context = browser.new_context(base_url=live_server.url, bypass_csp=True, **PHONE)
    context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    page = watch(context.new_page())

    page.goto("/app/")
    page.wait_for_selector("#sign-in")
    assert page.evaluate("() => document.documentElement.dir") == ("rtl" if language == "ar" else "ltr")
    check(page, "welcome", language)

    sign_in_to_app(page)
    # The nurse's notes of the last days are on Home too, newest first (they were only in the diary).
    notes = page.locator("#nurse-notes .nurse-note p[dir=auto]")
    notes.first.wait_for()
    newest_first = ["Please keep the pump at the step I gave you.", "I will call you in ten minutes."]
    assert notes.all_inner_texts() == newest_first
    check(page, "home", language)
    screen(page, "#/checks")
    assert page.locator("#main li").count() >= 3  # the 24, 48 and 72 h check-ins are coming up
    check(page, "checks", language)
    screen(page, "#/diary")
    page.wait_for_selector(".receipt-seen")
    assert page.locator(".nurse-note").count() == 2
    assert "Please keep the pump at the step I gave you." in page.locator(".nurse-message").inner_text()
    check(page, "diary", language)
    screen(page, "#/content")
    page.wait_for_selector(".link-list a")
    check(page, "content", language)
    screen(page, "#/content/ADV_CALL_EMERGENCY_NOW")
    check(page, "content-item", language)
    screen(page, "#/settings")
    check(page, "settings", language)
    screen(page, "#/sync")
    page.wait_for_selector(".conflict")
    check(page, "sync", language)

    screen(page, "#/infusion")
    check(page, "infusion-start", language)
    page.click("#start-infusion")
    page.wait_for_selector("#next-step")
    for summary in page.locator("#main details > summary").all():
        summary.click()
    check(page, "infusion", language)

    screen(page, "#/unwell")
    check(page, "unwell-questions", language)
    answer_red_flags(page, yes=())
    page.wait_for_selector("#symptoms")
    symptom = page.locator("#symptoms .symptom").first
    symptom.locator("input[type=checkbox]").check()
    symptom.locator(".choices label").nth(1).click()
    symptom.locator("input[type=number]").fill("6")
    check(page, "unwell-checklist", language)
    page.locator("#symptoms button[type=submit]").click()
    page.wait_for_selector("#advice")
    check(page, "unwell-advice", language)

    context.clear_cookies()
    page.evaluate("() => window.ivigapp.syncNow()")
    page.wait_for_function("() => document.getElementById('main').dataset.screen === 'locked'")
    check(page, "locked", language)
    assert page.problems == []
    context.close()


@pytest.mark.parametrize("language", ["es", "en"])
def test_questions_sit_inside_their_box_and_the_unwell_tab_fits(browser, live_server, plan, language):
    """A question that wraps onto several lines had its box's border run through it, and in Spanish
    the "I feel unwell" tab wrapped onto three lines and grew the bar."""
    context = browser.new_context(base_url=live_server.url, **PHONE)
    context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    page = watch(context.new_page())
    sign_in_to_app(page)
    screen(page, "#/unwell", ready="#red-flags")
    for box in page.locator("#red-flags fieldset").all():
        legend, border = box.locator("legend").bounding_box(), box.bounding_box()
        assert legend["y"] >= border["y"] + 1, "the border runs through the question"
    bar = page.locator(".tabbar").bounding_box()
    assert bar["height"] <= 61, bar  # as in English: every label on one line (Spanish wrapped onto three)
    assert page.problems == []
    context.close()
