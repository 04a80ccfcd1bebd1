from django.db import transaction
from django.db.models import F
from django.utils import timezone

from ivigapp.sync.models import SyncRow, SyncScope, patient_scope_id


def stamp_row(row: SyncRow, *, patient_id, client_id=None) -> None:
    """Gives the row the next version of its patient's scope, right before it is saved.

    Runs inside the write's transaction: the UPDATE takes the scope's row lock and holds it until
    commit, so no later version of this scope can commit first (SYNC.md 2.2, version assignment).
    Every writer (sync push, nurse pages, admin, services) goes through here.
    """
    assert transaction.get_connection().in_atomic_block, "stamp_row must run inside the write transaction"
    scope_id = patient_scope_id(patient_id)
    if not SyncScope.objects.filter(id=scope_id).update(version=F("version") + 1):
        SyncScope.objects.get_or_create(id=scope_id)
        SyncScope.objects.filter(id=scope_id).update(version=F("version") + 1)
    row.server_version = SyncScope.objects.values_list("version", flat=True).get(id=scope_id)
    row.scope_id = scope_id
    row.version += 1
    row.received_at = timezone.now()
    if client_id is not None:
        row.updated_by_client = client_id
