"""The first install of the offline app survives a dropped download.

The service worker's first install fetches every file of the app; one dropped connection fails
it, and the browser forgets the registration until the app is next opened. A patient on a poor
phone network could then go days without the offline app. The app tries again by itself and the
sync screen says where it stands."""

import pytest

from tests.browser.conftest import screenshot
from tests.browser.pwa_support import PHONE, screen, service_worker_built, sign_in_to_app, watch

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
__all__ = ["service_worker_built"]


def test_the_offline_app_installs_after_a_dropped_download(browser, live_server, patient, service_worker_built):
    context = browser.new_context(base_url=live_server.url, **PHONE)
    dropped = []

    def drop_the_first_download(route):
        # Only the worker's precache fetch: the page's own request for the stylesheet goes through.
        if route.request.service_worker is not None and not dropped:
            dropped.append(route.request.url)
            route.abort("connectionreset")
        else:
            route.continue_()

    context.route("**/static/css/app.css*", drop_the_first_download)
    page = watch(context.new_page())
    try:
        sign_in_to_app(page, controlled=False)
        # No navigation from here on: the browser itself would try again only at the next page load.
        page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=30000)
        assert len(dropped) == 1
        screen(page, "#/sync")
        assert page.locator("#offline-ready").inner_text() == "Yes"
        screenshot(page, "pwa-offline-ready")

        # And it is the real thing: the app opens with no connection at all.
        context.set_offline(True)
        page.reload()
        page.wait_for_selector("#main h1")
        assert page.evaluate("() => document.getElementById('main').dataset.screen") == "sync"
        assert "Offline" in page.locator("#main").inner_text()
    finally:
        context.close()


def test_while_the_download_keeps_failing_the_sync_screen_says_so_and_the_app_catches_up(
    browser, live_server, patient, service_worker_built
):
    context = browser.new_context(base_url=live_server.url, **PHONE)
    failed = []

    def fail_every_download(route):
        if route.request.service_worker is not None:
            failed.append(route.request.url)
            route.abort("internetdisconnected")
        else:
            route.continue_()

    context.route("**/static/css/app.css*", fail_every_download)
    page = watch(context.new_page())
    page.clock.install()
    try:
        sign_in_to_app(page, controlled=False)
        screen(page, "#/sync")
        page.wait_for_function("() => window.ivigapp.offlineState() === 'retrying'")
        assert page.locator("#offline-ready").inner_text().startswith("Not yet: the download stopped.")
        screenshot(page, "pwa-offline-not-ready")

        # The page's clock stops, so no timed retry can come: the connection's return must do it.
        # (Stopping it 1 s ahead runs any retry due in that second; it fails like the others.)
        page.clock.pause_at(page.evaluate("() => Date.now()") / 1000 + 1)  # seconds here
        page.wait_for_function("() => window.ivigapp.offlineState() === 'retrying'", polling=100)
        tries = len(failed)
        context.unroute("**/static/css/app.css*")
        context.set_offline(True)
        context.set_offline(False)
        page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=30000)
        page.wait_for_function("() => document.getElementById('offline-ready').textContent === 'Yes'")
        assert page.evaluate("() => document.getElementById('main').dataset.screen") == "sync"
        assert len(failed) == tries
    finally:
        context.close()
