"""The push's own plumbing: the client row lock and the id cache."""

import threading
import uuid

import pytest
from django.db import connection, transaction

from ivigapp.sync import push
from ivigapp.sync.models import SyncClient
from tests.pg_locks import wait_until_a_transaction_waits_for_a_lock


@pytest.mark.django_db(transaction=True)
def test_a_second_push_of_one_device_waits_for_the_first_to_commit(patient):
    """`_client_locked` takes the client row's lock: a second transaction asking for it waits until the
    first commits (so two requests of one device can never apply the same ids)."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises write transactions as a whole (BEGIN IMMEDIATE); the row lock is PostgreSQL's")
    client = SyncClient.objects.create(id=uuid.uuid4(), user=patient.user, schema_version=1)
    locked, release, order, errors = threading.Event(), threading.Event(), [], []

    def first():
        try:
            with transaction.atomic():
                assert push._client_locked(client.pk, patient.user) is not None
                locked.set()
                release.wait(30)
                order.append("first commits")
        except Exception as error:  # noqa: BLE001 (reported by the test below)
            errors.append(error)
        finally:
            connection.close()

    def second():
        try:
            locked.wait(30)
            with transaction.atomic():
                assert push._client_locked(client.pk, patient.user) is not None
                order.append("second has the lock")
        except Exception as error:  # noqa: BLE001
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    assert locked.wait(30)
    if not wait_until_a_transaction_waits_for_a_lock():  # the second, for the client row
        pytest.fail(f"the second transaction never waited for the client row: {order}")
    release.set()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert order == ["first commits", "second has the lock"]


@pytest.mark.django_db
def test_another_users_device_is_not_found(patient, other_patient):
    client = SyncClient.objects.create(id=uuid.uuid4(), user=patient.user, schema_version=1)
    with transaction.atomic():
        assert push._client_locked(client.pk, other_patient.user) is None
        assert push._client_locked(uuid.uuid4(), patient.user) is None
        assert push._client_locked(str(client.pk), patient.user).pk == client.pk


def test_ids_are_cached_only_in_their_canonical_form():
    """A client may send anything as an id; only the 36-character form is remembered, so a stream of
    huge or odd strings cannot fill the cache."""
    push._uuid_of_str.cache_clear()
    row_id = uuid.uuid4()
    assert push._uuid(str(row_id)) == row_id
    assert push._uuid(str(row_id).upper()) == row_id
    assert push._uuid("{" + str(row_id) + "}") == row_id
    assert push._uuid(row_id.hex) == row_id
    assert push._uuid("x" * 100_000) is None
    assert push._uuid(str(row_id)[:-1] + "z") is None
    assert push._uuid(None) is None and push._uuid(["a"]) is None and push._uuid(7) is None
    assert push._uuid_of_str.cache_info().currsize == 3  # the three 36-character strings
