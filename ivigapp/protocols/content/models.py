"""Clinical content: items, their signed-off versions, per-language translations, what was seen.

English is the source language. A version moves draft → in review → approved → published →
retired (the approver is a different person from the author). Each version has one translation
row per other enabled language, each with its own status. Blobs are the immutable documents the
offline app downloads by sha256 (SYNC.md 2.11).
"""

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ivigapp.protocols.models import ApprovalStatus

__all__ = [
    "ContentBlob",
    "ContentItem",
    "ContentKind",
    "ContentTranslation",
    "ContentVersion",
    "ContentView",
    "TranslationStatus",
]


def source_language() -> str:
    return settings.LANGUAGE_CODE


def translated_languages() -> list[str]:
    return [code for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]


class ContentKind(models.TextChoices):
    ADVICE = "advice", _("Advice after a symptom report")
    HYDRATION = "hydration", _("Hydration instructions")
    PREMEDICATION = "premedication", _("Premedication instructions")
    INFUSION_DAY = "infusion_day", _("Infusion-day guidance")
    REACTION = "reaction", _("Reaction guidance")
    RED_FLAG = "red_flag", _("Delayed reactions and red flags")
    EDUCATION = "education", _("Education")
    REMINDER = "reminder", _("Reminder texts")


class TranslationStatus(models.TextChoices):
    MISSING = "missing", _("Missing")
    DRAFT = "draft", _("Draft, awaiting review")
    REVIEWED = "reviewed", _("Reviewed")
    OUTDATED = "outdated", _("Outdated")


class ContentItem(models.Model):
    class Format(models.TextChoices):
        MARKDOWN = "markdown", _("Paragraphs, bold and bullet lists")
        TEXT = "text", _("Plain text")

    key = models.CharField(
        _("key"),
        max_length=64,
        unique=True,
        validators=[RegexValidator(r"^[A-Za-z0-9_.-]+$", _("Use letters, digits, dots, dashes and underscores."))],
        help_text=_("Advice texts use the advice key of the triage rule set, for example ADV_CALL_TEAM_NOW."),
    )
    kind = models.CharField(_("kind"), max_length=16, choices=ContentKind.choices)
    essential = models.BooleanField(
        _("essential offline"),
        default=False,
        help_text=_("Downloaded at first sign-in and after every language change, before the patient is offline."),
    )
    text_format = models.CharField(_("format"), max_length=8, choices=Format.choices, default=Format.MARKDOWN)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["kind", "key"]
        verbose_name = _("content item")
        verbose_name_plural = _("content items")

    def __str__(self):
        return self.key


class ContentVersion(models.Model):
    """One signed-off revision of an item's English source text."""

    item = models.ForeignKey(ContentItem, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    status = models.CharField(_("status"), max_length=16, choices=ApprovalStatus.choices, default=ApprovalStatus.DRAFT)
    urgent = models.BooleanField(
        _("urgent"),
        default=False,
        help_text=_(
            "Urgent versions are shown in English with a “translation pending” notice until a reviewed "
            "translation exists, instead of an older translated instruction."
        ),
    )
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text (English source)"), max_length=8000)
    note = models.TextField(_("note for reviewers"), blank=True, max_length=2000)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    created_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["item", "-number"]
        verbose_name = _("content version")
        verbose_name_plural = _("content versions")
        constraints = [
            models.UniqueConstraint(fields=["item", "number"], name="content_version_number_unique"),
            models.UniqueConstraint(
                fields=["item"], condition=Q(status="published"), name="content_one_published_version"
            ),
        ]

    def __str__(self):
        return f"{self.item.key} v{self.number} ({self.get_status_display()})"


class ContentTranslation(models.Model):
    """The text of one version in one language other than the source."""

    version = models.ForeignKey(ContentVersion, on_delete=models.CASCADE, related_name="translations")
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    status = models.CharField(
        _("status"), max_length=16, choices=TranslationStatus.choices, default=TranslationStatus.MISSING
    )
    title = models.CharField(_("title"), max_length=200, blank=True)
    body = models.TextField(_("text"), max_length=8000, blank=True)
    needs_clinical_review = models.BooleanField(
        _("needs clinical review"),
        default=False,
        help_text=_("Demo or machine translations: shown, but a clinician has not checked them yet."),
    )
    translated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["version", "language"]
        verbose_name = _("translation")
        verbose_name_plural = _("translations")
        constraints = [
            models.UniqueConstraint(fields=["version", "language"], name="content_translation_unique"),
        ]

    def __str__(self):
        return f"{self.version.item.key} v{self.version.number} {self.language} ({self.get_status_display()})"


class ContentBlob(models.Model):
    """An immutable, content-addressed document as served to the offline app: the sha256 is of `data`."""

    sha256 = models.CharField(max_length=64, unique=True)
    data = models.TextField()
    version = models.ForeignKey(ContentVersion, on_delete=models.PROTECT, related_name="blobs")
    language = models.CharField(max_length=8)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("content blob")
        verbose_name_plural = _("content blobs")

    def __str__(self):
        return self.sha256


class ContentView(models.Model):
    """Which version of which item, in which language, a user was shown."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    version = models.ForeignKey(ContentVersion, on_delete=models.PROTECT, related_name="views")
    language = models.CharField(max_length=8)
    viewed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-viewed_at"]
        indexes = [models.Index(fields=["user", "-viewed_at"])]
        verbose_name = _("content view")
        verbose_name_plural = _("content views")

    def __str__(self):
        return f"{self.version} {self.language}"
