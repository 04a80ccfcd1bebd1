import pytest

from ivigapp.protocols.content import services
from ivigapp.protocols.content.models import ContentItem, ContentTranslation, ContentVersion

from .conftest import draft, publish, published

pytestmark = pytest.mark.django_db

ITEMS = "/admin/protocols/contentitem/"
VERSIONS = "/admin/protocols/contentversion/"
TRANSLATIONS = "/admin/protocols/contenttranslation/"


def inline_data(version, **changes):
    """The change form's POST data with the translation inline as it is, plus `changes` by language."""
    rows = list(version.translations.order_by("language"))
    data = {
        "title": version.title,
        "body": version.body,
        "note": version.note,
        "translations-TOTAL_FORMS": len(rows),
        "translations-INITIAL_FORMS": len(rows),
        "translations-MIN_NUM_FORMS": 0,
        "translations-MAX_NUM_FORMS": 3,
    }
    if version.urgent:
        data["urgent"] = "on"
    for n, row in enumerate(rows):
        title, body = changes.get(row.language, (row.title, row.body))
        data.update({f"translations-{n}-id": row.pk, f"translations-{n}-version": version.pk})
        data.update({f"translations-{n}-title": title, f"translations-{n}-body": body})
    return data


def test_an_administrator_creates_an_item_and_a_draft_in_the_admin(client, admin_user):
    client.force_login(admin_user)
    response = client.post(ITEMS + "add/", {"key": "ADV_NEW", "kind": "advice", "text_format": "markdown"})
    assert response.status_code == 302
    item = ContentItem.objects.get(key="ADV_NEW")
    response = client.post(VERSIONS + "add/", {"item": item.pk, "title": "New", "body": "New text."})
    assert response.status_code == 302
    version = ContentVersion.objects.get(item=item)
    assert (version.number, version.status, version.author) == (1, "draft", admin_user)
    assert version.translations.count() == 3


def test_translations_are_saved_from_the_inline_through_the_service(client, admin_user):
    version = draft(admin_user, key="reminder_x", kind="reminder", body="At {time}.")
    client.force_login(admin_user)
    response = client.post(f"{VERSIONS}{version.pk}/change/", inline_data(version, es=("Aviso", "A las {time}.")))
    assert response.status_code == 302
    spanish = ContentTranslation.objects.get(version=version, language="es")
    assert (spanish.status, spanish.body, spanish.translated_by) == ("draft", "A las {time}.", admin_user)
    assert ContentTranslation.objects.get(version=version, language="fr").status == "missing"


def test_the_inline_refuses_a_translation_that_drops_a_placeholder(client, admin_user):
    version = draft(admin_user, key="reminder_x", kind="reminder", body="At {time}.")
    client.force_login(admin_user)
    response = client.post(f"{VERSIONS}{version.pk}/change/", inline_data(version, fr=("Rappel", "Bientôt.")))
    assert response.status_code == 200
    assert "Placeholders must match the source exactly" in response.content.decode()
    assert ContentTranslation.objects.get(version=version, language="fr").status == "missing"


def test_the_approve_action_refuses_the_author_and_accepts_a_second_person(client, admin_user, approver):
    version = draft(admin_user)
    client.force_login(admin_user)
    client.post(VERSIONS, {"action": "submit", "_selected_action": [version.pk]})
    response = client.post(VERSIONS, {"action": "approve", "_selected_action": [version.pk]}, follow=True)
    assert "cannot approve their own" in response.content.decode()
    version.refresh_from_db()
    assert version.status == "in_review"
    client.force_login(approver)
    client.post(VERSIONS, {"action": "approve", "_selected_action": [version.pk]})
    client.post(VERSIONS, {"action": "publish", "_selected_action": [version.pk]})
    version.refresh_from_db()
    assert (version.status, version.approved_by) == ("published", approver)


def test_the_review_action_marks_a_translation_reviewed_by_someone_else(client, admin_user, approver):
    version = draft(admin_user)
    from ivigapp.protocols.content import services

    translation = services.translation_save(actor=admin_user, version=version, language="ar", title="ع", body="ن")
    client.force_login(approver)
    client.post(TRANSLATIONS, {"action": "review", "_selected_action": [translation.pk]})
    translation.refresh_from_db()
    assert (translation.status, translation.reviewed_by) == ("reviewed", approver)


def test_the_compare_action_opens_the_side_by_side_page(client, admin_user, approver):
    first = publish(admin_user, approver, draft(admin_user))
    second = draft(admin_user, body="Second.")
    client.force_login(admin_user)
    response = client.post(VERSIONS, {"action": "compare", "_selected_action": [first.pk, second.pk]})
    assert response.status_code == 302 and response["Location"] == f"/content/compare/{first.pk}/{second.pk}/"
    assert client.get(response["Location"]).status_code == 200


def test_a_published_version_cannot_be_edited_in_the_admin(client, admin_user, approver):
    version = publish(admin_user, approver, draft(admin_user))
    client.force_login(admin_user)
    data = inline_data(version)
    data["body"] = "Sneaky edit."
    client.post(f"{VERSIONS}{version.pk}/change/", data)
    version.refresh_from_db()
    assert version.body == "Call them now."


def test_a_clinical_administrator_who_is_not_a_superuser_can_use_the_content_admin(client, approver, admin_user):
    draft(admin_user)
    client.force_login(approver)
    for url in (ITEMS, VERSIONS, TRANSLATIONS, ITEMS + "add/", VERSIONS + "add/"):
        assert client.get(url).status_code == 200, url
    assert 'href="/content/status/"' in client.get(ITEMS).content.decode()


def test_saving_one_language_leaves_the_others_and_says_who_now_reads_the_source(client, admin_user, approver):
    """A walkthrough changed only the Spanish title of published advice: French and Arabic went back
    to draft too (the browser sends a textarea's line breaks as CRLF, stored as LF), under the name
    of whoever pressed Save, so their translator could then "review" them."""
    lines = {"es": ("Llame", "Uno.\nDos."), "fr": ("Appelez", "Un.\nDeux."), "ar": ("اتصل", "واحد.\nاثنان.")}
    version = published(admin_user, approver, body="One.\nTwo.", translations=lines)
    client.force_login(approver)
    crlf = {language: (title, body.replace("\n", "\r\n")) for language, (title, body) in lines.items()}
    data = inline_data(version, **{**crlf, "es": ("Llame ya", "Uno.\r\nDos.")})  # line breaks as a browser sends them
    response = client.post(f"{VERSIONS}{version.pk}/change/", data, follow=True)
    assert response.status_code == 200
    rows = {t.language: t for t in ContentTranslation.objects.filter(version=version)}
    assert (rows["es"].status, rows["es"].title, rows["es"].translated_by) == ("draft", "Llame ya", approver)
    for language in ("fr", "ar"):
        assert (rows[language].status, rows[language].translated_by, rows[language].reviewed_by) == (
            "reviewed",
            admin_user,
            approver,
        ), language
    page = response.content.decode()
    assert "Patients reading Spanish see the text in English until this translation is reviewed" in page
    assert "Patients reading French" not in page


def test_saving_the_same_text_again_keeps_a_reviewed_translation(admin_user, approver):
    version = published(admin_user, approver, translations={"fr": ("Appelez", "Maintenant.")})
    again = services.translation_save(
        actor=approver, version=version, language="fr", title="Appelez", body="Maintenant."
    )
    assert (again.status, again.translated_by, again.reviewed_by) == ("reviewed", admin_user, approver)
