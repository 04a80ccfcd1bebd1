"""The first install of the offline app survives a dropped download.

The service worker's first install fetches every file of the app; one dropped connection fails
it, and the browser forgets the registration until the app is next opened. A patient on a poor
phone network could then go days without the offline app. The app tries again by itself and the
sync screen says where it stands."""

import math

import pytest

from tests.browser.conftest import screenshot
from tests.browser.pwa_support import PHONE, screen, service_worker_built, sign_in_to_app, storage_state, watch

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
__all__ = ["service_worker_built"]


class WorkerDownloads:
    """Routes the service worker's requests for `pattern` (the page's own go through): the next
    `fail` of them are dropped with `error`, and each is logged as "failed" or "sent"."""

    def __init__(self, context, pattern, fail, error="internetdisconnected"):
        self.log, self.fail, self.error = [], fail, error
        context.route(pattern, self._route)

    def _route(self, route):
        if route.request.service_worker is None:
            route.continue_()
        elif self.fail > 0:
            self.fail -= 1
            self.log.append("failed")
            route.abort(self.error)
        else:
            self.log.append("sent")
            route.continue_()


def test_the_offline_app_installs_after_a_dropped_download(browser, live_server, patient, service_worker_built):
    context = browser.new_context(base_url=live_server.url, **PHONE)
    downloads = WorkerDownloads(context, "**/static/css/app.css*", fail=1, error="connectionreset")
    page = watch(context.new_page())
    try:
        sign_in_to_app(page, controlled=False)
        # No navigation from here on: the browser itself would try again only at the next page load.
        page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=30000)
        assert downloads.log == ["failed", "sent"]
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
    downloads = WorkerDownloads(context, "**/static/css/app.css*", fail=math.inf)
    page = watch(context.new_page())
    page.clock.install()
    try:
        sign_in_to_app(page, controlled=False)
        screen(page, "#/sync")
        page.wait_for_function("() => window.ivigapp.offlineState() === 'retrying'")
        assert page.locator("#offline-ready").inner_text().startswith("Not yet: the download stopped.")
        screenshot(page, "pwa-offline-not-ready")

        # The page's clock stops, so no timed retry can come: the connection's return must do it.
        # Stopping it 10 s ahead (a margin for a slow box) runs the retries due by then; they
        # fail like the others.
        page.clock.pause_at(page.evaluate("() => Date.now()") / 1000 + 10)  # seconds here
        page.wait_for_function("() => window.ivigapp.offlineState() === 'retrying'", polling=100)
        tries = len(downloads.log)
        downloads.fail = 0
        context.set_offline(True)
        context.set_offline(False)
        page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=30000)
        page.wait_for_function("() => document.getElementById('offline-ready').textContent === 'Yes'")
        assert page.evaluate("() => document.getElementById('main').dataset.screen") == "sync"
        assert downloads.log[tries:] == ["sent"]  # one try, at the connection's return
        assert set(downloads.log[:tries]) == {"failed"}
    finally:
        context.close()


def test_signing_out_offline_stops_the_tries_so_nothing_comes_back(browser, live_server, patient, service_worker_built):
    context = browser.new_context(base_url=live_server.url, **PHONE)
    downloads = WorkerDownloads(context, "**/*", fail=math.inf)
    page = watch(context.new_page())
    try:
        sign_in_to_app(page, controlled=False)
        page.wait_for_function("() => window.ivigapp.offlineState() === 'retrying'")
        context.set_offline(True)
        screen(page, "#/settings")
        page.click("#sign-out")
        page.wait_for_selector("text=Signed out on this phone")
        downloads.fail = 0
        with page.expect_navigation(url="**/accounts/login/"):
            context.set_offline(False)  # the page sends the sign-out; a retry would race it
        page.wait_for_timeout(3000)  # longer than a whole install takes here
        assert "sent" not in downloads.log
        assert storage_state(page) == {"databases": [], "caches": {}, "local_storage": 0, "registrations": 0}
    finally:
        context.close()
