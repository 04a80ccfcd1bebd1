"""Push: apply a batch of one client's mutations exactly once (SYNC.md 2.4 and 2.6)."""

import functools
import json
import logging
import time
import uuid
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DataError, connection, connections, router, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import serializers

from ivigapp.audit.models import AuditEvent
from ivigapp.audit.services import audit_record
from ivigapp.core.bulk import insert_new, insert_values
from ivigapp.core.text import storable, unstorable
from ivigapp.patients.access import patients_for
from ivigapp.patients.models import Patient
from ivigapp.patients.roles import ROLE_NURSE, ROLE_PATIENT, user_role
from ivigapp.reactions.models import Alert, AlertNote, InfusionEpisode
from ivigapp.reactions.services import ENTRY_BUILDERS, DiaryChange, DiaryEntry, diary_entries_record
from ivigapp.sync.fastparse import DEFER, compile_serializer
from ivigapp.sync.models import MutationLog, SyncClient, SyncConflict, patient_scope_id
from ivigapp.sync.stamp import stamp_rows
from ivigapp.sync.tables import NURSE, PATIENT, TABLES, Context, create_row, current_value, update_row
from ivigapp.sync.upcast import upcast

logger = logging.getLogger(__name__)


class MutationGap(Exception):
    def __init__(self, expected: int):
        self.expected = expected


def _errors(error) -> dict:
    if isinstance(error, serializers.ValidationError):
        detail = error.detail
        return (
            {k: [str(m) for m in v] if isinstance(v, list) else [str(v)] for k, v in detail.items()}
            if isinstance(detail, dict)
            else {"non_field_errors": [str(m) for m in detail]}
        )
    return (
        {k: [str(m) for m in v] for k, v in error.message_dict.items()}
        if hasattr(error, "message_dict")
        else {"non_field_errors": [str(m) for m in error.messages]}
    )


def _reject(mutation: dict, reason: str, detail: dict | None = None) -> dict:
    return {"id": mutation["id"], "status": "rejected", "reason": reason, "detail": detail or {}}


def _unstorable_fields(mutation: dict) -> dict:
    """Per field of `set` and `base`, a message for values that carry a NUL character or an unpaired
    surrogate, which PostgreSQL stores neither in text nor in JSON (JSON may send them as \\u0000
    and \\ud800)."""
    found = {}
    for part in ("set", "base"):
        for key, value in (mutation.get(part) or {}).items():
            character = unstorable(key) or unstorable(value)
            if character:
                message = (
                    _("Null characters are not allowed.")
                    if character == "\x00"
                    else _("Unpaired surrogate characters are not allowed.")
                )
                found.setdefault(storable(key), [message])
    return found


def _row_patient_id(row):
    return row.alert.patient_id if isinstance(row, AlertNote) else row.patient_id


def _claimed_patient_id(user, mutation):
    """For a new row: the patient named, or the one its infusion or alert belongs to."""
    data = mutation.get("set") or {}
    if data.get("patient_id"):
        return data["patient_id"]
    if data.get("episode_id"):
        return InfusionEpisode.objects.filter(pk=_uuid(data["episode_id"])).values_list("patient_id", flat=True).first()
    if data.get("alert_id"):
        return Alert.objects.filter(pk=_uuid(data["alert_id"])).values_list("patient_id", flat=True).first()
    if user_role(user) == ROLE_PATIENT:
        return Patient.objects.filter(user=user).values_list("pk", flat=True).first()
    return None


def _uuid(value):
    if type(value) is str and len(value) == 36:  # the canonical form; anything else is not kept
        return _uuid_of_str(value)
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


@functools.lru_cache(maxsize=4096)
def _uuid_of_str(value: str):
    """A push names each row and infusion several times over (the run's look-ups, its checks)."""
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


@dataclass
class _Memo:
    """What one push reads once: the patients this user may write to, and the infusions runs of
    new entries were checked against (forgotten after any mutation that is not such an entry,
    since it may have changed an infusion)."""

    patients: dict = field(default_factory=dict)
    episodes: dict = field(default_factory=dict)


def _patient_for(user, table, mutation, memo: _Memo):
    """The patient whose scope the mutation writes to, through the access module only."""
    rows = table.model.objects.filter(pk=mutation["row_id"])
    if any(f.name == "episode" and f.is_relation for f in table.model._meta.concrete_fields):
        rows = rows.select_related("episode")  # the services check the infusion of a part
    row = rows.first()
    patient_id = _row_patient_id(row) if row is not None else _uuid(_claimed_patient_id(user, mutation))
    if patient_id and patient_id not in memo.patients:
        memo.patients[patient_id] = patients_for(user).filter(pk=patient_id).first()
    patient = memo.patients.get(patient_id) if patient_id else None
    if patient is None:
        raise Http404
    return patient, row


def _conflict_row(table, row, field, base, kept, other) -> SyncConflict:
    """The value a write replaces, kept (unsaved); `row` as it was before the write."""
    return SyncConflict(
        table_name=table.name,
        row_id=row.pk,
        field=field,
        base_value=base,
        kept_value=kept,
        other_value=other,
        other_client_id=row.updated_by_client,
        other_mutation_id=None,
        scope_id=patient_scope_id(_row_patient_id(row)),
    )


def _json(value):
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def _merge(table, row, changes: dict, base: dict, base_version) -> tuple[dict, str, list]:
    """Three-way field merge. Returns (fields to apply, status, conflicts as unsaved rows).

    1. The row is where the client last saw it: apply everything.
    2. Otherwise, field by field: unchanged on the server since base -> apply; already equal ->
       nothing to do; changed differently on both sides -> the later arrival (this one) wins and the
       value it replaces is kept in sync_conflict. Device clocks play no part.
    """
    if row.version == base_version:
        return changes, "applied", []
    apply, conflicts = {}, []
    for name, value in changes.items():
        current = current_value(table, row, name)
        if current == value:
            continue
        if name in base and current == base[name]:
            apply[name] = value
            continue
        apply[name] = value
        conflicts.append(_conflict_row(table, row, name, _json(base.get(name)), _json(value), _json(current)))
    return apply, ("conflict" if conflicts else "merged"), conflicts


def _row_deleted_since(table, row, mutation) -> list:
    """A deletion based on an older version of the row: the version it deletes is kept as a conflict."""
    if mutation.get("base_version") is not None and row.version != mutation["base_version"] and not row.deleted:
        return [_conflict_row(table, row, "__row__", None, None, {"version": row.version})]
    return []


def _parse_change(table, row, mutation, parsers: dict | None = None):
    """An edit of an existing row: (fields to apply, status, conflicts); raises the serializer's
    ValidationError for a bad `set` (a bad `base` counts as no base)."""
    parsers = {} if parsers is None else parsers
    changes = _parsed(_UPDATE_PARSE[table.name], table.update, mutation.get("set") or {}, parsers, partial=True)
    try:
        base = _parsed(_UPDATE_PARSE[table.name], table.update, mutation.get("base") or {}, parsers, partial=True)
    except serializers.ValidationError:
        base = {}
    return _merge(table, row, changes, base, mutation["base_version"])


def _parsed(quick, serializer_class, data, parsers: dict, *, zone=None, partial=False) -> dict:
    """The quick parse of `data`, or the serializer's where it defers. One serializer per class in
    `parsers`, for what the quick parse leaves to it: building one copies all its fields."""
    fields = quick(data, zone)
    if fields is DEFER:
        if (serializer_class, partial) not in parsers:
            parsers[serializer_class, partial] = serializer_class(partial=partial)
        fields = dict(parsers[serializer_class, partial].run_validation(data))
    return fields


_UPDATE_PARSE = {name: compile_serializer(t.update, partial=True) for name, t in TABLES.items() if t.update}


def _apply(user, client: SyncClient, mutation: dict, memo: _Memo | None = None) -> dict:
    memo = memo or _Memo()
    if mutation.get("table") not in ENTRY_BUILDERS:
        memo.episodes.clear()
    table = TABLES.get(mutation.get("table"))
    if table is None or table.writer is None:
        return _reject(mutation, "unknown_table")
    role = user_role(user)
    if (table.writer == PATIENT and role not in (ROLE_PATIENT, ROLE_NURSE)) or (
        table.writer == NURSE and role != ROLE_NURSE
    ):
        return _reject(mutation, "forbidden")
    try:
        patient, row = _patient_for(user, table, mutation, memo)
    except Http404:
        audit_record(
            user,
            action=f"sync.push.{table.name}",
            outcome=AuditEvent.Outcome.DENIED,
            object_type=table.name,
            object_ids=[mutation["row_id"]],
            patient_id=(mutation.get("set") or {}).get("patient_id"),
        )
        return _reject(mutation, "not_found")
    if role == ROLE_NURSE:
        audit_record(
            user,
            action=f"sync.push.{table.name}",
            patient_id=patient.pk,
            object_type=table.name,
            object_ids=[mutation["row_id"]],
        )
    ctx = Context(user=user, patient=patient, client_id=client.pk, recorded_at=mutation.get("recorded_at"))
    data = dict(mutation.get("set") or {})
    data.pop("patient_id", None)
    try:
        with transaction.atomic():
            return _apply_to_row(table, ctx, client, mutation, row, data)
    except (ValidationError, serializers.ValidationError) as error:
        return _reject(mutation, "validation", _errors(error))
    except (DataError, ArithmeticError) as error:
        # A value no check caught that the database cannot store (or read back): the savepoint
        # undid the mutation, and refusing it alone keeps the device's queue moving. Retrying would
        # fail the same way. Only the kind of error is logged, never a value.
        logger.warning("push: %s mutation refused: %s", table.name, type(error).__name__)
        return _reject(mutation, "validation", {"non_field_errors": [_("A value of this entry is out of range.")]})


def _apply_to_row(table, ctx, client, mutation, row, data) -> dict:
    from ivigapp.reactions.services import diary_row_delete

    kind = mutation["kind"]
    if kind == "delete":
        if row is None:
            return {"id": mutation["id"], "status": "applied", "row_version": 0}
        if not table.deletable:
            raise ValidationError({"kind": "This entry cannot be deleted; send an amendment."})
        conflicts = _saved(_row_deleted_since(table, row, mutation), client)
        diary_row_delete(actor=ctx.user, row=row, client_id=client.pk)
        row.refresh_from_db()
        return _result(mutation, "conflict" if conflicts else "applied", row, conflicts)
    if row is None:
        if mutation.get("base_version") is not None or table.create is None:
            raise ValidationError({"base_version": "This entry does not exist."})
        parsed = table.create(data=data)
        parsed.is_valid(raise_exception=True)
        row = create_row(table, ctx, mutation["row_id"], dict(parsed.validated_data))
        return _result(mutation, "applied", row, [])
    if row.deleted:
        # An edit never resurrects a deleted entry; the edit is kept as a conflict against it.
        conflicts = _saved([_conflict_row(table, row, "__deleted__", None, None, data)], client)
        return _result(mutation, "conflict", row, conflicts)
    if table.update is None or mutation.get("base_version") is None:
        raise ValidationError({"base_version": "This entry already exists."})
    changes, status, conflicts = _parse_change(table, row, {**mutation, "set": data})
    _saved(conflicts, client)
    if changes:
        row = update_row(table, ctx, row, changes)
        row.refresh_from_db()
    return _result(mutation, status, row, conflicts)


def _saved(conflicts: list, client) -> list:
    """Stamps and inserts conflict rows (each already names its scope), at once."""
    stamp_rows(conflicts, client_id=client.pk)
    insert_new(SyncConflict, conflicts)
    return conflicts


def _result(mutation, status, row, conflicts) -> dict:
    result = {"id": mutation["id"], "status": status, "row_version": row.version}
    if conflicts:
        result["conflict_id"] = str(conflicts[0].pk)
    return result


def _settable(mutation: dict) -> bool:
    """A new vial, medicine, drink or vital signs, as a phone sends them after a day offline, or a
    correction or deletion of one."""
    return (
        mutation.get("kind") in ("upsert", "delete")
        and mutation.get("table") in ENTRY_BUILDERS
        and not (mutation.get("set") or {}).get("patient_id")
    )


def _is_new(mutation: dict) -> bool:
    return mutation["kind"] == "upsert" and mutation.get("base_version") is None


def _settable_from(mutations: list[dict], start: int, refused: dict) -> list[dict]:
    """The settable mutations from `start` on, up to the first one that is not (or is refused)."""
    stretch = []
    for mutation in mutations[start:]:
        if not _settable(mutation) or mutation["id"] in refused:
            break
        stretch.append(mutation)
    return stretch


def _waves(stretch: list[dict]) -> list[list[dict]]:
    """`stretch` in runs for `_apply_run`: the first write of each row, then the second write of each
    row written again, and so on. A run names each row once, and each row's writes keep their
    order. Settable mutations change nothing but their own row, so writes to different rows give
    the same results in any order (an edit of a vial made earlier in the same push sees it made)."""
    waves, writes = [], {}
    for mutation in stretch:
        row = (mutation["table"], mutation["row_id"])
        nth = writes[row] = writes.get(row, -1) + 1
        if nth == len(waves):
            waves.append([])
        waves[nth].append(mutation)
    return waves


def _row_ids(mutations: list[dict]) -> dict[str, set]:
    """table -> the well-formed row ids the mutations name in it."""
    ids = {}
    for mutation in mutations:
        row_id = _uuid(mutation["row_id"])
        if row_id is not None:
            ids.setdefault(mutation["table"], set()).add(row_id)
    return ids


def _existing(run: list[dict]) -> set[tuple]:
    """(table, row id) of the rows of `run` that exist already: one query across the tables."""
    parts, params, pks = [], [], {}
    qn = connection.ops.quote_name
    for name, ids in sorted(_row_ids(run).items()):
        pk = pks[name] = TABLES[name].model._meta.pk
        table = qn(TABLES[name].model._meta.db_table)
        assert name.isidentifier()  # a key of TABLES, written into the SQL as a literal
        select = f"SELECT '{name}', {qn(pk.column)} FROM {table} WHERE {qn(pk.column)}"  # noqa: S608
        if connection.vendor == "postgresql":  # one array parameter: nothing to parse per id
            parts.append(f"{select} = ANY(%s)")
            params.append(list(ids))
        else:
            parts.append(f"{select} IN ({', '.join(['%s'] * len(ids))})")
            params += [pk.get_db_prep_value(i, connection) for i in ids]
    if not parts:
        return set()
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        return {(name, pks[name].to_python(pk)) for name, pk in cursor.fetchall()}


def _targets(changes: list[dict]) -> dict[tuple, object]:
    """(table, row id) -> the row, with its infusion, for the edits and deletions of a run: one
    query per table."""
    found = {}
    for name, ids in sorted(_row_ids(changes).items()):
        for row in TABLES[name].model.objects.filter(pk__in=ids).select_related("episode").order_by():
            found[name, row.pk] = row
    return found


def _episodes(user, run: list[dict], memo: _Memo) -> dict:
    """The infusions the new entries of `run` go to, through the access module (None: unknown or
    not this user's to write to)."""
    episode_ids = {_uuid((m.get("set") or {}).get("episode_id")) for m in run} - {None}
    wanted = episode_ids - memo.episodes.keys()
    if wanted:
        found = {
            e.pk: e
            for e in InfusionEpisode.objects.filter(pk__in=wanted, deleted=False, patient__in=patients_for(user))
            .select_related("patient")
            .order_by()  # the model's ordering would only cost a sort
        }
        memo.episodes.update({pk: found.get(pk) for pk in wanted})
    return {pk: memo.episodes[pk] for pk in episode_ids}


def _patients(user, patient_ids: set, memo: _Memo) -> None:
    """Reads the patients among `patient_ids` this user may write to into the memo, at once."""
    wanted = patient_ids - memo.patients.keys()
    if wanted:
        memo.patients.update(dict.fromkeys(wanted))
        memo.patients.update({p.pk: p for p in patients_for(user).filter(pk__in=wanted)})


_CREATE_PARSE = {name: compile_serializer(TABLES[name].create) for name in ENTRY_BUILDERS}


def _parse_new(mutation: dict, zone, parsers: dict) -> dict:
    table = mutation["table"]
    fields = _parsed(_CREATE_PARSE[table], TABLES[table].create, mutation["set"], parsers, zone=zone)
    fields.pop("episode_id")
    return fields


def _apply_run(user, client: SyncClient, run: list[dict], memo: _Memo) -> list[dict]:
    """A run of settable mutations, set-wise: one look-up of the new rows that already exist, one
    read per table of the rows edited or deleted, one of the infusions and one of the patients
    (through the access module), one diary_entries_record call, one INSERT of the conflicts.

    Anything else (the row already exists, or is missing or deleted, the infusion or patient is
    unknown or foreign, the role may not write) goes through `_apply`, which gives it exactly the
    single-mutation result. The rows of a run are all different, so the order they are written in
    does not change any result.
    """
    role = user_role(user)
    if role not in (ROLE_PATIENT, ROLE_NURSE):
        return [_apply(user, client, m, memo) for m in run]
    existing = _existing([m for m in run if _is_new(m)])
    targets = _targets([m for m in run if not _is_new(m)])
    _patients(user, {row.patient_id for row in targets.values()}, memo)
    episodes = _episodes(user, [m for m in run if _is_new(m)], memo)
    zone = timezone.get_current_timezone()
    parsers = {}
    results: dict[int, dict] = {}
    touched: dict[tuple, list] = {}  # (table, patient) -> row ids: what a nurse's push is audited for
    entries, entry_mutations, statuses, conflicts, single = [], [], {}, {}, []
    for mutation in run:
        table, row_id = TABLES[mutation["table"]], _uuid(mutation["row_id"])
        if _is_new(mutation):
            episode = episodes.get(_uuid((mutation.get("set") or {}).get("episode_id")))
            if row_id is None or episode is None or (table.name, row_id) in existing:
                single.append(mutation)
                continue
            touched.setdefault((table.name, episode.patient_id), []).append(row_id)
            try:
                fields = _parse_new(mutation, zone, parsers)
            except serializers.ValidationError as error:
                results[mutation["id"]] = _reject(mutation, "validation", _errors(error))
                continue
            entry = DiaryEntry(table.name, episode, fields, row_id=row_id, recorded_at=mutation.get("recorded_at"))
        else:
            row = targets.get((table.name, row_id))
            if row is None or row.deleted or memo.patients.get(row.patient_id) is None:
                single.append(mutation)
                continue
            touched.setdefault((table.name, row.patient_id), []).append(row_id)
            if mutation["kind"] == "delete":
                changes, kept = None, _row_deleted_since(table, row, mutation)
                status = "conflict" if kept else "applied"
            else:
                try:
                    changes, status, kept = _parse_change(table, row, mutation, parsers)
                except serializers.ValidationError as error:
                    results[mutation["id"]] = _reject(mutation, "validation", _errors(error))
                    continue
                if not changes:
                    results[mutation["id"]] = _result(mutation, status, row, [])
                    continue
            entry = DiaryChange(row, changes)
            statuses[mutation["id"]], conflicts[mutation["id"]] = status, kept
        entries.append(entry)
        entry_mutations.append(mutation)
    outcomes = diary_entries_record(actor=user, entries=entries, client_id=client.pk)
    saved_conflicts = []
    for mutation, outcome in zip(entry_mutations, outcomes, strict=True):
        if isinstance(outcome, ValidationError):
            results[mutation["id"]] = _reject(mutation, "validation", _errors(outcome))
            continue
        kept = conflicts.get(mutation["id"], [])
        saved_conflicts += kept
        results[mutation["id"]] = _result(mutation, statuses.get(mutation["id"], "applied"), outcome, kept)
    _saved(saved_conflicts, client)
    if role == ROLE_NURSE:
        for (name, patient_id), ids in touched.items():
            audit_record(user, action=f"sync.push.{name}", patient_id=patient_id, object_type=name, object_ids=ids)
    for mutation in single:
        results[mutation["id"]] = _apply(user, client, mutation, memo)
    return [results[m["id"]] for m in run]


def _client_locked(client_id, user) -> SyncClient | None:
    """The client's row, locked until commit, if it is this user's device. Once per push, in plain
    SQL: compiling the ORM query would cost more than running it."""
    alias = router.db_for_write(SyncClient)
    db, meta = connections[alias], SyncClient._meta
    qn = db.ops.quote_name
    sql = (
        f"SELECT * FROM {qn(meta.db_table)} WHERE {qn(meta.pk.column)} = %s"  # noqa: S608 (the model's table)
        f" AND {qn(meta.get_field('user').column)} = %s"
    )
    if db.features.has_select_for_update:
        sql += " FOR UPDATE"
    found = SyncClient.objects.db_manager(alias).raw(sql, [meta.pk.get_db_prep_value(client_id, db), user.pk])
    return next(iter(found), None)


def push_apply(*, user, client_id, mutations: list[dict]) -> dict:
    """One transaction per request.

    1. Lock the client's row (SyncClient.DoesNotExist when it is not this user's device); ids at
       or below its last_mutation_id are replays: their original results come back from the
       mutation log, whatever the payload now says.
    2. The new ids must follow last_mutation_id without a gap, or nothing is applied (409
       mutation_gap).
    3. Each new mutation is authorised through the access module and applied by the clinical
       services, logged with its result, and advances last_mutation_id, even when rejected.
       Stretches of diary-entry writes (new vials, medicines, drinks, vital signs, and draft
       corrections and deletions of them) go set-wise in waves (`_waves`, `_apply_run`), everything
       else one by one in a savepoint (`_apply`); either way a mutation gets the same result.
    4. Past the time budget the rest is left for the client's next request (after at least one
       stretch or mutation, so a slow request still moves the queue on).
    """
    started = time.monotonic()
    with transaction.atomic():
        client = _client_locked(client_id, user)
        if client is None:
            raise SyncClient.DoesNotExist  # another user's device, or none
        replays = [m for m in mutations if m["id"] <= client.last_mutation_id]
        logged = (
            {
                m.mutation_id: m.response
                for m in MutationLog.objects.filter(client=client, mutation_id__in=[m["id"] for m in replays])
            }
            if replays
            else {}
        )
        results = [logged.get(m["id"], {"id": m["id"], "status": "applied"}) for m in replays]
        new = [upcast(m) for m in mutations if m["id"] > client.last_mutation_id]
        for offset, mutation in enumerate(new):
            if mutation["id"] != client.last_mutation_id + 1 + offset:
                # Nothing of this request is applied, so the next id the server wants is still the
                # first one: the device renumbers its queue from there and loses nothing.
                raise MutationGap(client.last_mutation_id + 1)
        refused = {m["id"]: detail for m in new if (detail := _unstorable_fields(m))}
        done, memo = 0, _Memo()
        # Past the time budget the rest waits for the next request, but every request applies something.
        while done < len(new) and (done == 0 or time.monotonic() - started <= settings.SYNC_PUSH_SECONDS):
            stretch = _settable_from(new, done, refused)
            if stretch:
                applied = {}
                for wave in _waves(stretch):
                    applied.update(zip((m["id"] for m in wave), _apply_run(user, client, wave, memo), strict=True))
                results.extend(applied[m["id"]] for m in stretch)
            else:
                mutation, stretch = new[done], [new[done]]
                if mutation["id"] in refused:
                    results.append(_reject(mutation, "validation", refused[mutation["id"]]))
                else:
                    results.append(_apply(user, client, mutation, memo))
            done += len(stretch)
        received_at = timezone.now()
        insert_values(
            MutationLog,
            [
                {
                    "client_id": client.pk,
                    "mutation_id": m["id"],
                    "received_at": received_at,
                    "payload": storable(m) if m["id"] in refused else m,
                    "result": r["status"],
                    "response": r,
                }
                for m, r in zip(new[:done], results[len(replays) :], strict=True)
            ],
        )
        if done:
            client.last_mutation_id = new[done - 1]["id"]
        client.last_seen_at = timezone.now()
        client.save(update_fields=["last_mutation_id", "last_seen_at"])
    return {"last_mutation_id": client.last_mutation_id, "server_time": timezone.now(), "results": results}
