import copy

import pytest
from django.core.exceptions import ValidationError

from ivigapp.protocols import services
from ivigapp.protocols.models import TriageRuleSet
from tests.conftest import make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def approver(roles):
    return make_staff("approver", "clinical_admin")


def draft(author):
    return services.triage_ruleset_draft(author=author, document=services.triage_ruleset_v1_document())


def test_a_rule_set_goes_draft_review_approved_published(admin_user, approver):
    ruleset = draft(admin_user)
    services.triage_ruleset_submit(actor=admin_user, ruleset=ruleset)
    services.triage_ruleset_approve(actor=approver, ruleset=ruleset)
    services.triage_ruleset_publish(actor=admin_user, ruleset=ruleset)
    assert services.triage_ruleset_current() == ruleset
    assert (ruleset.status, ruleset.approved_by) == ("published", approver)


def test_the_author_cannot_approve_their_own_rule_set(admin_user):
    ruleset = draft(admin_user)
    services.triage_ruleset_submit(actor=admin_user, ruleset=ruleset)
    with pytest.raises(ValidationError) as caught:
        services.triage_ruleset_approve(actor=admin_user, ruleset=ruleset)
    assert "approved_by" in caught.value.message_dict
    ruleset.refresh_from_db()
    assert ruleset.status == "in_review"


def test_a_nurse_cannot_approve(admin_user, nurse):
    ruleset = draft(admin_user)
    services.triage_ruleset_submit(actor=admin_user, ruleset=ruleset)
    with pytest.raises(ValidationError):
        services.triage_ruleset_approve(actor=nurse, ruleset=ruleset)


def test_a_draft_cannot_be_published_without_approval(admin_user):
    ruleset = draft(admin_user)
    with pytest.raises(ValidationError):
        services.triage_ruleset_publish(actor=admin_user, ruleset=ruleset)
    assert services.triage_ruleset_current() is None


def test_publishing_a_new_version_retires_the_old_one(admin_user, approver):
    versions = []
    for _ in range(2):
        ruleset = draft(admin_user)
        services.triage_ruleset_submit(actor=admin_user, ruleset=ruleset)
        services.triage_ruleset_approve(actor=approver, ruleset=ruleset)
        services.triage_ruleset_publish(actor=admin_user, ruleset=ruleset)
        versions.append(ruleset.version)
    assert dict(TriageRuleSet.objects.values_list("version", "status")) == {
        versions[0]: "retired",
        versions[1]: "published",
    }


def test_a_rule_set_that_would_hide_a_red_flag_is_refused(admin_user):
    document = copy.deepcopy(services.triage_ruleset_v1_document())
    chest = next(rule for rule in document["rules"] if rule["id"] == "T02")
    chest["alert"] = "routine"
    with pytest.raises(ValidationError, match="RF_CHEST"):
        services.triage_ruleset_draft(author=admin_user, document=document)
    assert not TriageRuleSet.objects.exists()


def test_a_rule_with_an_unknown_condition_is_refused(admin_user):
    document = copy.deepcopy(services.triage_ruleset_v1_document())
    document["rules"][5]["when"] = [{"moon_phase": "full"}]
    with pytest.raises(ValidationError):
        services.triage_ruleset_draft(author=admin_user, document=document)
