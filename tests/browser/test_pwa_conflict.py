"""A conflict shown in the app is settled by the patient's choice, on the server too (SYNC.md 2.6):
the chosen value is written, the conflict is marked resolved for every device and leaves the
nurse's list."""

import pytest

from ivigapp.sync.models import SyncConflict
from tests.browser.pwa_support import PHONE, screen, service_worker_built, sign_in_to_app, synced, watch
from tests.sync.conftest import Device

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
__all__ = ["service_worker_built"]


def test_choosing_a_value_settles_the_conflict_for_everyone(
    browser, live_server, drink_in_conflict, nurse, service_worker_built
):
    context = browser.new_context(base_url=live_server.url, **PHONE)
    page = watch(context.new_page())
    sign_in_to_app(page)
    screen(page, "#/sync")
    page.wait_for_selector(".conflict")
    page.locator(".conflict button", has_text="300").click()
    page.wait_for_selector(".conflict", state="detached")
    synced(page)

    drink_in_conflict.refresh_from_db()
    conflict = SyncConflict.objects.get()
    assert drink_in_conflict.volume_ml == 300
    assert conflict.resolved_at is not None and conflict.resolved_by == drink_in_conflict.patient.user
    # The nurse's page lists open conflicts only; another device pulls the settled one.
    nurse_page = Device(nurse).http.get(f"/nurse/patients/{drink_in_conflict.patient_id}/")
    assert nurse_page.status_code == 200 and list(nurse_page.context["conflicts"]) == []
    other = Device(drink_in_conflict.patient.user)
    other.pull_all()
    assert other.replica[("sync_conflict", str(conflict.pk))]["row"]["resolved_at"] is not None

    page.reload()
    screen(page, "#/sync")
    page.wait_for_selector("text=No conflicts.")
    assert page.problems == []
    context.close()
