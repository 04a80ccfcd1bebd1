"""Edits and deletions of draft entries go set-wise too (SYNC.md 2.4 and 2.6; DESIGN.md 11).

A run of them must give every mutation exactly what the one-by-one path (`_apply`) gives: the same
result, the same stored row, the same conflict kept. Each case below is played twice on twin rows:
once inside one pushed batch, once through `_apply` alone.
"""

import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ivigapp.audit.models import AuditEvent
from ivigapp.reactions import services
from ivigapp.reactions.models import HydrationLog, VialUsage
from ivigapp.sync.models import SyncClient, SyncConflict
from ivigapp.sync.push import _apply
from tests.clinical_fixtures import infusion_open, patient_weigh, plan_standard
from tests.sync.conftest import Device
from tests.sync.test_push_batch import push_counting

pytestmark = pytest.mark.django_db

OTHER_DEVICE = uuid.uuid4()
DRUNK_AT = timezone.now() - timedelta(minutes=30)  # the same on twin rows


def drink(episode, volume=250):
    return services.hydration_record(
        actor=episode.patient.user,
        episode=episode,
        phase="during",
        volume_ml=volume,
        logged_at=DRUNK_AT,
    )


def vial(episode):
    return services.vial_add(
        actor=episode.patient.user,
        episode=episode,
        lot_number="LOT-77",
        expiry_date=date(2030, 1, 1),
        vial_size_g=Decimal("10"),
    )


def elsewhere(row, **changes):
    """Another of the patient's devices corrects the row first."""
    return services.diary_part_update(actor=row.episode.patient.user, row=row, changes=changes, client_id=OTHER_DEVICE)


def edit(row, set, base=None, version=1):
    table = "vial" if isinstance(row, VialUsage) else "hydration"
    return {
        "kind": "upsert",
        "table": table,
        "row_id": str(row.pk),
        "base_version": version,
        "set": set,
        "base": base or {},
    }


def delete(row, version=1):
    table = "vial" if isinstance(row, VialUsage) else "hydration"
    return {"kind": "delete", "table": table, "row_id": str(row.pk), "base_version": version, "set": {}, "base": {}}


def cases(episode, finished, foreign):
    """name -> a function that makes a row as the case needs it and returns the mutation."""
    later = (DRUNK_AT + timedelta(minutes=10)).isoformat()

    def stale(row, **changes):
        elsewhere(row, **changes)
        return row

    def gone(row):
        services.diary_row_delete(actor=row.episode.patient.user, row=row)
        return row

    return {
        "clean edit": lambda: edit(drink(episode), {"volume_ml": 300}, {"volume_ml": 250}),
        "merged edit": lambda: edit(
            stale(drink(episode), logged_at=DRUNK_AT + timedelta(minutes=5)), {"volume_ml": 300}, {"volume_ml": 250}
        ),
        "conflicting edit": lambda: edit(stale(drink(episode), volume_ml=400), {"volume_ml": 300}, {"volume_ml": 250}),
        "edit to what the server has": lambda: edit(
            stale(drink(episode), volume_ml=300), {"volume_ml": 300}, {"volume_ml": 250}
        ),
        "two fields, one in conflict": lambda: edit(
            stale(drink(episode), volume_ml=400), {"volume_ml": 300, "logged_at": later}, {"volume_ml": 250}
        ),
        "edit without base values": lambda: edit(stale(drink(episode), volume_ml=400), {"volume_ml": 300}),
        "unparsable value": lambda: edit(drink(episode), {"volume_ml": "a lot"}),
        "value the service refuses": lambda: edit(vial(episode), {"lot_number": "x"}, {"lot_number": "LOT-77"}),
        "vial lot corrected": lambda: edit(vial(episode), {"lot_number": " lot-78 ", "quantity": 2}),
        "unknown field only": lambda: edit(drink(episode), {"colour": "blue"}),
        "edit of a finished infusion": lambda: edit(finished.pop(), {"volume_ml": 300}),
        "edit of a deleted entry": lambda: edit(gone(drink(episode)), {"volume_ml": 300}, version=2),
        "edit of a missing entry": lambda: {**edit(drink(episode), {"volume_ml": 300}), "row_id": str(uuid.uuid4())},
        "edit of another patient's entry": lambda: edit(foreign.pop(), {"volume_ml": 300}),
        "clean deletion": lambda: delete(drink(episode)),
        "deletion of an older version": lambda: delete(stale(drink(episode), volume_ml=400)),
        "deletion without base version": lambda: delete(stale(drink(episode), volume_ml=400), version=None),
        "deletion of a deleted entry": lambda: delete(gone(drink(episode))),
        "deletion of a missing entry": lambda: {**delete(drink(episode)), "row_id": str(uuid.uuid4())},
        "deletion of a finished infusion's entry": lambda: delete(finished.pop()),
        "deletion of another patient's entry": lambda: delete(foreign.pop()),
    }


def stored(table, row_id):
    model = VialUsage if table == "vial" else HydrationLog
    row = model.objects.filter(pk=row_id).values().first()
    if row is None:
        return None
    return {k: v for k, v in row.items() if k not in ("id", "server_version", "received_at")}


def kept(row_id):
    return [
        (c.table_name, c.field, c.base_value, c.kept_value, c.other_value, c.other_client_id, c.scope_id)
        for c in SyncConflict.objects.filter(row_id=row_id)
    ]


@pytest.fixture
def finished(plan, weighed_patient):
    """Drinks of an infusion that has ended (its record is append-only)."""
    ended = infusion_open(weighed_patient, plan, hours_ago=30)
    rows = [drink(ended) for _ in range(4)]
    services.episode_end(
        actor=weighed_patient.user, episode=ended, ended_at=timezone.now() - timedelta(hours=26), status="complete"
    )
    return rows


@pytest.fixture
def foreign(other_patient, admin_user, product, protocol):
    weighed = patient_weigh(other_patient, admin_user)
    theirs = infusion_open(weighed, plan_standard(weighed, admin_user, product, protocol))
    return [drink(theirs) for _ in range(4)]


def test_a_run_of_edits_and_deletions_gives_what_the_single_path_gives(episode, finished, foreign):
    user = episode.patient.user
    device = Device(user)
    made = cases(episode, finished, foreign)
    batch, twins = {}, {}
    for name, make in made.items():
        batch[name], twins[name] = make(), make()
    mutations = [
        device.write(
            m["table"], m["row_id"], kind=m["kind"], set=m["set"], base_version=m["base_version"], base=m["base"]
        )
        for m in batch.values()
    ]
    with CaptureQueriesContext(connection) as census:
        results = dict(zip(batch, device.push().json()["results"], strict=True))
    # One run: one read of the edited and deleted rows per table, not one per mutation.
    assert sum(1 for q in census if 'FROM "reactions_hydrationlog"' in q["sql"] and " IN (" in q["sql"]) == 1

    client = SyncClient.objects.get(pk=device.client_id)
    for (name, twin), sent in zip(twins.items(), mutations, strict=True):
        single = _apply(user, client, {**twin, "id": sent["id"], "recorded_at": None})
        ours = {k: v for k, v in results[name].items() if k != "conflict_id"}
        theirs = {k: v for k, v in single.items() if k != "conflict_id"}
        assert ours == theirs, name
        assert ("conflict_id" in results[name]) == ("conflict_id" in single), name
        if "conflict_id" in results[name]:
            assert SyncConflict.objects.get(pk=results[name]["conflict_id"]).row_id == uuid.UUID(sent["row_id"]), name
        mine, other = stored(sent["table"], sent["row_id"]), stored(twin["table"], twin["row_id"])
        assert mine == other, name
        assert kept(sent["row_id"]) == kept(twin["row_id"]), name

    statuses = {name: r["status"] for name, r in results.items()}
    assert statuses == {
        "clean edit": "applied",
        "merged edit": "merged",
        "conflicting edit": "conflict",
        "edit to what the server has": "merged",
        "two fields, one in conflict": "conflict",
        "edit without base values": "conflict",
        "unparsable value": "rejected",
        "value the service refuses": "rejected",
        "vial lot corrected": "applied",
        "unknown field only": "applied",
        "edit of a finished infusion": "rejected",
        "edit of a deleted entry": "conflict",
        "edit of a missing entry": "rejected",
        "edit of another patient's entry": "rejected",
        "clean deletion": "applied",
        "deletion of an older version": "conflict",
        "deletion without base version": "applied",
        "deletion of a deleted entry": "applied",
        "deletion of a missing entry": "applied",
        "deletion of a finished infusion's entry": "rejected",
        "deletion of another patient's entry": "rejected",
    }
    assert stored("hydration", batch["conflicting edit"]["row_id"])["volume_ml"] == 300
    assert kept(batch["conflicting edit"]["row_id"])[0][2:5] == (250, 300, 400)
    assert stored("vial", batch["vial lot corrected"]["row_id"])["lot_number"] == "LOT-78"
    assert AuditEvent.objects.filter(actor_id=user.pk, outcome="denied").count() == 4  # 2 batched, 2 single


def test_edits_and_deletions_get_consecutive_versions_and_keep_other_fields(episode):
    """The batch writes only the fields each mutation changes, and numbers the rows in the order sent."""
    device = Device(episode.patient.user)
    rows = [drink(episode, 200 + i) for i in range(6)]
    for i, row in enumerate(rows):
        if i % 3 == 2:
            device.write("hydration", row.pk, kind="delete", base_version=1)
        else:
            device.write("hydration", row.pk, set={"volume_ml": 500 + i}, base_version=1, base={"volume_ml": 200 + i})
    results = device.push().json()["results"]
    assert [r["row_version"] for r in results] == [2] * 6
    fresh = [HydrationLog.objects.get(pk=row.pk) for row in rows]
    versions = [row.server_version for row in fresh]
    assert versions == list(range(versions[0], versions[0] + 6))
    for i, (row, now) in enumerate(zip(rows, fresh, strict=True)):
        assert now.deleted == (i % 3 == 2)
        assert now.volume_ml == (200 + i if i % 3 == 2 else 500 + i)
        assert now.logged_at == row.logged_at and now.phase == row.phase
        assert str(now.updated_by_client) == device.client_id


def test_a_push_of_edits_and_deletions_costs_the_same_queries_for_10_and_for_300(episode):
    def batch(n):
        device = Device(episode.patient.user)
        rows = [drink(episode, 100 + i) for i in range(n)] + [vial(episode) for i in range(n)]
        for i, row in enumerate(rows):
            table = "vial" if isinstance(row, VialUsage) else "hydration"
            if i % 4 == 3:
                device.write(table, row.pk, kind="delete", base_version=1)
            elif table == "vial":
                device.write(table, row.pk, set={"quantity": 2}, base_version=1)
            else:
                device.write(table, row.pk, set={"volume_ml": 900}, base_version=1, base={"volume_ml": 100 + i})
        count, body = push_counting(device)
        assert [r["status"] for r in body["results"]] == ["applied"] * 2 * n
        for i, row in enumerate(rows):
            row.refresh_from_db()
            assert row.deleted == (i % 4 == 3) and row.version == 2
            if not row.deleted:
                assert (row.quantity == 2) if isinstance(row, VialUsage) else (row.volume_ml == 900)
        return count

    small, large = batch(5), batch(150)
    assert small == large, f"{small} statements for 10 edits and deletions, {large} for 300"


def stream(device, episode, prefix: str):
    """Creates, and writes to rows made earlier in the same push: repeated edits, a stale edit, a
    deletion and an edit after it, a create sent twice, a bad edit, a bad create sent again fixed.
    `prefix` makes the row ids, so two streams write twin rows."""
    ids = {name: uuid.uuid5(uuid.NAMESPACE_URL, prefix + name) for name in "ABCD"}
    ep = str(episode.pk)
    at = (DRUNK_AT + timedelta(minutes=5)).isoformat()
    water = {"episode_id": ep, "phase": "during", "volume_ml": 250, "logged_at": at}
    box = {"episode_id": ep, "lot_number": "LOT-9", "expiry_date": "2030-01-01", "vial_size_g": "10"}
    steps = [
        ("hydration", "A", "upsert", None, water, {}),
        ("vial", "B", "upsert", None, box, {}),
        ("hydration", "A", "upsert", 1, {"volume_ml": 300}, {"volume_ml": 250}),
        ("hydration", "A", "upsert", 2, {"volume_ml": 350}, {"volume_ml": 300}),
        ("hydration", "A", "upsert", 1, {"phase": "after"}, {"phase": "during"}),
        ("vial", "B", "delete", 1, {}, {}),
        ("vial", "B", "upsert", 1, {"quantity": 3}, {"quantity": 1}),
        ("hydration", "C", "upsert", None, water, {}),
        ("hydration", "C", "upsert", None, water, {}),
        ("hydration", "C", "upsert", 7, {"volume_ml": 100}, {"volume_ml": 999}),
        ("hydration", "C", "delete", 2, {}, {}),
        ("hydration", "A", "upsert", 4, {"volume_ml": -5}, {"volume_ml": 350}),
        ("hydration", "A", "upsert", 4, {"volume_ml": 400}, {"volume_ml": 350}),
        ("hydration", "D", "upsert", None, {**water, "volume_ml": None}, {}),
        ("hydration", "D", "upsert", None, water, {}),
    ]
    for table, name, kind, version, values, base in steps:
        device.write(table, ids[name], kind=kind, set=values, base_version=version, base=base)
    return ids


def test_writes_to_rows_made_earlier_in_the_same_push_give_what_one_by_one_gives(episode):
    """One push of the stream (set-wise, in waves) against the twin stream applied mutation by
    mutation through `_apply`: the same results, rows and conflicts."""
    user = episode.patient.user
    batched, single = Device(user), Device(user)
    ours = stream(batched, episode, "batched-")
    theirs = stream(single, episode, "single-")
    results = batched.push().json()["results"]
    client = SyncClient.objects.get(pk=single.client_id)
    one_by_one = [_apply(user, client, {**m, "recorded_at": None}) for m in single.outbox]
    assert [r["status"] for r in results] == [
        *("applied", "applied", "applied", "applied", "merged", "applied", "conflict"),
        *("applied", "rejected", "conflict", "applied", "rejected", "applied", "rejected", "applied"),
    ]
    for mine, other in zip(results, one_by_one, strict=True):
        assert {k: v for k, v in mine.items() if k != "conflict_id"} == {
            k: v for k, v in other.items() if k != "conflict_id"
        }
        assert ("conflict_id" in mine) == ("conflict_id" in other)
    for name in "ABCD":
        table = "vial" if name == "B" else "hydration"
        mine, other = stored(table, ours[name]), stored(table, theirs[name])
        mine.pop("updated_by_client"), other.pop("updated_by_client")
        assert mine == other, name
        assert [c[:5] for c in kept(ours[name])] == [c[:5] for c in kept(theirs[name])], name
    assert stored("hydration", ours["A"])["volume_ml"] == 400 and stored("hydration", ours["A"])["version"] == 5


def test_a_push_that_writes_its_own_rows_again_costs_the_same_queries_for_30_and_for_300(episode):
    """A row written three times in one push makes three set-wise waves, however long the push."""

    def batch(n):
        device = Device(episode.patient.user)
        at = (DRUNK_AT + timedelta(minutes=5)).isoformat()
        rows = [uuid.uuid4() for _ in range(n // 3)]
        for i, row in enumerate(rows):
            device.write(
                "hydration",
                row,
                set={"episode_id": str(episode.pk), "phase": "during", "volume_ml": 100, "logged_at": at},
            )
            if i:
                previous = rows[i - 1]
                device.write("hydration", previous, set={"volume_ml": 200}, base_version=1, base={"volume_ml": 100})
                device.write("hydration", previous, kind="delete", base_version=2)
        count, body = push_counting(device)
        assert {r["status"] for r in body["results"]} == {"applied"}
        return count

    small, large = batch(30), batch(300)
    assert small == large, f"{small} statements for 30 mutations, {large} for 300"
