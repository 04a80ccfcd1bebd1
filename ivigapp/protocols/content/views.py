"""Pages: the administrators' translation status table, the side-by-side version comparison and
the patient-facing reading page (which records the version seen)."""

import difflib
import re

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from ivigapp.patients.roles import ROLE_ADMIN, ROLE_PATIENT, user_role
from ivigapp.protocols.content.models import (
    ContentKind,
    ContentTranslation,
    ContentVersion,
    TranslationStatus,
    translated_languages,
)
from ivigapp.protocols.content.selectors import (
    FALLBACK_OLDER_VERSION,
    content_for_key,
    content_status_table,
    language_normalise,
)
from ivigapp.protocols.content.services import content_view_record

_TOKENS = re.compile(r"(\s+)")


def _admin_only(request) -> None:
    if user_role(request.user) != ROLE_ADMIN:
        raise Http404


@login_required
def content_status(request):
    _admin_only(request)
    kind = request.GET.get("kind", "")
    kind = kind if kind in ContentKind.values else ""
    status = request.GET.get("status", "")
    status = status if status in TranslationStatus.values else ""
    language = request.GET.get("language", "")
    language = language if language in translated_languages() else ""
    table = content_status_table(kind=kind, status=status, language=language)
    names = dict(settings.LANGUAGES)
    context = {
        **table,
        "language_names": [(code, names[code]) for code in table["languages"]],
        "source_language_name": names[settings.LANGUAGE_CODE],
        "kinds": ContentKind.choices,
        "statuses": TranslationStatus.choices,
        "selected": {"kind": kind, "status": status, "language": language},
    }
    return render(request, "protocols/content_status.html", context)


def _word_diff(old: str, new: str) -> tuple[SafeString, SafeString]:
    """Both texts, escaped, with removed words in <del> on the left and added words in <ins> on the right."""
    a, b = _TOKENS.split(old or ""), _TOKENS.split(new or "")
    left, right = [], []
    for op, a1, a2, b1, b2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        removed, added = escape("".join(a[a1:a2])), escape("".join(b[b1:b2]))
        if op == "equal":
            left.append(removed)
            right.append(added)
            continue
        if removed:
            left.append(f"<del>{removed}</del>")
        if added:
            right.append(f"<ins>{added}</ins>")
    return mark_safe("".join(left)), mark_safe("".join(right))  # noqa: S308 (escaped pieces and our own tags)


@login_required
def content_compare(request, old_id, new_id):
    _admin_only(request)
    old = get_object_or_404(ContentVersion.objects.select_related("item", "author", "approved_by"), pk=old_id)
    new = get_object_or_404(ContentVersion.objects.select_related("item", "author", "approved_by"), pk=new_id)
    if old.item_id != new.item_id:
        raise Http404
    if old.number > new.number:
        old, new = new, old
    language = request.GET.get("lang", "")
    language = language if language in translated_languages() else ""
    texts = {v.pk: (v.title, v.body) for v in (old, new)}
    if language:
        found = {t.version_id: t for t in ContentTranslation.objects.filter(version__in=[old, new], language=language)}
        texts = {pk: (found[pk].title, found[pk].body) if pk in found else ("", "") for pk in texts}
    title_old, title_new = _word_diff(texts[old.pk][0], texts[new.pk][0])
    body_old, body_new = _word_diff(texts[old.pk][1], texts[new.pk][1])
    context = {
        "item": old.item,
        "old": old,
        "new": new,
        "language": language,
        "languages": [(code, name) for code, name in settings.LANGUAGES if code in translated_languages()],
        "columns": [(old, title_old, body_old), (new, title_new, body_new)],
    }
    return render(request, "protocols/content_compare.html", context)


@login_required
def content_read(request, key):
    """One item as the reader sees it: patients in their own language, others in the page language."""
    role = user_role(request.user)
    if role == ROLE_PATIENT:
        language = request.user.patient.language
    else:
        language = language_normalise(request.GET.get("lang")) or language_normalise(get_language())
    language = language or settings.LANGUAGE_CODE
    shown = content_for_key(key, language)
    if shown is None:
        raise Http404
    if role == ROLE_PATIENT:
        content_view_record(user=request.user, item_key=key, version=shown.version.number, language=shown.language)
    context = {"shown": shown, "older_version": shown.fallback == FALLBACK_OLDER_VERSION}
    return render(request, "protocols/content_read.html", context)
