import uuid

from django.db import models
from django.utils import timezone


def patient_scope_id(patient_id) -> str:
    return f"patient:{patient_id}"


class SyncScope(models.Model):
    """A unit of replication ('patient:<uuid>', 'content:<lang>') with a commit-ordered counter.

    Every write to a row in the scope bumps `version` under the scope's row lock (see
    `ivigapp.sync.stamp.stamp_row`), so within one scope commit order equals version order.
    """

    id = models.CharField(primary_key=True, max_length=80)
    version = models.BigIntegerField(default=0)
    min_valid_version = models.BigIntegerField(default=0)
    epoch = models.UUIDField(default=uuid.uuid4)

    def __str__(self):
        return f"{self.id}@{self.version}"


class SyncRow(models.Model):
    """Columns every syncable table carries (SYNC.md section 2.2).

    `id` is made on the device (UUID), `version` counts accepted changes to this row,
    `server_version` is the scope version of the last change (the pull cursor),
    `recorded_at` is the device clock (clinical time), `received_at` the server clock.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    scope = models.ForeignKey(SyncScope, on_delete=models.PROTECT, related_name="+", editable=False)
    version = models.PositiveIntegerField(default=0, editable=False)
    server_version = models.BigIntegerField(default=0, editable=False)
    deleted = models.BooleanField(default=False, editable=False)
    updated_by_client = models.UUIDField(null=True, blank=True, editable=False)
    recorded_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        abstract = True
