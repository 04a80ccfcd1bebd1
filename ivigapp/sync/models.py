import uuid

from django.conf import settings
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


# What a pull reads: a scope's rows above a version, in version order. Named per model.
PULL_INDEX = models.Index(fields=["scope", "server_version"], name="%(app_label)s_%(class)s_pull")


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
        indexes = [PULL_INDEX]  # a subclass with its own Meta lists PULL_INDEX again


class SyncClient(models.Model):
    """A device (one browser profile) of one user; the id is made on the device."""

    id = models.UUIDField(primary_key=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sync_clients")
    last_mutation_id = models.BigIntegerField(default=0)
    schema_version = models.PositiveIntegerField(default=1)
    device_label = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"client {self.id} of {self.user_id}"


class LogJSONField(models.JSONField):
    """A JSONField whose bulk inserts use plain VALUES rows on PostgreSQL.

    Django 5.2 bulk-inserts through UNNEST of text arrays, and psycopg escapes every quote of every
    JSON document into such an array in Python: for the mutation log that was a sixth of a push's
    CPU. A placeholder method opts the model out of UNNEST.
    """

    def get_placeholder(self, value, compiler, connection):
        return "%s"


class MutationLog(models.Model):
    """Every mutation the server acknowledged, with its result: the exactly-once record and the
    edit history. Append-only."""

    class Result(models.TextChoices):
        APPLIED = "applied"
        MERGED = "merged"
        CONFLICT = "conflict"
        REJECTED = "rejected"

    client = models.ForeignKey(SyncClient, on_delete=models.CASCADE, related_name="mutations")
    mutation_id = models.BigIntegerField()
    received_at = models.DateTimeField(default=timezone.now)
    payload = LogJSONField()
    result = models.CharField(max_length=10, choices=Result.choices)
    response = LogJSONField(help_text="The per-mutation result sent back, replayed for retries.")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["client", "mutation_id"], name="mutation_once_per_client")]

    def __str__(self):
        return f"{self.client_id}#{self.mutation_id} {self.result}"


class SyncConflict(SyncRow):
    """A value that lost a concurrent edit. Kept, shown to patient and nurse, never discarded."""

    table_name = models.CharField(max_length=40)
    row_id = models.UUIDField()
    field = models.CharField(max_length=60)
    base_value = models.JSONField(null=True)
    kept_value = models.JSONField(null=True)
    other_value = models.JSONField(null=True)
    other_client_id = models.UUIDField(null=True)
    other_mutation_id = models.BigIntegerField(null=True)
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        indexes = [PULL_INDEX, models.Index(fields=["table_name", "row_id"])]

    def __str__(self):
        return f"conflict on {self.table_name}.{self.field}"

    @property
    def patient_id(self):
        return self.scope_id.removeprefix("patient:")
