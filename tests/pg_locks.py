"""For tests of row locks on PostgreSQL: wait until some transaction of this database is blocked."""

import time

from django.db import connection


def wait_until_a_transaction_waits_for_a_lock(seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return True
            time.sleep(0.02)
    return False
