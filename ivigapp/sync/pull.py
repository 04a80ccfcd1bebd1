"""Pull: the changes in the user's scopes since a cursor, paged (SYNC.md 2.5 and 2.7).

Every write in a scope takes the next scope version under the scope's row lock, so versions
commit in order: a client that has seen version v of a scope has seen every committed change up
to v. The cursor is that version per scope, with the scope's epoch, signed by the server.
"""

from django.conf import settings
from django.core import signing
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from ivigapp.patients.access import patients_for
from ivigapp.sync.models import SyncConflict, SyncScope, patient_scope_id
from ivigapp.sync.tables import TABLES

CURSOR_SALT = "ivigapp.sync.cursor"


def cursor_dump(state: dict) -> str:
    return signing.dumps(state, salt=CURSOR_SALT, compress=True)


def cursor_load(token: str | None) -> dict | None:
    """The cursor's scopes as {scope: [epoch, version]}; None for a first sync. Raises on tampering."""
    if not token:
        return None
    return signing.loads(token, salt=CURSOR_SALT)["s"]


def allowed_scopes(user) -> list[str]:
    return sorted(patient_scope_id(pk) for pk in patients_for(user).values_list("pk", flat=True))


_JSON_NATIVE = (str, int, float, bool, type(None), dict, list)
_to_json = DjangoJSONEncoder().default


def _row(table, obj, open_conflicts: dict) -> dict:
    if obj.deleted:
        return {"table": table.name, "id": str(obj.pk), "version": obj.version, "deleted": True}
    row = {}
    for name in table.fields:
        value = getattr(obj, name)
        # A database value is JSON as it is, or one DjangoJSONEncoder writes as a string (a time,
        # a date, a decimal, a UUID); a JSON column holds JSON already.
        row[name] = value if isinstance(value, _JSON_NATIVE) else _to_json(value)
    change = {"table": table.name, "id": str(obj.pk), "version": obj.version, "deleted": False, "row": row}
    if open_conflicts.get(obj.pk):
        change["conflicts"] = open_conflicts[obj.pk]
    return change


def pull_changes(*, user, client, cursor_token: str | None, limit: int) -> dict:
    """1. Work out the allowed scopes now (a revoked one is reported in scopes_removed).
    2. Reset when the cursor is forged, from another epoch, or older than collected tombstones.
    3. One query per table for every scope at once, each ordered by (scope, version) and cut at
       limit + 1; merged, the first `limit` rows form the page and the rest says has_more.
    4. A scope with nothing more to send gets its current version as its cursor."""
    limit = max(1, min(limit, settings.SYNC_PULL_MAX_LIMIT))
    allowed = allowed_scopes(user)
    reset = False
    try:
        seen = cursor_load(cursor_token)
    except signing.BadSignature:
        seen, reset = None, True
    first_sync = seen is None
    seen = seen or {}
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost and connection.vendor == "postgresql":
            # One snapshot for the scope versions and every table read below.
            connection.cursor().execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        scopes = {s.id: s for s in SyncScope.objects.filter(id__in=allowed)}
        for scope_id, (epoch, version) in seen.items():
            scope = scopes.get(scope_id)
            if scope is not None and (epoch != str(scope.epoch) or version < scope.min_valid_version):
                reset = True
        if reset:
            seen, first_sync = {}, True
        scopes_removed = sorted(set(seen) - set(allowed))
        since = {scope_id: (seen.get(scope_id) or [None, 0])[1] for scope_id in scopes}
        wanted = Q()
        for scope_id, version in since.items():
            wanted |= Q(scope_id=scope_id, server_version__gt=version)
        candidates = []
        if scopes:
            for table in TABLES.values():
                rows = table.model.objects.filter(wanted)
                if first_sync:
                    rows = rows.filter(deleted=False)
                for obj in rows.order_by("scope_id", "server_version")[: limit + 1]:
                    candidates.append((obj.scope_id, obj.server_version, table, obj))
        candidates.sort(key=lambda c: (c[0], c[1]))
        page, has_more = candidates[:limit], len(candidates) > limit
        conflicts = _open_conflicts([obj.pk for _, _, _, obj in page])
        changes = [_row(table, obj, conflicts) for _, _, table, obj in page]
        next_versions = dict(since)
        for scope_id, version, _, _ in page:
            next_versions[scope_id] = version
        cut = page[-1][:2] if has_more else None
        for scope_id, scope in scopes.items():
            if cut is None or scope_id < cut[0]:
                next_versions[scope_id] = scope.version
        state = {"s": {sid: [str(scopes[sid].epoch), v] for sid, v in next_versions.items()}}
        client.refresh_from_db(fields=["last_mutation_id"])
    return {
        "changes": changes,
        "scopes_removed": scopes_removed,
        "last_mutation_id": client.last_mutation_id,
        "cursor": cursor_dump(state),
        "has_more": has_more,
        "server_time": timezone.now(),
        "reset": reset,
    }


def _open_conflicts(row_ids) -> dict:
    found = {}
    for conflict_id, row_id in SyncConflict.objects.filter(
        row_id__in=row_ids, resolved_at__isnull=True, deleted=False
    ).values_list("pk", "row_id"):
        found.setdefault(row_id, []).append(str(conflict_id))
    return found
