import logging
from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone

from ivigapp.celery import app as celery_app
from ivigapp.core.models import WorkerHeartbeat

log = logging.getLogger(__name__)


def database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone()[0] == 1
    except Exception as error:
        log.warning("health: database check failed: %s", type(error).__name__)
        return False


def broker_ok() -> bool:
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
            return True
    except Exception as error:
        log.warning("health: broker check failed: %s: %s", type(error).__name__, error)
        return False


def worker_ok() -> bool:
    cutoff = timezone.now() - timedelta(seconds=settings.HEALTH_WORKER_MAX_AGE_SECONDS)
    try:
        return WorkerHeartbeat.objects.filter(seen_at__gte=cutoff).exists()
    except Exception:
        return False


def health_report() -> dict[str, bool]:
    return {"database": database_ok(), "broker": broker_ok(), "worker": worker_ok()}
