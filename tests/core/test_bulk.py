"""insert_new stores exactly what bulk_create stores (on PostgreSQL it uses COPY; elsewhere it is
bulk_create, so there the comparison is trivially true and CI's PostgreSQL run is the real check)."""

import uuid
import warnings
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import IntegrityError, connection, transaction
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ivigapp.core.bulk import _plain_attributes, insert_new, insert_values, new_instance, update_changed
from ivigapp.reactions.models import HydrationLog, MedicationDose, Pause, RateChange, VialUsage, VitalSigns
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


def test_update_changed_stores_what_save_with_update_fields_stores(episode, nurse):
    """Each row writes the fields it names and nothing else, in one statement: compared column by
    column with save(update_fields=...) on twin rows."""
    now = timezone.now()

    def twins(make):
        a, b = make(), make()
        a.id, b.id = uuid.uuid4(), uuid.uuid4()
        insert_new(type(a), [a])
        insert_new(type(b), [b])
        return a, b

    vials = [
        twins(
            lambda: VialUsage(
                lot_number="LOT-1", expiry_date=date(2030, 1, 1), vial_size_g=Decimal("10.0"), **parts(episode, nurse)
            )
        )
        for _ in range(3)
    ]
    edits = [
        (["lot_number", "version"], {"lot_number": "ÄRZ-٣", "version": 2}),
        (
            ["expiry_date", "vial_size_g", "updated_by_client"],
            {"expiry_date": "2031-02-03", "vial_size_g": 5.5, "updated_by_client": str(CLIENT)},
        ),
        (["deleted", "received_at"], {"deleted": True, "received_at": now}),
    ]
    ours = []
    for (mine, orm), (names, values) in zip(vials, edits, strict=True):
        for row in (mine, orm):
            for name, value in values.items():
                setattr(row, name, value)
            # Fields the row does not name, one of them named by another row: save(update_fields)
            # leaves them alone, so must we.
            row.quantity = 99
            if "lot_number" not in names:
                row.lot_number = "STALE-1"
            if "deleted" not in names:
                row.deleted = True
        orm.save(update_fields=names)
        ours.append((mine, names))
    with CaptureQueriesContext(connection) as census:
        update_changed(VialUsage, ours)
    assert len(census) == 1
    for mine, orm in vials:
        assert stored(VialUsage, mine.pk) == stored(VialUsage, orm.pk)
        assert stored(VialUsage, mine.pk)["quantity"] == 1

    now2 = timezone.now() - timedelta(minutes=1)
    logs = [
        twins(lambda: HydrationLog(phase="during", volume_ml=250, logged_at=now, **parts(episode, nurse)))
        for _ in range(2)
    ]
    for i, (mine, orm) in enumerate(logs):
        for row in (mine, orm):
            row.volume_ml, row.logged_at, row.server_version = 300 + i, now2, 8 + i
    for _mine, orm in logs:
        orm.save(update_fields=["volume_ml", "logged_at", "server_version"])
    update_changed(HydrationLog, [(m, ["volume_ml", "logged_at", "server_version"]) for m, _ in logs])
    for mine, orm in logs:
        assert stored(HydrationLog, mine.pk) == stored(HydrationLog, orm.pk)
    update_changed(HydrationLog, [])  # nothing to write
    with pytest.raises(ValueError):
        update_changed(HydrationLog, [(logs[0][0], ["no_such_field"])])


@pytest.mark.parametrize("model", [VialUsage, HydrationLog, MedicationDose, VitalSigns, RateChange, Pause])
def test_new_instance_is_the_keyword_built_instance(model, episode, nurse):
    """Positional building gives the instance model(**kwargs) gives: every attribute, the defaults of
    fields left out (a fresh key each time), and the related objects cached (no query to read them)."""
    values = {"patient_id": episode.patient_id, "entered_by": "nurse", "recorded_at": RECEIVED}
    with time_machine.travel(RECEIVED, tick=False):  # received_at defaults to now
        made = new_instance(model, values, episode=episode, entered_by_user=nurse)
        expected = model(**values, episode=episode, entered_by_user=nurse)
    for field in model._meta.concrete_fields:
        if not field.primary_key:
            assert getattr(made, field.attname) == getattr(expected, field.attname), field.attname
    assert isinstance(made.pk, uuid.UUID)
    assert made.pk != new_instance(model, values, episode=episode, entered_by_user=nurse).pk
    assert made._state.adding and made._state.db == expected._state.db
    with CaptureQueriesContext(connection) as queries:
        assert made.episode is episode and made.entered_by_user is nurse
    assert len(queries) == 0


def test_new_instance_refuses_what_is_not_an_attname(episode):
    with pytest.raises(TypeError, match="episode"):
        new_instance(HydrationLog, {"episode": episode})  # a relation goes by keyword, as an object
    with pytest.raises(TypeError, match="volume"):
        new_instance(HydrationLog, {"volume": 3})
    with pytest.raises(TypeError):
        new_instance(HydrationLog, {"episode_id": episode.pk}, episode=episode)  # given twice
    with pytest.raises(ValueError, match="InfusionEpisode"):
        new_instance(HydrationLog, {}, episode=episode.patient)  # checked as assignment checks it


def test_new_instance_runs_init_receivers(episode, nurse):
    """Building without Model.__init__ is only for models nobody listens to: a pre_init or post_init
    receiver connected later gets each instance as Model.__init__ would give it."""
    from django.db.models.signals import post_init, pre_init

    seen = []

    def receiver(sender, **kwargs):
        seen.append((sender, kwargs.get("instance")))

    values = {"patient_id": episode.patient_id, "entered_by": "nurse", "volume_ml": 250}
    new_instance(HydrationLog, values, episode=episode)  # the model's layout is cached before the receivers
    assert _plain_attributes(HydrationLog)  # so without receivers the rows skip Model.__init__
    for signal in (pre_init, post_init):
        signal.connect(receiver, sender=HydrationLog)
        try:
            made = new_instance(HydrationLog, values, episode=episode, entered_by_user=nurse)
        finally:
            signal.disconnect(receiver, sender=HydrationLog)
        assert seen[-1][0] is HydrationLog and made.volume_ml == 250
    assert len(seen) == 2 and seen[1][1] is made
    new_instance(HydrationLog, values, episode=episode)
    assert len(seen) == 2


def test_a_model_with_its_own_init_or_setattr_is_not_built_around_it(monkeypatch):
    assert _plain_attributes(HydrationLog)
    monkeypatch.setattr(HydrationLog, "__init__", lambda self, *args: super(HydrationLog, self).__init__(*args))
    assert not _plain_attributes(HydrationLog)
    monkeypatch.undo()
    monkeypatch.setattr(HydrationLog, "__setattr__", lambda self, name, value: object.__setattr__(self, name, value))
    assert not _plain_attributes(HydrationLog)
