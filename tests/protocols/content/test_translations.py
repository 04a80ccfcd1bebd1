import pytest
from django.core.exceptions import ValidationError

from ivigapp.protocols.content import services
from ivigapp.protocols.content.models import ContentTranslation
from ivigapp.protocols.content.selectors import content_for, content_status_table

from .conftest import draft, publish, published, translate

pytestmark = pytest.mark.django_db

ES = ("Llame ahora a su equipo", "Llámelos ahora.")


def statuses(version):
    return dict(version.translations.values_list("language", "status"))


def test_a_new_version_starts_every_other_language_as_missing(admin_user):
    version = draft(admin_user)
    assert statuses(version) == {"es": "missing", "fr": "missing", "ar": "missing"}


def test_a_saved_translation_awaits_review_until_a_second_person_reviews_it(admin_user, approver):
    version = publish(admin_user, approver, draft(admin_user))
    translation = translate(admin_user, approver, version, "es", *ES, review=False)
    assert translation.status == "draft"
    with pytest.raises(ValidationError) as caught:
        services.translation_review(actor=admin_user, translation=translation)
    assert "reviewed_by" in caught.value.message_dict
    translation = services.translation_review(actor=approver, translation=translation)
    assert (translation.status, translation.reviewed_by) == ("reviewed", approver)


def test_a_new_source_version_makes_existing_translations_outdated(admin_user, approver):
    first = published(admin_user, approver, translations={"es": ES, "fr": ("Appelez", "Appelez maintenant.")})
    second = publish(admin_user, approver, draft(admin_user, body="Call them now, or the emergency number."))

    assert statuses(second) == {"es": "outdated", "fr": "outdated", "ar": "missing"}
    carried = second.translations.get(language="es")
    assert (carried.title, carried.body) == ES  # a starting point for the translator, not a new translation
    # The older version's own translations still say what was reviewed for that version.
    assert statuses(first) == {"es": "reviewed", "fr": "reviewed", "ar": "missing"}
    row = content_status_table()["rows"][0]
    assert row.version == second
    assert {c.language: c.status for c in row.cells} == {"es": "outdated", "fr": "outdated", "ar": "missing"}


def test_editing_a_draft_source_makes_its_translations_outdated(admin_user, approver):
    version = draft(admin_user)
    translate(admin_user, approver, version, "es", *ES)
    services.content_version_update(
        actor=admin_user, version=version, title=version.title, body="Changed.", urgent=False
    )
    assert statuses(version)["es"] == "outdated"


def test_an_outdated_translation_can_be_confirmed_by_a_reviewer(admin_user, approver):
    published(admin_user, approver, translations={"es": ES})
    second = publish(admin_user, approver, draft(admin_user, body="Call them now!"))
    outdated = second.translations.get(language="es")
    services.translation_review(actor=approver, translation=outdated)
    shown = content_for(second.item, "es")
    assert (shown.version, shown.language, shown.fallback) == (second, "es", "")


@pytest.mark.parametrize(
    ("source", "translated"),
    [
        ("Your infusion starts at {time}.", "Su infusión empieza a las {hora}."),
        ("Your infusion starts at {time}.", "Su infusión empieza pronto."),
        ("Check at %(hours)s hours.", "Control a las %(horas)s horas."),
        ("Check at %(hours)s hours.", "Control a las {hours} horas."),
        ("Take it.", "Tómelo a las {time}."),
        ("{a} and {a}", "{a} y algo"),
    ],
)
def test_it_refuses_a_translation_whose_placeholders_differ_from_the_source(admin_user, approver, source, translated):
    version = draft(admin_user, key="reminder_x", body=source, kind="reminder")
    with pytest.raises(ValidationError) as caught:
        services.translation_save(
            actor=admin_user, version=version, language="es", title="Recordatorio", body=translated
        )
    assert "body" in caught.value.message_dict
    assert ContentTranslation.objects.get(version=version, language="es").status == "missing"


def test_it_accepts_placeholders_in_another_order(admin_user):
    version = draft(admin_user, key="reminder_x", body="On {date} at {time}, %(n)s vials.", kind="reminder")
    translation = services.translation_save(
        actor=admin_user, version=version, language="ar", title="تذكير", body="%(n)s قوارير، الساعة {time} يوم {date}."
    )
    assert translation.status == "draft"


def test_title_placeholders_are_checked_too(admin_user):
    version = draft(admin_user, key="reminder_x", title="Check at {hours} h", body="Please check.", kind="reminder")
    with pytest.raises(ValidationError) as caught:
        services.translation_save(actor=admin_user, version=version, language="fr", title="Suivi", body="Merci.")
    assert "title" in caught.value.message_dict


def test_it_refuses_the_source_language_an_unknown_language_and_empty_text(admin_user):
    version = draft(admin_user)
    for language in ("en", "de"):
        with pytest.raises(ValidationError):
            services.translation_save(actor=admin_user, version=version, language=language, title="x", body="y")
    with pytest.raises(ValidationError):
        services.translation_save(actor=admin_user, version=version, language="es", title="x", body="  ")


def test_a_retired_version_cannot_be_translated(admin_user, approver):
    first = published(admin_user, approver)
    publish(admin_user, approver, draft(admin_user, body="Second."))
    first.refresh_from_db()
    with pytest.raises(ValidationError):
        services.translation_save(actor=admin_user, version=first, language="es", title="x", body="y")
