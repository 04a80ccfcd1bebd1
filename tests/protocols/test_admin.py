import json

import pytest
from django.core.exceptions import ValidationError

from ivigapp.protocols import services
from ivigapp.protocols.models import TriageRuleSet
from tests.conftest import make_staff

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/protocols/triageruleset/"


def test_an_administrator_drafts_a_rule_set_in_the_admin(client, admin_user):
    client.force_login(admin_user)
    document = json.dumps(services.triage_ruleset_v1_document())
    response = client.post(CHANGELIST + "add/", {"document": document})
    assert response.status_code == 302
    ruleset = TriageRuleSet.objects.get()
    assert (ruleset.status, ruleset.author) == ("draft", admin_user)
    # The confirmation names the version the service made (it said "vNone").
    message = next(iter(client.get(response.url).context["messages"]))
    assert "triage rules v1 (Draft)" in str(message)


def test_the_admin_refuses_broken_json_with_a_message(client, admin_user):
    client.force_login(admin_user)
    response = client.post(CHANGELIST + "add/", {"document": "{not json"})
    assert response.status_code == 200 and "not valid JSON" in response.content.decode()
    assert not TriageRuleSet.objects.exists()


def test_the_approve_action_refuses_the_author_and_accepts_a_second_person(client, admin_user, roles):
    ruleset = services.triage_ruleset_draft(author=admin_user, document=services.triage_ruleset_v1_document())
    services.triage_ruleset_submit(actor=admin_user, ruleset=ruleset)
    client.force_login(admin_user)
    response = client.post(CHANGELIST, {"action": "approve", "_selected_action": [ruleset.pk]}, follow=True)
    assert "cannot approve their own" in response.content.decode()
    ruleset.refresh_from_db()
    assert ruleset.status == "in_review"
    client.force_login(make_staff("approver", "clinical_admin"))
    client.post(CHANGELIST, {"action": "approve", "_selected_action": [ruleset.pk]})
    ruleset.refresh_from_db()
    assert ruleset.status == "approved"


def publish(document, author, approver):
    ruleset = services.triage_ruleset_draft(author=author, document=document)
    services.triage_ruleset_submit(actor=author, ruleset=ruleset)
    services.triage_ruleset_approve(actor=approver, ruleset=ruleset)
    return services.triage_ruleset_publish(actor=approver, ruleset=ruleset)


def test_a_new_draft_starts_from_the_published_rule_set_which_reads_as_json(client, admin_user, roles):
    approver = make_staff("approver", "clinical_admin")
    publish(services.triage_ruleset_v1_document(), admin_user, approver)
    changed = services.triage_ruleset_v1_document()
    changed["rules"][0]["advice"] = [*changed["rules"][0]["advice"], "ADV_TELL_NURSE_NOW"]
    v2 = publish(changed, admin_user, approver)
    client.force_login(admin_user)

    form = client.get(CHANGELIST + "add/").context["adminform"].form
    assert json.loads(form.fields["document"].initial) == changed  # not v1: v2's change is kept

    page = client.get(f"{CHANGELIST}{v2.pk}/change/").content.decode()
    assert '<pre class="document-json">' in page
    assert "&quot;ADV_TELL_NURSE_NOW&quot;" in page and "{&#x27;" not in page


def test_the_author_fixes_their_draft_in_place_and_no_one_else_can(client, admin_user, roles):
    """A walkthrough saved a draft and found it read-only: a typo meant drafting yet another version."""
    draft = services.triage_ruleset_draft(author=admin_user, document=services.triage_ruleset_v1_document())
    url = f"{CHANGELIST}{draft.pk}/change/"
    client.force_login(admin_user)
    form = client.get(url).context["adminform"].form
    assert json.loads(form.fields["document"].initial) == draft.rules  # its own JSON, to edit
    changed = services.triage_ruleset_v1_document()
    changed["rules"][0]["advice"] = [*changed["rules"][0]["advice"], "ADV_CALL_TEAM_NOW"]
    assert client.post(url, {"document": json.dumps(changed)}).status_code == 302
    draft.refresh_from_db()
    assert draft.rules == changed and TriageRuleSet.objects.count() == 1
    refused = client.post(url, {"document": "{not json"})
    assert refused.status_code == 200 and "not valid JSON" in refused.content.decode()

    approver = make_staff("approver", "clinical_admin")
    client.force_login(approver)  # someone else's draft is only read
    assert client.post(url, {"document": json.dumps(services.triage_ruleset_v1_document())}).status_code == 403
    assert '<pre class="document-json">' in client.get(url).content.decode()
    client.force_login(admin_user)
    services.triage_ruleset_submit(actor=admin_user, ruleset=draft)  # in review: read by its author too
    assert client.post(url, {"document": json.dumps(changed)}).status_code == 403
    with pytest.raises(ValidationError, match="Only a draft"):
        services.triage_ruleset_update(actor=admin_user, ruleset=draft, document=changed)
    draft.refresh_from_db()
    assert draft.rules == changed


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda rule: rule["advice"].append("ADV_NOT_EXISTING"), "gives advice with no text: ADV_NOT_EXISTING"),
        (lambda rule: rule["when"].append({"red_flag": "RF_NOPE"}), "names a question the checklist does not ask"),
        (
            lambda rule: rule["when"].append({"symptom": "SNEEZE", "min": 1}),
            "names a question the checklist does not ask",
        ),
    ],
)
def test_a_rule_set_naming_advice_or_questions_that_do_not_exist_is_refused(admin_user, change, message):
    """A second walkthrough saved a draft with advice ADV_NOT_EXISTING: once published, a patient
    would have read the key itself as the advice."""
    document = services.triage_ruleset_v1_document()
    change(document["rules"][5])
    with pytest.raises(ValidationError, match=message):
        services.triage_ruleset_draft(author=admin_user, document=document)
    assert not TriageRuleSet.objects.exists()


def test_publishing_a_rule_set_applies_the_checks_of_the_day(client, admin_user, roles):
    draft = services.triage_ruleset_draft(author=admin_user, document=services.triage_ruleset_v1_document())
    services.triage_ruleset_submit(actor=admin_user, ruleset=draft)
    approver = make_staff("approver", "clinical_admin")
    services.triage_ruleset_approve(actor=approver, ruleset=draft)
    rules = services.triage_ruleset_v1_document()
    rules["rules"][5]["advice"].append("ADV_NOT_EXISTING")  # stored before today's checks
    TriageRuleSet.objects.filter(pk=draft.pk).update(rules=rules)
    client.force_login(approver)
    response = client.post(CHANGELIST, {"action": "publish", "_selected_action": [draft.pk]}, follow=True)
    assert "gives advice with no text: ADV_NOT_EXISTING" in response.content.decode()
    assert TriageRuleSet.objects.get(pk=draft.pk).status == "approved"
