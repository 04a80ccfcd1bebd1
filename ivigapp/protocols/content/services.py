"""Every write to clinical content. The admin, the demo seed and any future API call these.

Versions: draft → in review → approved (by someone other than the author) → published → retired.
Translations: missing → draft → reviewed; a new source version starts each language as
"outdated" with the previous translation's text, so translators edit rather than start again
while patients keep seeing the last reviewed translation (or, for an urgent version, the English
text with a "translation pending" notice: see selectors.content_for).
"""

import re
from collections import Counter

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from ivigapp.patients.roles import ROLE_ADMIN, user_role
from ivigapp.protocols.content.models import (
    ContentItem,
    ContentTranslation,
    ContentVersion,
    ContentView,
    TranslationStatus,
    translated_languages,
)
from ivigapp.protocols.content.render import clean_text
from ivigapp.protocols.models import ApprovalStatus

# {name} (str.format) and %(name)s (printf-style): both are filled in by code, so a translation
# that loses, renames or adds one would show a raw marker or crash the sender.
PLACEHOLDER = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}|%\([A-Za-z_][A-Za-z0-9_]*\)[sdif]")
OPEN_STATES = (ApprovalStatus.DRAFT, ApprovalStatus.IN_REVIEW, ApprovalStatus.APPROVED)


def placeholders(text: str) -> Counter:
    return Counter(PLACEHOLDER.findall(text or ""))


def placeholders_check(*, source: str, translation: str, field: str) -> None:
    expected, found = placeholders(source), placeholders(translation)
    if expected != found:
        missing = sorted((expected - found).elements())
        extra = sorted((found - expected).elements())
        raise ValidationError(
            {
                field: _("Placeholders must match the source exactly. Missing: %(missing)s. Unexpected: %(extra)s.")
                % {"missing": ", ".join(missing) or "-", "extra": ", ".join(extra) or "-"}
            }
        )


def _require_admin(actor, field: str) -> None:
    if user_role(actor) != ROLE_ADMIN:
        raise ValidationError({field: _("Only a clinical administrator can do this.")})


def _clean(text: str) -> str:
    # What reviewers approve is exactly what readers get: no control or bidi override characters.
    return clean_text(text).strip()


def _require_text(title: str, body: str) -> None:
    errors = {}
    if not (title or "").strip():
        errors["title"] = _("Give a title.")
    if not (body or "").strip():
        errors["body"] = _("Write the text.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def content_item_create(
    *, actor, key: str, kind: str, essential: bool = False, text_format: str = ContentItem.Format.MARKDOWN
) -> ContentItem:
    _require_admin(actor, "key")
    item = ContentItem(key=key.strip(), kind=kind, essential=essential, text_format=text_format)
    item.full_clean()
    item.save()
    return item


def content_item_update(*, actor, item: ContentItem, kind: str, essential: bool, text_format: str) -> ContentItem:
    _require_admin(actor, "key")
    item.kind, item.essential, item.text_format = kind, essential, text_format
    item.full_clean()
    item.save(update_fields=["kind", "essential", "text_format"])
    return item


@transaction.atomic
def content_version_draft(
    *, actor, item: ContentItem, title: str, body: str, urgent: bool = False, note: str = ""
) -> ContentVersion:
    """A new source version. Each language starts from the newest earlier translation, as outdated."""
    _require_admin(actor, "author")
    title, body = _clean(title), _clean(body)
    _require_text(title, body)
    ContentItem.objects.select_for_update().get(pk=item.pk)  # one new version per item at a time
    open_version = item.versions.filter(status__in=OPEN_STATES).order_by("-number").first()
    if open_version is not None:
        raise ValidationError(
            {
                "status": _("Version %(number)s is still in progress; finish or withdraw it first.")
                % {"number": open_version.number}
            }
        )
    number = (item.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    version = ContentVersion(item=item, number=number, title=title, body=body, urgent=urgent, note=_clean(note))
    version.author = actor
    version.full_clean()
    version.save()

    previous = {}
    earlier = (
        ContentTranslation.objects.filter(version__item=item, version__number__lt=number)
        .exclude(body="")
        .order_by("-version__number")
    )
    for translation in earlier:
        previous.setdefault(translation.language, translation)
    rows = []
    for language in translated_languages():
        before = previous.get(language)
        if before is None:
            rows.append(ContentTranslation(version=version, language=language, status=TranslationStatus.MISSING))
        else:
            rows.append(
                ContentTranslation(
                    version=version,
                    language=language,
                    status=TranslationStatus.OUTDATED,
                    title=before.title,
                    body=before.body,
                    needs_clinical_review=before.needs_clinical_review,
                    translated_by=before.translated_by,
                )
            )
    ContentTranslation.objects.bulk_create(rows)
    return version


@transaction.atomic
def content_version_update(
    *, actor, version: ContentVersion, title: str, body: str, urgent: bool, note: str = ""
) -> ContentVersion:
    """Edits a draft. Changing the source text makes its existing translations outdated."""
    _require_admin(actor, "author")
    title, body = _clean(title), _clean(body)
    _require_text(title, body)
    locked = ContentVersion.objects.select_for_update().get(pk=version.pk)
    if locked.status != ApprovalStatus.DRAFT:
        raise ValidationError({"status": _("Only a draft can be edited; start a new version instead.")})
    changed = (title, body) != (locked.title, locked.body)
    version.title, version.body, version.urgent, version.note = title, body, urgent, _clean(note)
    version.full_clean()
    version.save(update_fields=["title", "body", "urgent", "note"])
    if changed:
        version.translations.filter(status__in=[TranslationStatus.DRAFT, TranslationStatus.REVIEWED]).update(
            status=TranslationStatus.OUTDATED, updated_at=timezone.now()
        )
    return version


def _transition(version: ContentVersion, expected: tuple, new: str, **fields) -> ContentVersion:
    updated = ContentVersion.objects.filter(pk=version.pk, status__in=expected).update(status=new, **fields)
    if not updated:
        names = ", ".join(str(ApprovalStatus(state).label) for state in expected)
        raise ValidationError({"status": _("This version is not %(state)s.") % {"state": names}})
    version.refresh_from_db()
    return version


def content_version_submit(*, actor, version: ContentVersion) -> ContentVersion:
    _require_admin(actor, "status")
    return _transition(version, (ApprovalStatus.DRAFT,), ApprovalStatus.IN_REVIEW, submitted_at=timezone.now())


def content_version_approve(*, actor, version: ContentVersion) -> ContentVersion:
    if user_role(actor) != ROLE_ADMIN:
        raise ValidationError({"approved_by": _("Only a clinical administrator can approve.")})
    if actor.pk == version.author_id:
        raise ValidationError({"approved_by": _("The author cannot approve their own version.")})
    return _transition(
        version, (ApprovalStatus.IN_REVIEW,), ApprovalStatus.APPROVED, approved_by=actor, approved_at=timezone.now()
    )


def content_version_return(*, actor, version: ContentVersion) -> ContentVersion:
    """Sends a version in review (or approved, not yet published) back to its author as a draft."""
    _require_admin(actor, "status")
    return _transition(
        version,
        (ApprovalStatus.IN_REVIEW, ApprovalStatus.APPROVED),
        ApprovalStatus.DRAFT,
        approved_by=None,
        approved_at=None,
        submitted_at=None,
    )


@transaction.atomic
def content_version_publish(*, actor, version: ContentVersion) -> ContentVersion:
    """Publishes an approved version; the item's previously published version is retired."""
    _require_admin(actor, "status")
    ContentItem.objects.select_for_update().get(pk=version.item_id)
    now = timezone.now()
    if not ContentVersion.objects.filter(pk=version.pk, status=ApprovalStatus.APPROVED).exists():
        raise ValidationError({"status": _("Only an approved version can be published.")})
    ContentVersion.objects.filter(item_id=version.item_id, status=ApprovalStatus.PUBLISHED).update(
        status=ApprovalStatus.RETIRED, retired_at=now
    )
    return _transition(version, (ApprovalStatus.APPROVED,), ApprovalStatus.PUBLISHED, published_at=now)


def content_version_retire(*, actor, version: ContentVersion) -> ContentVersion:
    """Withdraws a published version without a replacement: patients no longer see the item."""
    _require_admin(actor, "status")
    return _transition(version, (ApprovalStatus.PUBLISHED,), ApprovalStatus.RETIRED, retired_at=timezone.now())


@transaction.atomic
def translation_save(
    *,
    actor,
    version: ContentVersion,
    language: str,
    title: str,
    body: str,
    needs_clinical_review: bool = False,
) -> ContentTranslation:
    """Saves a translation as a draft awaiting review; its placeholders must match the source."""
    _require_admin(actor, "language")
    if language not in translated_languages():
        raise ValidationError({"language": _("Choose an enabled language other than the source language.")})
    if version.status == ApprovalStatus.RETIRED:
        raise ValidationError({"status": _("This version is retired; translate the current version instead.")})
    title, body = _clean(title), _clean(body)
    _require_text(title, body)
    placeholders_check(source=version.title, translation=title, field="title")
    placeholders_check(source=version.body, translation=body, field="body")
    translation, _created = ContentTranslation.objects.select_for_update().get_or_create(
        version=version, language=language
    )
    if translation.body and (translation.title, translation.body) == (title, body):
        return translation  # the same text: its status, translator and review stay as they are
    translation.title, translation.body = title, body
    translation.status = TranslationStatus.DRAFT
    translation.needs_clinical_review = needs_clinical_review
    translation.translated_by = actor
    translation.reviewed_by, translation.reviewed_at = None, None
    translation.updated_at = timezone.now()
    translation.full_clean()
    translation.save()
    return translation


@transaction.atomic
def translation_review(*, actor, translation: ContentTranslation, clinical_check: bool = True) -> ContentTranslation:
    """Marks a translation reviewed by a second person. An outdated one may be confirmed as still right.

    `clinical_check=False` records the review but keeps "needs clinical review" (demo content).
    """
    if user_role(actor) != ROLE_ADMIN:
        raise ValidationError({"reviewed_by": _("Only a clinical administrator can review.")})
    translation = ContentTranslation.objects.select_for_update().select_related("version").get(pk=translation.pk)
    if translation.status not in (TranslationStatus.DRAFT, TranslationStatus.OUTDATED) or not translation.body:
        raise ValidationError({"status": _("Only a written translation that is not yet reviewed can be reviewed.")})
    if actor.pk == translation.translated_by_id:
        raise ValidationError({"reviewed_by": _("The translator cannot review their own translation.")})
    if translation.version.status == ApprovalStatus.RETIRED:
        raise ValidationError({"status": _("This version is retired; translate the current version instead.")})
    placeholders_check(source=translation.version.title, translation=translation.title, field="title")
    placeholders_check(source=translation.version.body, translation=translation.body, field="body")
    translation.status = TranslationStatus.REVIEWED
    translation.reviewed_by, translation.reviewed_at = actor, timezone.now()
    if clinical_check:
        translation.needs_clinical_review = False
    translation.save(update_fields=["status", "reviewed_by", "reviewed_at", "needs_clinical_review"])
    return translation


def content_view_record(*, user, item_key: str, version: int, language: str) -> ContentView:
    """Records that `user` was shown version `version` of an item in `language`."""
    if language not in {code for code, _name in settings.LANGUAGES}:
        raise ValidationError({"language": _("Unknown language.")})
    shown = (
        ContentVersion.objects.filter(item__key=item_key, number=version, published_at__isnull=False).only("pk").first()
    )
    if shown is None:
        raise ValidationError({"version": _("No published version %(number)s of this item.") % {"number": version}})
    return ContentView.objects.create(user=user, version=shown, language=language)
