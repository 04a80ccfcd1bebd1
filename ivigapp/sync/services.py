from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from ivigapp.sync.models import SyncClient, SyncConflict, SyncScope
from ivigapp.sync.stamp import stamp_row
from ivigapp.sync.tables import TABLES


@transaction.atomic
def client_register(*, user, client_id, schema_version: int, device_label: str = "") -> SyncClient:
    """Binds a device-made id to this user. The same id for another user is refused."""
    client, created = SyncClient.objects.select_for_update().get_or_create(
        pk=client_id, defaults={"user": user, "schema_version": schema_version, "device_label": device_label}
    )
    if client.user_id != user.pk:
        raise PermissionDenied("client belongs to another user")
    if not created:
        client.schema_version, client.last_seen_at = schema_version, timezone.now()
        client.device_label = device_label or client.device_label
        client.save(update_fields=["schema_version", "last_seen_at", "device_label"])
    return client


def tombstones_collect(*, now=None) -> int:
    """Hard-deletes tombstones older than the retention and raises each scope's
    min_valid_version, so a client whose cursor predates them re-syncs from scratch."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.SYNC_TOMBSTONE_DAYS)
    removed = 0
    with transaction.atomic():
        for table in TABLES.values():
            old = table.model.objects.filter(deleted=True, received_at__lt=cutoff)
            for scope_id, top in old.values_list("scope_id").annotate(top=Max("server_version")):
                scope = SyncScope.objects.select_for_update().get(pk=scope_id)
                if top > scope.min_valid_version:
                    scope.min_valid_version = top
                    scope.save(update_fields=["min_valid_version"])
            removed += old.delete()[0]
    return removed


def conflict_resolve(*, actor, conflict: SyncConflict, client_id=None) -> SyncConflict:
    """The patient or nurse has chosen between the two values: the conflict is settled for every
    device. Settling twice changes nothing."""
    if conflict.resolved_at is None:
        conflict.resolved_at, conflict.resolved_by = timezone.now(), actor
        stamp_row(conflict, patient_id=conflict.patient_id, client_id=client_id)
        conflict.save(
            update_fields=[
                "resolved_at",
                "resolved_by",
                "version",
                "server_version",
                "received_at",
                "updated_by_client",
            ]
        )
    return conflict
