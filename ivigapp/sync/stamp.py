from django.db import connection, transaction
from django.utils import timezone

from ivigapp.sync.models import SyncRow, SyncScope, patient_scope_id


def _scope_bump(scope_id: str, count: int) -> int:
    """Adds `count` to the scope's version and returns the new version, in one statement.

    The UPDATE takes the scope's row lock and holds it until commit, so no later version of this
    scope can commit first (SYNC.md 2.2, version assignment). PostgreSQL and SQLite 3.35+ both
    support UPDATE ... RETURNING.
    """
    table = connection.ops.quote_name(SyncScope._meta.db_table)
    sql = f"UPDATE {table} SET version = version + %s WHERE id = %s RETURNING version"  # noqa: S608 (a model's table)
    with connection.cursor() as cursor:
        cursor.execute(sql, [count, scope_id])
        found = cursor.fetchone()
        if found is None:
            SyncScope.objects.get_or_create(id=scope_id)
            cursor.execute(sql, [count, scope_id])
            found = cursor.fetchone()
    return found[0]


def _stamp(row: SyncRow, scope_id: str, server_version: int, now, client_id) -> None:
    row.server_version = server_version
    row.scope_id = scope_id
    row.version += 1
    row.received_at = now
    if client_id is not None:
        row.updated_by_client = client_id


def stamp_rows(rows: list[SyncRow], *, client_id=None) -> None:
    """Gives each row the next version of its patient's scope, right before the rows are saved.

    Runs inside the write's transaction, one version bump per scope however many rows: versions
    follow the order of `rows`. Every writer (sync push, nurse pages, admin, services) goes
    through here or through `stamp_row`.
    """
    assert transaction.get_connection().in_atomic_block, "stamp_rows must run inside the write transaction"
    by_scope: dict[str, list[SyncRow]] = {}
    for row in rows:
        by_scope.setdefault(patient_scope_id(row.patient_id), []).append(row)
    now = timezone.now()
    for scope_id, scoped in by_scope.items():
        first = _scope_bump(scope_id, len(scoped)) - len(scoped) + 1
        for offset, row in enumerate(scoped):
            _stamp(row, scope_id, first + offset, now, client_id)


def stamp_row(row: SyncRow, *, patient_id, client_id=None) -> None:
    """stamp_rows for one row whose patient is given (an alert note's comes from its alert)."""
    assert transaction.get_connection().in_atomic_block, "stamp_row must run inside the write transaction"
    scope_id = patient_scope_id(patient_id)
    _stamp(row, scope_id, _scope_bump(scope_id, 1), timezone.now(), client_id)
