"""Phone numbers on the call buttons read left to right in a right-to-left language: in Arabic the
care team's "+44 20 7946 0000" is drawn with the plus sign first, not as "0000 7946 20 44+"."""

import pytest

from tests.browser.pwa_support import (
    PHONE,
    answer_red_flags,
    screen,
    service_worker_built,
    sign_in_to_app,
    watch,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
__all__ = ["service_worker_built"]

NUMBER = "+44 20 7946 0000"

# Where each character of the number is drawn: the x of its box's left edge, in reading order.
LAYOUT = """() => {
    const number = document.querySelector(".call-team .call-number");
    const text = number.firstChild;
    const lefts = [];
    for (let i = 0; i < text.length; i++) {
        if (text.data[i] === " ") continue;
        const range = document.createRange();
        range.setStart(text, i);
        range.setEnd(text, i + 1);
        lefts.push(range.getBoundingClientRect().left);
    }
    return {
        page: document.documentElement.dir,
        tag: number.tagName.toLowerCase(),
        direction: getComputedStyle(number).direction,
        text: number.textContent,
        href: number.closest("a").getAttribute("href"),
        left_to_right: lefts.every((left, i) => i === 0 || left > lefts[i - 1]),
    };
}"""


@pytest.mark.parametrize("language", ["ar", "en"])
def test_the_care_team_number_reads_left_to_right(browser, live_server, plan, service_worker_built, language):
    patient = plan.patient
    patient.care_team_phone = NUMBER
    patient.language = language
    patient.save(update_fields=["care_team_phone", "language"])
    context = browser.new_context(base_url=live_server.url, **PHONE)
    context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    page = watch(context.new_page())
    sign_in_to_app(page)
    screen(page, "#/unwell")
    answer_red_flags(page, yes=("RF_FAINT",))  # straight to the advice, with the call buttons
    page.wait_for_selector("#advice .call-team .call-number")

    assert page.evaluate(LAYOUT) == {
        "page": "rtl" if language == "ar" else "ltr",
        "tag": "bdi",
        "direction": "ltr",
        "text": NUMBER,
        "href": "tel:+442079460000",
        "left_to_right": True,
    }
    assert page.problems == []
    context.close()
