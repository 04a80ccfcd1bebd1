import pytest

from ivigapp.protocols.content.demo import DEMO_TEXTS, content_demo_seed
from ivigapp.protocols.content.models import ContentItem, ContentTranslation, ContentVersion
from ivigapp.protocols.content.selectors import advice_texts, contents_for
from ivigapp.protocols.services import triage_ruleset_v1_document

pytestmark = pytest.mark.django_db


def ruleset_advice_keys() -> set[str]:
    document = triage_ruleset_v1_document()
    keys = {key for rule in document["rules"] for key in rule["advice"]}
    keys |= set(document["default"]["advice"])
    keys |= {s["advice"] for s in document["substitutions"]} | {s["use"] for s in document["substitutions"] if s["use"]}
    return keys


@pytest.fixture
def seeded(admin_user, approver):
    return content_demo_seed(author=admin_user, approver=approver)


def test_every_advice_key_of_the_triage_rule_set_has_published_demo_text_in_every_language(seeded):
    keys = ruleset_advice_keys()
    for language in ("en", "es", "fr", "ar"):
        texts = advice_texts(keys, language)
        assert set(texts) == keys
        assert {t.language for t in texts.values()} == {language}
        assert not any(t.translation_pending for t in texts.values())


def test_the_demo_covers_every_kind_of_content(seeded):
    kinds = set(ContentItem.objects.values_list("kind", flat=True))
    assert kinds == {
        "advice",
        "hydration",
        "premedication",
        "infusion_day",
        "reaction",
        "red_flag",
        "education",
        "reminder",
    }
    back_pain = ContentVersion.objects.get(item__key="reaction_back_pain")
    assert "Back pain" in back_pain.title
    education = ContentVersion.objects.get(item__key="education_what_ivig_is")
    assert "IVIG is not a treatment for back pain" in education.body


def test_emergency_guidance_is_essential(seeded):
    essential = set(ContentItem.objects.filter(essential=True).values_list("key", flat=True))
    assert {
        "red_flags_emergency",
        "delayed_reactions",
        "ADV_STOP_CALL_EMERGENCY",
        "ADV_CALL_EMERGENCY_NOW",
    } <= essential
    assert "education_what_ivig_is" not in essential


def test_demo_content_is_published_by_two_people_and_flagged_for_clinical_review(seeded, admin_user, approver):
    versions = ContentVersion.objects.all()
    assert {(v.status, v.author_id, v.approved_by_id) for v in versions} == {("published", admin_user.pk, approver.pk)}
    assert all("clinical review" in v.note for v in versions)
    translations = ContentTranslation.objects.all()
    assert translations.count() == len(DEMO_TEXTS) * 3
    assert {(t.status, t.needs_clinical_review) for t in translations} == {("reviewed", True)}


def test_the_demo_seed_is_idempotent(admin_user, approver):
    first = content_demo_seed(author=admin_user, approver=approver)
    counts = (ContentItem.objects.count(), ContentVersion.objects.count(), ContentTranslation.objects.count())
    assert content_demo_seed(author=admin_user, approver=approver) == []
    assert len(first) == len(DEMO_TEXTS)
    assert counts == (ContentItem.objects.count(), ContentVersion.objects.count(), ContentTranslation.objects.count())


def test_every_demo_text_renders_cleanly_in_every_language(seeded):
    items = ContentItem.objects.all()
    for language in ("en", "es", "fr", "ar"):
        for shown in contents_for(items, language).values():
            html = shown.body_html
            assert "**" not in html and "<script" not in html
            assert shown.plain_title and html.startswith(("<p>", "<ul>"))


def test_the_patient_facing_page_flags_demo_translations(client, region, admin_user, seeded):
    from tests.conftest import make_patient

    reader = make_patient("reader", region, admin_user, language="ar")
    client.force_login(reader.user)
    html = client.get("/content/read/ADV_STOP_CALL_EMERGENCY/").content.decode()
    assert "أوقف التسريب واتصل برقم الطوارئ" in html
    assert "Demo translation: not yet checked by a clinician." in html
