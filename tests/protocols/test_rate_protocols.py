"""Rate protocols are clinical content: a new version is a draft its author may edit, a second
administrator approves it, and publishing it retires the version of the same use published
before. A published version is never edited, and a plan keeps the version it was prescribed with."""

import json
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from ivigapp.protocols import services
from ivigapp.protocols.models import ApprovalStatus, Product, RateProtocol
from ivigapp.reactions import services as clinical
from ivigapp.reactions.services import rate_cap
from tests.conftest import make_staff

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/protocols/rateprotocol/"
PLANS = "/admin/reactions/plan/"


@pytest.fixture
def approver(roles):
    return make_staff("approver", "clinical_admin")


def steps(top: str):
    return [{"rate": 0.5, "unit": "mL/kg/h", "minutes": 30}, {"rate": float(top), "unit": "mL/kg/h", "minutes": None}]


def signed_off(draft, author, approver):
    services.signoff_submit(actor=author, obj=draft)
    services.signoff_approve(actor=approver, obj=draft)
    return services.rate_protocol_publish(actor=author, protocol=draft)


def test_a_new_version_is_signed_off_and_a_plan_keeps_the_version_it_was_prescribed_with(
    admin_user, approver, protocol, plan
):
    cap_before = rate_cap(plan)
    draft = services.rate_protocol_new_version(author=admin_user, protocol=protocol)
    assert (draft.version, draft.status, draft.steps) == (protocol.version + 1, "draft", protocol.steps)
    draft = services.rate_protocol_update(
        actor=admin_user, protocol=draft, steps=steps("3"), max_rate=Decimal("3"), source="label 2026"
    )
    services.signoff_submit(actor=admin_user, obj=draft)
    with pytest.raises(ValidationError, match="cannot approve their own"):
        services.signoff_approve(actor=admin_user, obj=draft)
    services.signoff_approve(actor=approver, obj=draft)
    services.rate_protocol_publish(actor=admin_user, protocol=draft)

    use = RateProtocol.objects.filter(product=protocol.product, indication="CIDP", infusion_type="subsequent")
    assert dict(use.values_list("version", "status")) == {1: "retired", 2: "published"}
    plan.refresh_from_db()
    assert plan.rate_protocol_id == protocol.pk and rate_cap(plan) == cap_before  # the prescription stands
    with pytest.raises(ValidationError) as refused:
        clinical.plan_check(
            patient=plan.patient,
            product=plan.product,
            rate_protocol=RateProtocol.objects.get(pk=protocol.pk),
            dose_g_per_kg=Decimal("0.4"),
            weight_method="actual",
            interval_days=21,
        )
    assert refused.value.message_dict["rate_protocol"] == ["Choose the published version of the rate protocol."]
    new_plan = clinical.plan_create(
        actor=admin_user,
        patient=plan.patient,
        product=plan.product,
        rate_protocol=draft,
        dose_g_per_kg=Decimal("0.4"),
        weight_method="actual",
        interval_days=21,
    )
    assert rate_cap(new_plan)[0] < cap_before[0]  # 3 mL/kg/h now, not 5


def test_a_version_past_draft_is_never_edited_and_a_draft_only_by_its_author(admin_user, approver, protocol):
    with pytest.raises(ValidationError, match="Only a draft can be edited"):
        services.rate_protocol_update(actor=admin_user, protocol=protocol, max_rate=Decimal("9"))
    draft = services.rate_protocol_new_version(author=admin_user, protocol=protocol)
    with pytest.raises(ValidationError, match="Only the author"):
        services.rate_protocol_update(actor=approver, protocol=draft, max_rate=Decimal("9"))
    with pytest.raises(ValidationError, match="cannot be changed"):
        services.rate_protocol_update(actor=admin_user, protocol=draft, infusion_type="first")
    assert RateProtocol.objects.get(pk=protocol.pk).max_rate == Decimal("5")


def test_the_database_holds_one_published_version_per_use(admin_user, protocol):
    draft = services.rate_protocol_new_version(author=admin_user, protocol=protocol)
    with pytest.raises(IntegrityError), transaction.atomic():
        RateProtocol.objects.filter(pk=draft.pk).update(status=ApprovalStatus.PUBLISHED)


def test_the_admin_drafts_edits_and_signs_off_a_version(client, admin_user, approver, protocol):
    client.force_login(admin_user)
    # A published version reads as a page without a save button, and a POST changes nothing.
    page = client.get(f"{CHANGELIST}{protocol.pk}/change/").content.decode()
    assert 'name="_save"' not in page and "Published" in page
    assert client.post(f"{CHANGELIST}{protocol.pk}/change/", {"max_rate": "9"}).status_code == 403

    client.post(CHANGELIST, {"action": "new_version", "_selected_action": [protocol.pk]})
    draft = RateProtocol.objects.get(status="draft")
    assert (draft.version, draft.author) == (2, admin_user)
    form = client.get(f"{CHANGELIST}{draft.pk}/change/").context["adminform"].form
    data = {name: form[name].value() for name in form.fields}
    data.update(steps=json.dumps(steps("4")), max_rate="4", at_risk_max_rate="2")
    assert client.post(f"{CHANGELIST}{draft.pk}/change/", data).status_code == 302
    draft.refresh_from_db()
    assert (draft.max_rate, draft.steps[-1]["rate"], draft.status) == (Decimal("4"), 4, "draft")

    client.force_login(approver)  # someone else's draft is only read
    assert client.post(f"{CHANGELIST}{draft.pk}/change/", data).status_code == 403
    client.force_login(admin_user)
    client.post(CHANGELIST, {"action": "submit", "_selected_action": [draft.pk]})
    refused = client.post(CHANGELIST, {"action": "approve", "_selected_action": [draft.pk]}, follow=True)
    assert "cannot approve their own" in refused.content.decode()
    client.force_login(approver)
    client.post(CHANGELIST, {"action": "approve", "_selected_action": [draft.pk]})
    done = client.post(CHANGELIST, {"action": "publish", "_selected_action": [draft.pk]}, follow=True)
    assert "Gammagard Liquid 10% CIDP subsequent v2: published" in done.content.decode()
    statuses = dict(RateProtocol.objects.values_list("version", "status"))
    assert statuses == {1: "retired", 2: "published"}


def test_a_protocol_added_in_the_admin_is_a_draft_of_its_author(client, admin_user, product):
    client.force_login(admin_user)
    response = client.post(
        CHANGELIST + "add/",
        {
            "product": product.pk,
            "indication": "MMN",
            "infusion_type": "first",
            "steps": '[{"rate": 0.5, "unit": "mL/kg/h", "minutes": null}]',
            "max_rate": "0.5",
            "max_rate_unit": "mL/kg/h",
        },
    )
    assert response.status_code == 302
    added = RateProtocol.objects.get(indication="MMN")
    assert (added.version, added.status, added.author) == (1, "draft", admin_user)


def test_the_plan_form_offers_published_protocols_only_and_shows_the_services_checks(
    client, admin_user, patient, protocol
):
    draft = services.rate_protocol_new_version(author=admin_user, protocol=protocol)
    client.force_login(admin_user)
    form = client.get(PLANS + "add/").context["adminform"].form
    assert list(form.fields["rate_protocol"].queryset) == [protocol]
    data = {
        "patient": patient.pk,
        "product": protocol.product_id,
        "rate_protocol": draft.pk,
        "dose_g_per_kg": "0.4",
        "weight_method": "actual",
        "interval_days": "21",
        "course_days": "1",
        "premedication": "[]",
        "hydration": "[]",
    }
    refused = client.post(PLANS + "add/", data)
    assert refused.status_code == 200
    assert "rate_protocol" in refused.context["adminform"].form.errors
    # The patient has no weight yet: the service's message on the form, not an error page.
    response = client.post(PLANS + "add/", {**data, "rate_protocol": protocol.pk})
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["weight_method"] == ["Record the patient's weight first."]


def test_the_nurse_sees_when_a_plans_protocol_version_has_been_replaced(client, nurse, admin_user, approver, plan):
    client.force_login(nurse)
    url = f"/nurse/patients/{plan.patient_id}/"
    assert 'id="newer-protocol"' not in client.get(url).content.decode()
    signed_off(services.rate_protocol_new_version(author=admin_user, protocol=plan.rate_protocol), admin_user, approver)
    page = client.get(url).content.decode()
    assert "Version 2 of this rate protocol has been published since." in page


def test_a_products_concentration_is_only_read_once_a_plan_uses_it(client, admin_user, product, plan):
    client.force_login(admin_user)
    url = f"/admin/protocols/product/{product.pk}/change/"
    form = client.get(url).context["adminform"].form
    assert "concentration_pct" not in form.fields
    data = {name: value for name in form.fields if (value := form[name].value()) is not None}
    data.update(vial_sizes_g="[5, 10, 20, 30]", concentration_pct="20")
    assert client.post(url, data).status_code == 302
    product.refresh_from_db()
    assert (product.concentration_pct, product.vial_sizes_g) == (Decimal("10"), [5, 10, 20, 30])


def test_a_version_todays_checks_refuse_cannot_be_copied_and_the_admin_says_why(client, admin_user, protocol):
    RateProtocol.objects.filter(pk=protocol.pk).update(steps=[])  # stored before the checks of the day
    client.force_login(admin_user)
    page = client.post(CHANGELIST, {"action": "new_version", "_selected_action": [protocol.pk]}, follow=True)
    assert page.status_code == 200
    assert "Give at least one titration step." in page.content.decode()
    assert RateProtocol.objects.count() == 1


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"max_rate": "-1"}, "max_rate", "The label maximum must be above zero."),
        ({"max_rate": "4"}, "steps", "Step 2 is above the label maximum."),
        ({"at_risk_max_rate": "0"}, "at_risk_max_rate", "The maximum for patients at risk must be above zero."),
        ({"at_risk_max_rate": "6"}, "at_risk_max_rate", "cannot be above the label maximum."),
    ],
)
def test_maximums_a_pump_could_not_follow_are_refused_on_the_form(
    client, admin_user, protocol, changes, field, message
):
    """A walkthrough published a label maximum of -1 mL/kg/min, and it was offered for plans."""
    client.force_login(admin_user)
    client.post(CHANGELIST, {"action": "new_version", "_selected_action": [protocol.pk]})
    draft = RateProtocol.objects.get(status="draft")
    url = f"{CHANGELIST}{draft.pk}/change/"
    form = client.get(url).context["adminform"].form
    data = {name: value for name in form.fields if (value := form[name].value()) is not None}
    data.update(steps=json.dumps(steps("5")), **changes)
    response = client.post(url, data)
    assert response.status_code == 200
    assert message in " ".join(response.context["adminform"].form.errors[field])
    assert RateProtocol.objects.get(pk=draft.pk).max_rate == protocol.max_rate


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ([{"rate": -1, "unit": "mL/kg/h", "minutes": 30}], "Step 1 needs a positive rate and a known unit."),
        ([{"rate": 1, "unit": "furlongs", "minutes": 30}], "Step 1 needs a positive rate and a known unit."),
        ([{"rate": 1, "unit": "mL/kg/h", "minutes": -5}], "Step 1 needs a positive number of minutes."),
        ([{"rate": "abc", "unit": "mL/kg/h"}], "Step 1 has no valid rate."),
        (["abc"], "Step 1 has no valid rate."),
        ([{"rate": "NaN", "unit": "mL/kg/h"}], "Step 1 has no valid rate."),  # a second walkthrough's 500
        ([{"rate": "Infinity", "unit": "mL/kg/h"}], "Step 1 has no valid rate."),
    ],
)
def test_a_step_the_checks_refuse_is_a_message_on_the_field_not_an_error_page(
    client, admin_user, protocol, bad, message
):
    """A walkthrough got a 500 (TypeError from add_error) for a negative rate in a draft's steps."""
    client.force_login(admin_user)
    client.post(CHANGELIST, {"action": "new_version", "_selected_action": [protocol.pk]})
    draft = RateProtocol.objects.get(status="draft")
    url = f"{CHANGELIST}{draft.pk}/change/"
    form = client.get(url).context["adminform"].form
    data = {name: value for name in form.fields if (value := form[name].value()) is not None}
    data.update(steps=json.dumps(bad))
    response = client.post(url, data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["steps"] == [message]
    assert RateProtocol.objects.get(pk=draft.pk).steps == protocol.steps


def test_publishing_applies_the_checks_of_the_day(admin_user, approver, protocol):
    draft = services.rate_protocol_new_version(author=admin_user, protocol=protocol)
    services.signoff_submit(actor=admin_user, obj=draft)
    services.signoff_approve(actor=approver, obj=draft)
    RateProtocol.objects.filter(pk=draft.pk).update(max_rate=Decimal("-1"))  # say, written before the checks
    draft.refresh_from_db()
    with pytest.raises(ValidationError, match="above zero"):
        services.rate_protocol_publish(actor=admin_user, protocol=draft)
    assert RateProtocol.objects.get(pk=protocol.pk).status == "published"


@pytest.mark.parametrize("sizes", ["[0]", '["abc"]', "[NaN]", "[-5, 10]", "5", "[true]", "[1000]"])
def test_vial_sizes_a_plan_could_not_round_to_are_refused_on_the_product_form(client, admin_user, sizes):
    """A second walkthrough's questions: [0] divides by zero and [NaN] compares with nothing when a
    plan rounds its dose to the smallest vial."""
    client.force_login(admin_user)
    data = {"brand": "Testagam", "manufacturer": "", "concentration_pct": "10", "vial_sizes_g": sizes}
    response = client.post("/admin/protocols/product/add/", data)
    assert response.status_code == 200
    assert "Give the vial sizes in grams" in " ".join(response.context["adminform"].form.errors["vial_sizes_g"])
    assert not Product.objects.filter(brand="Testagam").exists()
    data["vial_sizes_g"] = "[5, 10, 2.5]"
    assert client.post("/admin/protocols/product/add/", data).status_code == 302
    assert Product.objects.get(brand="Testagam").vial_sizes_g == [5, 10, 2.5]
