import pytest
from django.core.exceptions import ValidationError

from ivigapp.protocols.content import services
from ivigapp.protocols.content.models import ContentVersion

from .conftest import draft, publish

pytestmark = pytest.mark.django_db


def test_a_version_goes_draft_review_approved_published(admin_user, approver):
    version = draft(admin_user)
    assert version.status == "draft"
    services.content_version_submit(actor=admin_user, version=version)
    assert version.status == "in_review"
    services.content_version_approve(actor=approver, version=version)
    assert (version.status, version.approved_by) == ("approved", approver)
    services.content_version_publish(actor=admin_user, version=version)
    assert version.status == "published" and version.published_at is not None


def test_the_author_cannot_approve_their_own_version(admin_user):
    version = draft(admin_user)
    services.content_version_submit(actor=admin_user, version=version)
    with pytest.raises(ValidationError) as caught:
        services.content_version_approve(actor=admin_user, version=version)
    assert "approved_by" in caught.value.message_dict
    version.refresh_from_db()
    assert version.status == "in_review"


def test_a_nurse_cannot_approve_or_write_content(admin_user, nurse):
    version = draft(admin_user)
    services.content_version_submit(actor=admin_user, version=version)
    with pytest.raises(ValidationError):
        services.content_version_approve(actor=nurse, version=version)
    with pytest.raises(ValidationError):
        services.content_version_draft(actor=nurse, item=version.item, title="x", body="y")


def test_a_draft_cannot_be_approved_or_published_before_review(admin_user, approver):
    version = draft(admin_user)
    with pytest.raises(ValidationError):
        services.content_version_approve(actor=approver, version=version)
    with pytest.raises(ValidationError):
        services.content_version_publish(actor=admin_user, version=version)
    version.refresh_from_db()
    assert version.status == "draft"


def test_publishing_a_new_version_retires_the_previous_one(admin_user, approver):
    first = publish(admin_user, approver, draft(admin_user, body="First."))
    second = publish(admin_user, approver, draft(admin_user, body="Second."))
    first.refresh_from_db()
    assert (first.status, second.status, second.number) == ("retired", "published", 2)
    assert first.retired_at is not None
    assert ContentVersion.objects.filter(item=first.item, status="published").get() == second


def test_it_allows_only_one_version_in_progress_per_item(admin_user):
    version = draft(admin_user)
    with pytest.raises(ValidationError) as caught:
        services.content_version_draft(actor=admin_user, item=version.item, title="Again", body="Again.")
    assert "status" in caught.value.message_dict


def test_only_a_draft_can_be_edited(admin_user, approver):
    version = draft(admin_user)
    services.content_version_update(actor=admin_user, version=version, title="New title", body="New.", urgent=True)
    assert (version.title, version.body, version.urgent) == ("New title", "New.", True)
    publish(admin_user, approver, version)
    with pytest.raises(ValidationError):
        services.content_version_update(actor=admin_user, version=version, title="Late", body="Late.", urgent=False)


def test_a_version_in_review_can_be_sent_back_to_draft(admin_user, approver):
    version = draft(admin_user)
    services.content_version_submit(actor=admin_user, version=version)
    services.content_version_approve(actor=approver, version=version)
    services.content_version_return(actor=admin_user, version=version)
    assert (version.status, version.approved_by) == ("draft", None)


def test_retiring_the_published_version_withdraws_the_item(admin_user, approver):
    version = publish(admin_user, approver, draft(admin_user))
    services.content_version_retire(actor=admin_user, version=version)
    assert version.status == "retired"
    from ivigapp.protocols.content.selectors import content_for

    assert content_for(version.item, "en") is None


def test_an_item_key_is_unique_and_well_formed(admin_user):
    services.content_item_create(actor=admin_user, key="ADV_X", kind="advice")
    with pytest.raises(ValidationError):
        services.content_item_create(actor=admin_user, key="ADV_X", kind="advice")
    with pytest.raises(ValidationError):
        services.content_item_create(actor=admin_user, key="bad key <b>", kind="advice")
