"""Reads of clinical content: which text a patient sees, and the administrators' status table.

The rule (DESIGN.md 6), with its fallbacks made explicit in the result:
1. English (the source) always gets the current published version.
2. Otherwise walk the item's published versions, newest first, down from the current one:
   a. a version with a reviewed translation in the language → show it ("older_version" when it
      is not the current version, so the page can say a newer text is being translated);
   b. an urgent version without one → stop: show the current English text with
      `translation_pending`, never an instruction the urgent change replaced.
3. Nothing reviewed at all (a new item) → the current English text with `translation_pending`.
An item without a currently published version (never published, or withdrawn) is not shown.
"""

from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.utils.safestring import SafeString

from ivigapp.protocols.content.models import (
    ContentItem,
    ContentTranslation,
    ContentVersion,
    TranslationStatus,
    source_language,
    translated_languages,
)
from ivigapp.protocols.content.render import clean_text, render_html, render_plain
from ivigapp.protocols.models import ApprovalStatus

FALLBACK_NONE = ""
FALLBACK_OLDER_VERSION = "older_version"
FALLBACK_SOURCE_LANGUAGE = "source_language"


@dataclass(frozen=True)
class ShownContent:
    item: ContentItem
    version: ContentVersion  # whose text is shown
    current: ContentVersion  # the item's published version (newer than `version` on an older-version fallback)
    language_requested: str
    language: str  # the language shown
    title: str
    body: str
    translation_pending: bool
    fallback: str
    needs_clinical_review: bool = False

    @property
    def key(self) -> str:
        return self.item.key

    @property
    def body_html(self) -> SafeString:
        return render_html(self.body, markdown=self.item.text_format == ContentItem.Format.MARKDOWN)

    @property
    def body_text(self) -> str:
        return render_plain(self.body)

    @property
    def plain_title(self) -> str:
        return clean_text(self.title).strip()

    @property
    def direction(self) -> str:
        return "rtl" if self.language in settings.LANGUAGES_BIDI else "ltr"


def language_normalise(code: str | None) -> str | None:
    """'es-ES' → 'es'; None when the language is not enabled."""
    if not code:
        return None
    base = code.strip().lower().replace("_", "-").split("-")[0]
    return base if base in {c for c, _name in settings.LANGUAGES} else None


def contents_for(items, language: str) -> dict[int, ShownContent]:
    """What a reader of `language` sees for each item, by item id. Two queries."""
    items = {item.pk: item for item in items}
    versions = defaultdict(list)
    for version in ContentVersion.objects.filter(item_id__in=items, published_at__isnull=False).order_by(
        "item_id", "-number"
    ):
        versions[version.item_id].append(version)
    reviewed = {}
    if language != source_language():
        for translation in ContentTranslation.objects.filter(
            version__item_id__in=items,
            version__published_at__isnull=False,
            language=language,
            status=TranslationStatus.REVIEWED,
        ):
            reviewed[translation.version_id] = translation
    shown = {}
    for item_id, item_versions in versions.items():
        current = next((v for v in item_versions if v.status == ApprovalStatus.PUBLISHED), None)
        if current is not None:
            shown[item_id] = _choose(items[item_id], current, item_versions, reviewed, language)
    return shown


def _choose(item, current, item_versions, reviewed, language) -> ShownContent:
    def source(fallback):
        pending = language != source_language()
        return ShownContent(
            item, current, current, language, source_language(), current.title, current.body, pending, fallback
        )

    if language == source_language():
        return source(FALLBACK_NONE)
    for version in item_versions:
        if version.number > current.number:
            continue
        translation = reviewed.get(version.pk)
        if translation is not None:
            return ShownContent(
                item,
                version,
                current,
                language,
                language,
                translation.title,
                translation.body,
                False,
                FALLBACK_NONE if version.pk == current.pk else FALLBACK_OLDER_VERSION,
                translation.needs_clinical_review,
            )
        if version.urgent:
            break
    return source(FALLBACK_SOURCE_LANGUAGE)


def content_for(item: ContentItem, language: str) -> ShownContent | None:
    return contents_for([item], language).get(item.pk)


def content_for_key(key: str, language: str) -> ShownContent | None:
    item = ContentItem.objects.filter(key=key).first()
    return content_for(item, language) if item else None


def advice_texts(keys, language: str) -> dict[str, ShownContent]:
    """For each advice key that has published content: the text, version and language shown.

    Keys without published content are left out; the caller shows its built-in wording then.
    """
    items = ContentItem.objects.filter(key__in=list(keys))
    return {shown.key: shown for shown in contents_for(items, language).values()}


def advice_content_stamp(shown: dict[str, ShownContent], keys) -> str:
    """A compact record of the texts shown, for TriageDecision.content_version (64 characters).

    "KEY@version[:language]" per key in advice order; the language is written only when it differs
    from the one asked for. Keys without content are written as "KEY@-".
    """
    parts = []
    for key in keys:
        entry = shown.get(key)
        if entry is None:
            parts.append(f"{key}@-")
        else:
            suffix = "" if entry.language == entry.language_requested else f":{entry.language}"
            parts.append(f"{key}@{entry.version.number}{suffix}")
    return ",".join(parts)


# The administrators' status table ------------------------------------------------------------


@dataclass
class StatusCell:
    language: str
    status: str
    needs_clinical_review: bool = False
    translation_id: int | None = None

    @property
    def label(self) -> str:
        return TranslationStatus(self.status).label


@dataclass
class StatusRow:
    item: ContentItem
    version: ContentVersion | None  # the published one, or the newest when nothing is published
    next_version: ContentVersion | None  # a newer one in progress
    cells: list[StatusCell]


def content_status_table(*, kind: str = "", status: str = "", language: str = "") -> dict:
    """Items by languages. Counts cover every item of the chosen kind; the status filter only hides rows."""
    languages = translated_languages()
    items = list(ContentItem.objects.filter(**({"kind": kind} if kind else {})).order_by("kind", "key"))
    versions = defaultdict(list)
    for version in ContentVersion.objects.filter(item__in=items).select_related("author", "approved_by"):
        versions[version.item_id].append(version)
    translations = {
        (t.version_id, t.language): t
        for t in ContentTranslation.objects.filter(version__item__in=items).only(
            "id", "version_id", "language", "status", "needs_clinical_review"
        )
    }
    rows, counts = [], {"missing": 0, "outdated": 0, "awaiting_review": 0, "versions_in_review": 0, "items": 0}
    for item in items:
        item_versions = sorted(versions[item.pk], key=lambda v: -v.number)
        published = next((v for v in item_versions if v.status == ApprovalStatus.PUBLISHED), None)
        shown = published or next((v for v in item_versions if v.status != ApprovalStatus.RETIRED), None)
        shown = shown or (item_versions[0] if item_versions else None)
        newer = [v for v in item_versions if shown and v.number > shown.number and v.status != ApprovalStatus.RETIRED]
        cells = []
        for code in languages:
            translation = translations.get((shown.pk, code)) if shown else None
            cells.append(
                StatusCell(
                    code,
                    translation.status if translation else TranslationStatus.MISSING,
                    bool(translation and translation.needs_clinical_review),
                    translation.pk if translation else None,
                )
            )
        counts["items"] += 1
        counts["missing"] += sum(c.status == TranslationStatus.MISSING for c in cells)
        counts["outdated"] += sum(c.status == TranslationStatus.OUTDATED for c in cells)
        counts["awaiting_review"] += sum(c.status == TranslationStatus.DRAFT for c in cells)
        counts["versions_in_review"] += sum(v.status == ApprovalStatus.IN_REVIEW for v in item_versions)
        watched = [c for c in cells if not language or c.language == language]
        if status and not any(c.status == status for c in watched):
            continue
        rows.append(StatusRow(item, shown, newer[0] if newer else None, cells))
    return {"languages": languages, "rows": rows, "counts": counts}
