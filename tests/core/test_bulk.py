"""insert_new stores exactly what bulk_create stores (on PostgreSQL it uses COPY; elsewhere it is
bulk_create, so there the comparison is trivially true and CI's PostgreSQL run is the real check)."""

import uuid
import warnings
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ivigapp.core.bulk import insert_new, insert_values
from ivigapp.reactions.models import HydrationLog, MedicationDose, VialUsage, VitalSigns
from ivigapp.sync.models import MutationLog, SyncClient, patient_scope_id

pytestmark = pytest.mark.django_db


RECEIVED = timezone.now()
CLIENT = uuid.uuid4()


def parts(episode, nurse):
    return {
        "patient_id": episode.patient_id,
        "episode": episode,
        "entered_by": "nurse",
        "entered_by_user": nurse,
        "scope_id": patient_scope_id(episode.patient_id),
        "server_version": 7,
        "version": 1,
        "received_at": RECEIVED,
    }


def pairs(episode, nurse):
    """Rows with every kind of value a caller may leave on an instance: plain, None, and types the
    field has to convert (a float for a decimal, a naive time, a uuid as text, a number as text)."""
    now = timezone.now()
    naive = datetime(2026, 11, 22, 9, 30, 15, 123456)
    return [
        lambda: VialUsage(
            lot_number="LOT-1", expiry_date=date(2030, 1, 1), vial_size_g=Decimal("10.0"), **parts(episode, nurse)
        ),
        lambda: VialUsage(
            lot_number="ÄRZ-٣", expiry_date="2031-02-03", vial_size_g=5.5, quantity="3", **parts(episode, nurse)
        ),
        lambda: HydrationLog(phase="during", volume_ml=250, logged_at=now, recorded_at=naive, **parts(episode, nurse)),
        lambda: HydrationLog(
            phase="before",
            volume_ml="300",
            logged_at="2026-11-22T08:00:00+05:30",
            updated_by_client=str(CLIENT),
            **parts(episode, nurse),
        ),
        lambda: MedicationDose(
            category="as_needed", drug='say "hi"\t\\n', dose="", given_at=now, **parts(episode, nurse)
        ),
        lambda: VitalSigns(
            measured_at=now - timedelta(minutes=3),
            temperature_c=Decimal("37.25"),
            heart_rate=None,
            systolic=True,
            diastolic=80,
            **parts(episode, nurse),
        ),
    ]


def stored(model, pk):
    """Every column but the key, as the database gives it back."""
    return (
        model.objects.filter(pk=pk).values(*[f.attname for f in model._meta.concrete_fields if not f.primary_key]).get()
    )


def test_insert_new_stores_what_bulk_create_stores(episode, nurse, settings):
    settings.TIME_ZONE = "Europe/Madrid"  # where Django places a naive time; the database session stays UTC
    made = 0
    for make in pairs(episode, nurse):
        ours, orms = make(), make()
        ours.id, orms.id = uuid.uuid4(), uuid.uuid4()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # the naive time, on both paths
            insert_new(type(ours), [ours])
            type(orms).objects.bulk_create([orms])
        assert stored(type(ours), ours.pk) == stored(type(orms), orms.pk)
        assert ours._state.adding is False and ours._state.db == "default"
        made += 1
    assert made == 6


def test_mutation_log_rows_without_keys(patient):
    client = SyncClient.objects.create(id=uuid.uuid4(), user=patient.user)
    payload = {"id": 1, "set": {"drug": 'a "quoted" \\ name', "n": [1, 2.5, None, True]}, "text": "عربي"}
    ours = [
        MutationLog(client=client, mutation_id=i, payload=payload, result="applied", response={"id": i}) for i in (1, 2)
    ]
    insert_new(MutationLog, ours)
    MutationLog.objects.bulk_create(
        [MutationLog(client=client, mutation_id=3, payload=payload, result="applied", response={"id": 3})]
    )
    before = timezone.now()
    insert_values(
        MutationLog,
        [{"client_id": client.pk, "mutation_id": 4, "payload": payload, "result": "merged", "response": {"id": 4}}],
    )
    rows = {m.mutation_id: m for m in MutationLog.objects.filter(client=client)}
    assert rows[1].payload == rows[3].payload == rows[4].payload == payload
    assert rows[1].received_at == ours[0].received_at
    assert before <= rows[4].received_at <= timezone.now()  # the field's default
    assert [rows[i].response for i in (1, 2, 4)] == [{"id": 1}, {"id": 2}, {"id": 4}]
    assert rows[4].result == "merged"


def test_insert_new_is_one_statement_and_errors_are_django_errors(episode, nurse):
    rows = [
        HydrationLog(id=uuid.uuid4(), phase="during", volume_ml=v, logged_at=timezone.now(), **parts(episode, nurse))
        for v in range(1, 40)
    ]
    with CaptureQueriesContext(connection) as census:
        insert_new(HydrationLog, rows)
    assert len(census) == 1
    again = HydrationLog(id=rows[0].id, phase="during", volume_ml=1, logged_at=timezone.now(), **parts(episode, nurse))
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_new(HydrationLog, [again])
    with transaction.atomic():  # as after bulk_create: the failed write spoils the transaction
        with pytest.raises(IntegrityError):
            insert_new(HydrationLog, [again])
        with pytest.raises(TransactionManagementError):
            HydrationLog.objects.count()
    insert_values(MutationLog, [])  # nothing to write: no statement
    with pytest.raises(ValueError):
        insert_new(HydrationLog, [HydrationLog(id=None, phase="during", volume_ml=1, logged_at=timezone.now())])
