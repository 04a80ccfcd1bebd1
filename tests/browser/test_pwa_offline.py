"""The offline story end to end (issue 6): a patient signs in on a 360 px phone, loses the
network, logs an infusion with two rate steps and a vial and a reaction with a red flag, sees the
emergency advice at once, reloads with no network, and when the network comes back every entry
reaches the server exactly once and the nurse's alert queue shows the red flag."""

import pytest
from django.test import Client

from ivigapp.reactions.models import Alert, InfusionEpisode, RateChange, SymptomReport, VialUsage
from ivigapp.sync.models import MutationLog, SyncClient
from tests.browser.conftest import screenshot
from tests.browser.pwa_support import (
    PHONE,
    answer_red_flags,
    pending,
    screen,
    service_worker_built,
    sign_in_to_app,
    synced,
    watch,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
__all__ = ["service_worker_built"]


@pytest.fixture
def phone_app(browser, live_server, service_worker_built, plan):
    patient = plan.patient
    patient.care_team_phone = "+44 20 7946 0000"
    patient.save(update_fields=["care_team_phone"])
    context = browser.new_context(base_url=live_server.url, **PHONE)
    page = watch(context.new_page())
    yield page
    context.close()


def test_entries_made_offline_reach_the_server_exactly_once_and_the_nurse_sees_the_red_flag(phone_app, plan, nurse):
    page = phone_app
    patient = plan.patient
    sign_in_to_app(page)
    assert page.locator("h1").inner_text().startswith("Hello")

    page.context.set_offline(True)
    screen(page, "#/infusion")
    page.click("#start-infusion")
    page.wait_for_selector("#next-step")
    assert "Step 1 of 6" in page.locator("#step-title").inner_text()
    page.click("#next-step")
    page.wait_for_function("() => document.getElementById('step-title').textContent.includes('Step 2 of 6')")
    page.locator("summary", has_text="Add a vial").click()
    page.fill("input[name=lot_number]", "le12f045")
    page.fill("input[name=expiry_date]", "2030-01-31")
    page.click("#add-vial")
    page.wait_for_selector("text=LE12F045")
    assert "expires Jan 31, 2030" in page.locator("#vials-title + ul").inner_text()  # not 2030-01-31
    screenshot(page, "pwa-offline-infusion")

    screen(page, "#/unwell")
    answer_red_flags(page, yes={"RF_CHEST"})
    advice = page.locator("#advice")
    advice.wait_for()
    assert page.locator("#advice-title").inner_text() == "Get help now"
    assert "Stop the infusion and call the emergency number now." in advice.inner_text()
    assert advice.locator("a.call-emergency").get_attribute("href") == "tel:999"
    assert advice.locator("a.call-team").get_attribute("href") == "tel:+442079460000"
    screenshot(page, "pwa-offline-advice")
    waiting = pending(page)
    assert waiting == 6  # episode, start, step 1, step 2, vial, report
    assert SymptomReport.objects.count() == 0

    # A reload with no network: the service worker serves the shell, IndexedDB still holds all.
    response = page.reload()
    assert response.from_service_worker
    page.wait_for_selector("#main h1")
    assert pending(page) == waiting
    screen(page, "#/diary")
    assert page.locator(".badge-pending").count() >= 4
    assert "LE12F045" in page.locator("#main").inner_text()
    screenshot(page, "pwa-offline-diary")

    page.context.set_offline(False)
    synced(page)
    screen(page, "#/diary")
    page.wait_for_function("() => document.querySelectorAll('#main .badge-pending').length === 0")

    client = SyncClient.objects.get(user=patient.user)
    log = list(MutationLog.objects.filter(client=client).order_by("mutation_id"))
    assert [m.mutation_id for m in log] == [1, 2, 3, 4, 5, 6]
    assert {m.result for m in log} == {"applied"}
    episode = InfusionEpisode.objects.get(patient=patient)
    assert episode.status == "in_progress" and episode.started_at is not None
    assert str(episode.pk) == log[0].payload["row_id"]
    assert sorted(RateChange.objects.filter(episode=episode).values_list("step_no", flat=True)) == [1, 2]
    assert list(VialUsage.objects.filter(episode=episode).values_list("lot_number", flat=True)) == ["LE12F045"]
    report = SymptomReport.objects.get(patient=patient)
    assert report.red_flags() == ["RF_CHEST"] and report.episode_id == episode.pk
    alert = Alert.objects.get(report=report)
    assert alert.level == "emergency"

    queue = Client()
    queue.force_login(nurse)
    html = queue.get("/nurse/alerts/").content.decode()
    assert patient.display_name in html and "level-emergency" in html
    assert page.problems == []
