"""A real Celery worker process, on the configured broker (Redis in CI) and the test database."""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.db import connection

from ivigapp.core.models import WorkerHeartbeat
from ivigapp.core.tasks import heartbeat

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def database_url_for_worker() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def wait_for(predicate, seconds=45):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


@pytest.fixture
def worker_queue(tmp_path):
    """Starts `celery worker` on a queue of its own and stops it after the test."""
    queue = f"test-{uuid.uuid4().hex[:10]}"
    log_path = tmp_path / "worker.log"
    env = {**os.environ, "DATABASE_URL": database_url_for_worker()}
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "ivigapp",
                "worker",
                "-Q",
                queue,
                "--pool",
                "solo",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel",
                "INFO",
                "--hostname",
                f"{queue}@test",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        ready = wait_for(lambda: WorkerHeartbeat.objects.filter(hostname=f"{queue}@test").exists())
        assert ready, "worker never reported ready:\n" + log_path.read_text()
        yield queue
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def test_a_real_worker_runs_a_task_sent_through_the_broker(worker_queue, client):
    WorkerHeartbeat.objects.all().delete()  # forget the start-up beat: only the task may write now
    heartbeat.apply_async(queue=worker_queue)
    assert wait_for(lambda: WorkerHeartbeat.objects.filter(hostname=f"{worker_queue}@test").exists())
    assert client.get("/healthz").json() == {"status": "ok", "database": "up", "broker": "up", "worker": "up"}
