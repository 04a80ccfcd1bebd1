"""Two administrators at once: drafts of one kind of versioned content get distinct numbers, and
publications leave exactly one version published (`versions_locked`). PostgreSQL only: SQLite
runs one write transaction at a time."""

import threading
from decimal import Decimal

import pytest
from django.db import connection, transaction

from ivigapp.protocols import services
from ivigapp.protocols.models import ApprovalStatus, Product, RateProtocol, TriageRuleSet
from ivigapp.reminders import plans
from ivigapp.reminders.models import ReminderPlan
from ivigapp.reminders.planning import DEFAULT_PLAN
from tests.conftest import make_staff
from tests.pg_locks import wait_until_a_transaction_waits_for_a_lock

pytestmark = pytest.mark.django_db(transaction=True)


def rate_protocol_draft(author):
    product, _ = Product.objects.get_or_create(brand="Privigen", concentration_pct=Decimal("10"), vial_sizes_g=[5, 10])
    return services.rate_protocol_draft(
        author=author,
        product=product,
        indication="CIDP",
        infusion_type="subsequent",
        steps=[{"rate": 0.5, "unit": "mL/kg/h", "minutes": None}],
        max_rate=Decimal("0.5"),
        max_rate_unit="mL/kg/h",
    )


KINDS = {
    "rate protocol": (RateProtocol, rate_protocol_draft),
    "triage rule set": (
        TriageRuleSet,
        lambda author: services.triage_ruleset_draft(author=author, document=services.triage_ruleset_v1_document()),
    ),
    "reminder plan": (
        ReminderPlan,
        lambda author: plans.reminder_plan_draft(author=author, steps=DEFAULT_PLAN["steps"]),
    ),
}


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite runs one write transaction at a time (BEGIN IMMEDIATE); the lock is PostgreSQL's")


def at_once(first, second) -> list:
    """`first` runs in a transaction that stays open until `second`, in its own, is blocked on a
    lock; then both finish. Returns the exceptions either raised."""
    done_first, release, errors = threading.Event(), threading.Event(), []

    def run(action, before=None, after=None):
        try:
            if before:
                before.wait(30)
            with transaction.atomic():
                action()
                if after:
                    after[0].set()
                    after[1].wait(30)
        except Exception as error:  # noqa: BLE001 (the test asserts there are none)
            errors.append(error)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=(first, None, (done_first, release))),
        threading.Thread(target=run, args=(second, done_first)),
    ]
    for thread in threads:
        thread.start()
    assert done_first.wait(30)
    waited = wait_until_a_transaction_waits_for_a_lock()
    release.set()
    for thread in threads:
        thread.join(30)
    assert waited, "the second transaction never waited for the first"
    return errors


def approved(model, draft, author, approver):
    version = draft(author)
    services.signoff_submit(actor=author, obj=version)
    return services.signoff_approve(actor=approver, obj=version)


@pytest.mark.parametrize("kind", KINDS)
def test_two_drafts_saved_at_once_get_the_next_two_numbers(kind, roles):
    model, draft = KINDS[kind]
    lead, approver = make_staff("lead", "clinical_admin"), make_staff("approver", "clinical_admin")
    before = approved(model, draft, lead, approver).version
    errors = at_once(lambda: draft(lead), lambda: draft(approver))
    assert errors == []
    numbers = sorted(model.objects.values_list("version", flat=True))
    assert numbers == [before, before + 1, before + 2]


@pytest.mark.parametrize("kind", KINDS)
def test_two_versions_published_at_once_leave_one_published(kind, roles):
    model, draft = KINDS[kind]
    lead, approver = make_staff("lead", "clinical_admin"), make_staff("approver", "clinical_admin")
    first_published = approved(model, draft, lead, approver)
    services.signoff_publish(actor=lead, obj=first_published, others=model.objects.all())
    a, b = (approved(model, draft, lead, approver) for _ in range(2))
    errors = at_once(
        lambda: services.signoff_publish(actor=lead, obj=a, others=model.objects.all()),
        lambda: services.signoff_publish(actor=approver, obj=b, others=model.objects.all()),
    )
    assert errors == []
    assert list(model.objects.filter(status=ApprovalStatus.PUBLISHED).values_list("pk", flat=True)) == [b.pk]
    assert set(model.objects.filter(status=ApprovalStatus.RETIRED).values_list("pk", flat=True)) == {
        first_published.pk,
        a.pk,
    }
