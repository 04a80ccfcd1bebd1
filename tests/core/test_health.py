from datetime import timedelta

import pytest
from django.utils import timezone

from ivigapp.celery import app as celery_app
from ivigapp.core.models import WorkerHeartbeat

pytestmark = pytest.mark.django_db


def beat(seconds_ago):
    WorkerHeartbeat.objects.update_or_create(
        hostname="celery@test", defaults={"seen_at": timezone.now() - timedelta(seconds=seconds_ago)}
    )


def test_healthz_is_200_when_database_broker_and_worker_are_up(client):
    beat(5)
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "up", "broker": "up", "worker": "up"}


def test_healthz_is_503_without_a_worker_heartbeat(client):
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["worker"] == "down"


def test_healthz_is_503_when_the_last_heartbeat_is_stale(client, settings):
    beat(settings.HEALTH_WORKER_MAX_AGE_SECONDS + 1)
    assert client.get("/healthz").status_code == 503


def test_healthz_is_503_when_the_broker_is_unreachable(client, monkeypatch):
    beat(5)
    unreachable = "redis://127.0.0.1:9/0"  # the discard port: nothing listens there
    # Celery reads CELERY_BROKER_URL from the environment before its own configuration.
    monkeypatch.setenv("CELERY_BROKER_URL", unreachable)
    assert celery_app.conf.broker_url == unreachable
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["broker"] == "down" and response.json()["database"] == "up"
