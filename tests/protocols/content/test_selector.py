import pytest
from django.core.exceptions import ValidationError

from ivigapp.protocols.content import services
from ivigapp.protocols.content.models import ContentView
from ivigapp.protocols.content.selectors import advice_content_stamp, advice_texts, content_for, language_normalise

from .conftest import draft, publish, published, translate

pytestmark = pytest.mark.django_db

ES1 = ("Llame a su equipo", "Versión uno.")
ES2 = ("Llame a su equipo", "Versión dos.")


def test_a_reader_sees_the_reviewed_translation_of_the_published_version(admin_user, approver):
    version = published(admin_user, approver, translations={"es": ES1})
    shown = content_for(version.item, "es")
    assert (shown.version, shown.language, shown.body, shown.translation_pending, shown.fallback) == (
        version,
        "es",
        "Versión uno.",
        False,
        "",
    )


def test_english_readers_always_see_the_published_source(admin_user, approver):
    version = published(admin_user, approver, body="Call now.")
    shown = content_for(version.item, "en")
    assert (shown.body, shown.language, shown.translation_pending) == ("Call now.", "en", False)


def test_a_draft_translation_is_not_shown(admin_user, approver):
    version = published(admin_user, approver, body="Call now.")
    translate(admin_user, approver, version, "fr", "Appelez", "Pas encore relu.", review=False)
    shown = content_for(version.item, "fr")
    assert (shown.body, shown.language, shown.translation_pending, shown.fallback) == (
        "Call now.",
        "en",
        True,
        "source_language",
    )


def test_a_non_urgent_new_version_keeps_showing_the_last_reviewed_translation(admin_user, approver):
    first = published(admin_user, approver, translations={"es": ES1})
    second = publish(admin_user, approver, draft(admin_user, body="Version two."))
    shown = content_for(second.item, "es")
    assert (shown.version, shown.current, shown.body, shown.language) == (first, second, "Versión uno.", "es")
    assert (shown.translation_pending, shown.fallback) == (False, "older_version")


def test_an_urgent_version_is_shown_in_english_with_translation_pending(admin_user, approver):
    published(admin_user, approver, translations={"es": ES1})
    urgent = publish(admin_user, approver, draft(admin_user, body="Stop and call now.", urgent=True))
    shown = content_for(urgent.item, "es")
    assert (shown.version, shown.body, shown.language, shown.translation_pending) == (
        urgent,
        "Stop and call now.",
        "en",
        True,
    )
    translate(admin_user, approver, urgent, "es", *ES2)
    shown = content_for(urgent.item, "es")
    assert (shown.version, shown.body, shown.language, shown.translation_pending) == (
        urgent,
        "Versión dos.",
        "es",
        False,
    )


def test_a_later_ordinary_version_does_not_bring_back_a_translation_an_urgent_one_replaced(admin_user, approver):
    published(admin_user, approver, translations={"es": ES1})
    publish(admin_user, approver, draft(admin_user, body="Urgent change.", urgent=True))
    third = publish(admin_user, approver, draft(admin_user, body="Typo fixed."))
    shown = content_for(third.item, "es")
    assert (shown.version, shown.language, shown.translation_pending) == (third, "en", True)


def test_a_translation_of_the_urgent_version_serves_later_ordinary_versions(admin_user, approver):
    published(admin_user, approver, translations={"es": ES1})
    urgent = publish(admin_user, approver, draft(admin_user, body="Urgent change.", urgent=True))
    translate(admin_user, approver, urgent, "es", *ES2)
    third = publish(admin_user, approver, draft(admin_user, body="Typo fixed."))
    shown = content_for(third.item, "es")
    assert (shown.version, shown.body, shown.fallback) == (urgent, "Versión dos.", "older_version")


def test_an_item_never_published_is_not_shown(admin_user, approver):
    version = draft(admin_user)
    assert content_for(version.item, "en") is None


def test_language_codes_are_normalised_and_unknown_ones_refused():
    assert [language_normalise(c) for c in ("es", "es-ES", "AR", "fr_CA", "de", "", None)] == [
        "es",
        "es",
        "ar",
        "fr",
        None,
        None,
        None,
    ]


def test_advice_texts_give_text_version_and_language_for_each_key(admin_user, approver):
    published(admin_user, approver, "ADV_CALL_TEAM_NOW", translations={"ar": ("اتصل الآن", "اتصل بفريق الرعاية الآن.")})
    published(admin_user, approver, "ADV_HYDRATE_REST", "Rest", "Rest and drink.")
    texts = advice_texts(["ADV_CALL_TEAM_NOW", "ADV_HYDRATE_REST", "ADV_UNKNOWN"], "ar")
    assert set(texts) == {"ADV_CALL_TEAM_NOW", "ADV_HYDRATE_REST"}
    assert (texts["ADV_CALL_TEAM_NOW"].language, texts["ADV_CALL_TEAM_NOW"].version.number) == ("ar", 1)
    assert (texts["ADV_HYDRATE_REST"].language, texts["ADV_HYDRATE_REST"].translation_pending) == ("en", True)
    keys = ["ADV_CALL_TEAM_NOW", "ADV_HYDRATE_REST", "ADV_UNKNOWN"]
    assert advice_content_stamp(texts, keys) == "ADV_CALL_TEAM_NOW@1,ADV_HYDRATE_REST@1:en,ADV_UNKNOWN@-"


def test_advice_texts_cost_three_queries_whatever_the_number_of_keys(admin_user, approver, django_assert_num_queries):
    keys = [f"ADV_{n}" for n in range(6)]
    for key in keys:
        published(admin_user, approver, key, translations={"fr": ("Titre", "Texte.")})
    # 1 items by key, 2 published versions, 3 reviewed translations in the language
    with django_assert_num_queries(3):
        texts = advice_texts(keys, "fr")
    assert len(texts) == 6


def test_it_records_the_version_and_language_a_reader_was_shown(admin_user, approver, patient):
    version = published(admin_user, approver)
    view = services.content_view_record(user=patient.user, item_key=version.item.key, version=1, language="en")
    assert (view.version, view.language, view.user) == (version, "en", patient.user)
    with pytest.raises(ValidationError):
        services.content_view_record(user=patient.user, item_key=version.item.key, version=9, language="en")
    with pytest.raises(ValidationError):
        services.content_view_record(user=patient.user, item_key=version.item.key, version=1, language="de")
    assert ContentView.objects.count() == 1
