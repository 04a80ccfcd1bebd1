from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    """Who touched which patient's data, when, and whether they were allowed. Never the data.

    Append-only: on PostgreSQL a trigger refuses UPDATE and DELETE (migration 0002). The actor
    is kept by id and name rather than a foreign key, because an audit row outlives the account
    and a cascading update or delete would have to modify it.
    """

    class Outcome(models.TextChoices):
        OK = "ok", _("Allowed")
        DENIED = "denied", _("Denied")

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor_id = models.IntegerField(null=True)
    actor_username = models.CharField(max_length=150, blank=True)
    role = models.CharField(max_length=32, blank=True)
    patient_id = models.UUIDField(null=True, db_index=True)
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=64, blank=True)
    object_ids = models.JSONField(default=list, blank=True)
    outcome = models.CharField(max_length=8, choices=Outcome.choices)
    request_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_username} {self.action} {self.outcome}"
