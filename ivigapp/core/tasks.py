import socket

from celery import shared_task
from celery.signals import worker_ready
from django.db import close_old_connections
from django.utils import timezone

from ivigapp.core.models import WorkerHeartbeat


def heartbeat_record(hostname: str) -> None:
    WorkerHeartbeat.objects.update_or_create(hostname=hostname[:255], defaults={"seen_at": timezone.now()})


@shared_task(name="ivigapp.core.tasks.heartbeat", ignore_result=True)
def heartbeat():
    heartbeat_record(heartbeat.request.hostname or socket.gethostname())


@worker_ready.connect
def heartbeat_on_start(sender=None, **kwargs):
    # So /healthz turns green as soon as a worker is up, not at the first beat tick.
    close_old_connections()
    heartbeat_record(getattr(sender, "hostname", None) or socket.gethostname())
    close_old_connections()
