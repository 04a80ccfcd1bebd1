"""A session that ends while the phone is offline locks the app but keeps the outbox; after the
patient signs in again the entries are sent. A server that expects other mutation ids (409
mutation_gap) gets the outbox renumbered, in order, and nothing is lost."""

from datetime import timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from ivigapp.reactions import services
from ivigapp.reactions.models import FollowUpCheck, InfusionEpisode, RateChange
from ivigapp.sync.models import MutationLog
from tests.browser.conftest import screenshot
from tests.browser.pwa_support import (
    PHONE,
    answer_red_flags,
    pending,
    screen,
    service_worker_built,
    sign_in_to_app,
    signed_in_phone,
    synced,
    watch,
)
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
__all__ = ["service_worker_built"]


@pytest.fixture
def app(browser, live_server, plan, service_worker_built):
    with signed_in_phone(browser, live_server) as page:
        yield page


def start_infusion_offline(page):
    page.context.set_offline(True)
    screen(page, "#/infusion")
    page.click("#start-infusion")
    page.wait_for_selector("#next-step")
    assert pending(page) == 3


def test_a_session_that_ends_offline_locks_the_app_and_keeps_the_outbox(app, plan):
    page = app
    start_infusion_offline(page)
    page.context.clear_cookies()  # the session ends (expiry or revocation) while offline
    page.context.set_offline(False)
    page.wait_for_function("() => document.getElementById('main').dataset.screen === 'locked'")
    assert "3 entries are waiting to be sent." in page.locator("#main").inner_text()
    assert page.locator("#main a.call-emergency").get_attribute("href") == "tel:999"
    assert pending(page) == 3
    assert not InfusionEpisode.objects.exists()
    screenshot(page, "pwa-locked-with-outbox")

    page.get_by_role("link", name="Sign in").click()
    page.fill("#id_username", "patient")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/app/")
    synced(page)
    episode = InfusionEpisode.objects.get(patient=plan.patient)
    assert episode.status == "in_progress"
    assert RateChange.objects.filter(episode=episode).count() == 1
    assert page.problems == []


def test_a_mutation_gap_renumbers_the_outbox_in_order(app, plan):
    page = app
    start_infusion_offline(page)
    page.evaluate(
        """async () => {
            const store = await import("/static/js/app/store.js");
            await store.db.transaction("rw", store.db.outbox, store.db.meta, async () => {
                const all = await store.db.outbox.orderBy("id").toArray();
                await store.db.outbox.clear();
                for (const mutation of all) await store.db.outbox.add({ ...mutation, id: mutation.id + 10 });
                await store.setMeta("next_mutation_id", 14);
            });
        }"""
    )
    page.context.set_offline(False)
    page.evaluate("() => window.ivigapp.syncNow()")
    synced(page)
    log = list(MutationLog.objects.order_by("mutation_id").values_list("mutation_id", "result", "payload__table"))
    assert log == [
        (1, "applied", "infusion_episode"),
        (2, "applied", "infusion_episode"),
        (3, "applied", "rate_change"),
    ]
    assert InfusionEpisode.objects.get(patient=plan.patient).status == "in_progress"
    assert page.problems == []


@pytest.fixture
def ended_yesterday(plan):
    """An infusion that ended 25 hours ago: its 24-hour check-in is open now."""
    user = plan.patient.user
    start = timezone.now() - timedelta(hours=28)
    episode = services.episode_schedule(actor=user, patient=plan.patient, plan=plan, scheduled_start=start)
    services.episode_start(actor=user, episode=episode, started_at=start)
    services.rate_change_record(actor=user, episode=episode, at=start, rate_ml_h=Decimal("35"))
    services.episode_end(actor=user, episode=episode, ended_at=start + timedelta(hours=3), status="complete")
    return FollowUpCheck.objects.get(episode=episode, kind="h24")


def test_an_open_check_in_is_answered_with_the_checklist_and_closes(
    browser, live_server, ended_yesterday, service_worker_built
):
    context = browser.new_context(base_url=live_server.url, **PHONE)
    page = watch(context.new_page())
    sign_in_to_app(page)
    assert "Check-in due" in page.locator("#main").inner_text()
    screen(page, "#/checks")
    started = timezone.localtime(ended_yesterday.episode.started_at, ZoneInfo(ended_yesterday.patient.timezone))
    expected = f"After the infusion of {started:%b} {started.day}, {started.year}"  # two infusions' checks read alike
    assert page.locator(".check-infusion").first.inner_text() == expected
    page.get_by_role("link", name="Answer now").click()
    page.wait_for_selector("#red-flags")
    answer_red_flags(page)
    page.wait_for_selector("#symptoms")
    page.fill("textarea[name=free_text]", "A slight headache this morning.")
    page.locator("#symptoms button[type=submit]").click()
    page.wait_for_selector("#advice")
    page.evaluate("() => window.ivigapp.syncNow()")
    synced(page)
    ended_yesterday.refresh_from_db()
    assert ended_yesterday.completed_at is not None
    assert ended_yesterday.report.free_text == "A slight headache this morning."
    screen(page, "#/checks")
    assert "Nothing to answer now." in page.locator("#main").inner_text()
    assert page.problems == []
    context.close()


def test_an_entry_the_server_refuses_is_kept_and_shown_with_its_message(app, plan):
    page = app
    screen(page, "#/infusion")
    page.click("#start-infusion")
    page.wait_for_selector("#next-step")
    page.evaluate(
        """async () => {
            const store = await import("/static/js/app/store.js");
            const open = (await store.rowsOf("infusion_episode")).find((row) => row.status === "in_progress");
            await store.write("vial", null, {episode_id: open.id, lot_number: "??", expiry_date: "2030-01-01",
                                             vial_size_g: "10", quantity: 1});
        }"""
    )
    page.evaluate("() => window.ivigapp.syncNow()")
    synced(page)
    assert MutationLog.objects.filter(result="rejected", payload__table="vial").count() == 1
    screen(page, "#/sync")
    refused = page.locator(".card.rejected")
    assert refused.count() == 1
    assert "Lot number: Enter the lot number as printed" in refused.inner_text()
    assert "Vial (??)" in refused.inner_text()  # which entry: the lot as typed
    screen(page, "#/diary")
    assert page.locator(".badge-rejected").count() == 1
    screenshot(page, "pwa-diary-refused")
    screen(page, "#/sync")
    page.get_by_role("button", name="Dismiss").click()
    page.wait_for_selector("text=Nothing was refused.")
    assert page.problems == []


def test_a_refused_change_no_longer_marks_its_entry_once_a_later_change_is_saved(app, plan):
    """The walkthrough saw "Not saved" on an infusion the nurse could see: the checklist was refused
    once (weight 9999), then saved. The entry is saved; the refused change stays listed, saying so."""
    page = app
    screen(page, "#/infusion")
    page.click("#start-infusion")
    page.wait_for_selector("#next-step")
    write_checklist = """async (weight) => {
        const store = await import("/static/js/app/store.js");
        const open = (await store.rowsOf("infusion_episode")).find((row) => row.status === "in_progress");
        await store.write("infusion_episode", open.id, {hydrated: true, premeds_taken: true,
            fever_or_infection: false, anaphylaxis_kit_present: true, weight_kg: weight});
    }"""
    page.evaluate(write_checklist, "9999.0")
    page.evaluate("() => window.ivigapp.syncNow()")
    synced(page)
    screen(page, "#/diary")
    assert page.locator(".badge-rejected").count() == 1
    page.evaluate(write_checklist, "70.0")
    page.evaluate("() => window.ivigapp.syncNow()")
    synced(page)
    assert InfusionEpisode.objects.get().weight_kg == Decimal("70.0")
    screen(page, "#/diary")
    page.wait_for_selector(".badge-synced")
    assert page.locator(".badge-rejected").count() == 0
    screen(page, "#/sync")
    assert "A later change of this entry was saved; this change was not." in page.locator(".card.rejected").inner_text()
    assert page.problems == []


def test_a_server_that_needs_a_newer_app_keeps_the_outbox_and_asks_for_the_update(app, plan, settings):
    page = app
    start_infusion_offline(page)
    settings.SYNC_SCHEMA_RANGE = (2, 2)  # the server no longer speaks this app's schema 1: 426
    page.context.set_offline(False)
    page.evaluate("() => window.ivigapp.syncNow()")
    page.wait_for_function("() => window.ivigapp.status().phase === 'update'")
    assert "must be updated" in page.locator("#banner").inner_text()
    assert pending(page) == 3
    assert not InfusionEpisode.objects.exists()
