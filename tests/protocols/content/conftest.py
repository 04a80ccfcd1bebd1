"""Helpers for content tests: items are made and published through the real services."""

import pytest

from ivigapp.protocols.content import services
from ivigapp.protocols.content.models import ContentItem
from tests.conftest import make_staff


@pytest.fixture
def approver(roles):
    return make_staff("approver", "clinical_admin")


def draft(author, key="ADV_CALL_TEAM_NOW", title="Call your care team now", body="Call them now.", **extra):
    item = ContentItem.objects.filter(key=key).first()
    if item is None:
        item = services.content_item_create(actor=author, key=key, kind=extra.pop("kind", "advice"))
    return services.content_version_draft(actor=author, item=item, title=title, body=body, **extra)


def publish(author, approver, version):
    services.content_version_submit(actor=author, version=version)
    services.content_version_approve(actor=approver, version=version)
    return services.content_version_publish(actor=author, version=version)


def translate(author, approver, version, language, title, body, *, review=True):
    translation = services.translation_save(actor=author, version=version, language=language, title=title, body=body)
    if review:
        translation = services.translation_review(actor=approver, translation=translation)
    return translation


def published(
    author,
    approver,
    key="ADV_CALL_TEAM_NOW",
    title="Call your care team now",
    body="Call them now.",
    *,
    translations=None,
    urgent=False,
    **extra,
):
    """A published version; `translations` maps language → (title, body), reviewed by `approver`."""
    version = publish(author, approver, draft(author, key, title, body, urgent=urgent, **extra))
    for language, (t_title, t_body) in (translations or {}).items():
        translate(author, approver, version, language, t_title, t_body)
    return version
