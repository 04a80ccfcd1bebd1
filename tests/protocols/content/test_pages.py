import re

import pytest

from ivigapp.protocols.content import services
from ivigapp.protocols.content.models import ContentView

from .conftest import draft, publish, published, translate

pytestmark = pytest.mark.django_db

STATUS = "/content/status/"


@pytest.fixture
def catalogue(admin_user, approver):
    """Three items: fully reviewed, one language awaiting review, and a published update."""
    everything = {"es": ("T", "B."), "fr": ("T", "B."), "ar": ("ع", "ن.")}
    published(admin_user, approver, "ADV_A", translations=everything)
    partly = published(admin_user, approver, "ADV_B", translations={"es": ("T", "B.")})
    translate(admin_user, approver, partly, "fr", "T", "Pas relu.", review=False)
    published(admin_user, approver, "hydration", kind="hydration", translations={"es": ("T", "B."), "fr": ("T", "B.")})
    publish(admin_user, approver, draft(admin_user, "hydration", body="Drink more."))
    draft(admin_user, "ADV_A", body="Next version in progress.")


def cells(html):
    return re.findall(r'<td class="cell (status|source)-(\w+)">', html)


def test_the_status_page_counts_missing_outdated_and_awaiting_review(client, admin_user, catalogue):
    client.force_login(admin_user)
    response = client.get(STATUS)
    assert response.status_code == 200
    counts = response.context["counts"]
    # ADV_A: all reviewed. ADV_B: es reviewed, fr draft, ar missing. hydration v2: es, fr outdated, ar missing.
    assert (counts["missing"], counts["outdated"], counts["awaiting_review"], counts["items"]) == (2, 2, 1, 3)
    html = response.content.decode()
    assert 'class="cell status-outdated"' in html and 'class="cell status-draft"' in html
    assert 'class="cell status-missing"' in html and 'class="cell status-reviewed"' in html
    assert "v2 Draft: compare" in html  # ADV_A has a newer version in progress


def test_the_status_page_filters_by_kind_status_and_language(client, admin_user, catalogue):
    client.force_login(admin_user)
    keys = lambda response: [row.item.key for row in response.context["rows"]]  # noqa: E731
    assert keys(client.get(STATUS, {"kind": "hydration"})) == ["hydration"]
    assert keys(client.get(STATUS, {"status": "outdated"})) == ["hydration"]
    assert keys(client.get(STATUS, {"status": "missing"})) == ["ADV_B", "hydration"]
    assert keys(client.get(STATUS, {"status": "missing", "language": "es"})) == []
    assert keys(client.get(STATUS, {"status": "draft", "language": "fr"})) == ["ADV_B"]
    assert keys(client.get(STATUS, {"kind": "nonsense", "status": "<x>"})) == ["ADV_A", "ADV_B", "hydration"]
    assert client.get(STATUS, {"kind": "hydration"}).context["counts"]["items"] == 1


def test_the_status_page_costs_the_same_queries_for_many_items(client, admin_user, approver):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(admin_user)
    counts = []
    for n in range(8):
        published(admin_user, approver, f"ADV_{n}", translations={"es": ("T", "B.")})
        if n in (0, 7):
            with CaptureQueriesContext(connection) as captured:
                assert client.get(STATUS).status_code == 200
            content = [q["sql"] for q in captured.captured_queries if "protocols_content" in q["sql"]]
            counts.append((len(captured), len(content)))
    # items, versions (with author and approver), translations; plus the session and role lookups
    assert counts[0] == counts[1] and counts[0][1] == 3


def test_nurses_patients_and_strangers_cannot_see_the_status_page(client, nurse, patient, catalogue):
    assert client.get(STATUS).status_code == 302
    for user in (nurse, patient.user):
        client.force_login(user)
        assert client.get(STATUS).status_code == 404


def test_the_compare_page_shows_two_versions_side_by_side(client, admin_user, approver):
    first = published(admin_user, approver, body="Stop the drip and call.", translations={"es": ("T", "Pare.")})
    second = publish(admin_user, approver, draft(admin_user, body="Stop the drip and call the emergency number."))
    client.force_login(admin_user)
    html = client.get(f"/content/compare/{second.pk}/{first.pk}/").content.decode()
    assert "Version 1 (Retired)" in html and "Version 2 (Published)" in html
    assert "<del>call.</del>" in html and "<ins>call the emergency number.</ins>" in html
    spanish = client.get(f"/content/compare/{first.pk}/{second.pk}/", {"lang": "es"}).content.decode()
    assert "Pare." in spanish


def test_the_compare_page_refuses_versions_of_different_items_and_non_administrators(
    client, admin_user, approver, nurse
):
    one = published(admin_user, approver, "ADV_A")
    other = published(admin_user, approver, "ADV_B")
    client.force_login(admin_user)
    assert client.get(f"/content/compare/{one.pk}/{other.pk}/").status_code == 404
    client.force_login(nurse)
    assert client.get(f"/content/compare/{one.pk}/{one.pk}/").status_code == 404


def test_a_patient_reads_content_in_their_language_and_the_version_is_recorded(client, region, admin_user, approver):
    from tests.conftest import make_patient

    version = published(
        admin_user, approver, translations={"ar": ("اتصل بفريق الرعاية الآن", "**اتصل الآن.**\n\n- لا تنتظر")}
    )
    reader = make_patient("reader", region, admin_user, language="ar")
    client.force_login(reader.user)
    html = client.get(f"/content/read/{version.item.key}/").content.decode()
    assert '<article class="content-text" lang="ar" dir="rtl">' in html
    assert "<strong>اتصل الآن.</strong>" in html and "<li>لا تنتظر</li>" in html
    view = ContentView.objects.get()
    assert (view.user, view.version, view.language) == (reader.user, version, "ar")


def test_an_urgent_text_shows_the_translation_pending_notice(client, region, admin_user, approver):
    from tests.conftest import make_patient

    published(admin_user, approver, translations={"fr": ("Appelez", "Ancien texte.")})
    urgent = publish(admin_user, approver, draft(admin_user, body="New urgent instruction.", urgent=True))
    reader = make_patient("reader", region, admin_user, language="fr")
    client.force_login(reader.user)
    html = client.get(f"/content/read/{urgent.item.key}/").content.decode()
    assert "Translation pending" in html and "New urgent instruction." in html and "Ancien texte." not in html
    assert '<article class="content-text" lang="en" dir="ltr">' in html
    assert ContentView.objects.get().language == "en"


def test_an_older_translation_is_shown_with_a_visible_notice(client, region, admin_user, approver):
    from tests.conftest import make_patient

    published(admin_user, approver, translations={"es": ("Llame", "Texto revisado.")})
    publish(admin_user, approver, draft(admin_user, body="Small change."))
    reader = make_patient("reader", region, admin_user, language="es")
    client.force_login(reader.user)
    html = client.get("/content/read/ADV_CALL_TEAM_NOW/").content.decode()
    assert "A newer version of this text is being translated" in html and "Texto revisado." in html


def test_unknown_or_withdrawn_content_answers_404(client, patient, admin_user, approver):
    version = published(admin_user, approver)
    services.content_version_retire(actor=admin_user, version=version)
    client.force_login(patient.user)
    assert client.get("/content/read/ADV_CALL_TEAM_NOW/").status_code == 404
    assert client.get("/content/read/NOPE/").status_code == 404


def test_content_pages_use_no_inline_scripts_or_styles(client, admin_user, approver, catalogue):
    client.force_login(admin_user)
    for url in (STATUS, "/content/read/ADV_A/"):
        html = client.get(url).content.decode()
        assert "style=" not in html and "<style" not in html
        assert not re.search(r"<script(?![^>]*\bsrc=)", html)
        assert "css/content.css" in html
