"""Settling a kept conflict through sync (SYNC.md 2.6): once, for every device, by the patient or
their nurse, never by anybody else, and never reopened."""

import pytest

from ivigapp.audit.models import AuditEvent
from ivigapp.sync.models import SyncConflict
from tests.sync.conftest import Device

pytestmark = pytest.mark.django_db


@pytest.fixture
def conflict(drink_in_conflict):
    return SyncConflict.objects.get()


def settle(device, conflict, resolved=True, base_version=1):
    device.write("sync_conflict", conflict.pk, set={"resolved": resolved}, base_version=base_version)
    return device.push().json()["results"][-1]


def test_the_patient_settles_a_conflict_once_for_every_device(conflict, episode):
    phone, tablet = Device(episode.patient.user), Device(episode.patient.user)
    assert settle(phone, conflict)["status"] == "applied"
    conflict.refresh_from_db()
    assert conflict.resolved_by == episode.patient.user and conflict.version == 2
    settled_at = conflict.resolved_at
    # The tablet settles it too, from the version it saw: nothing changes, nothing is lost.
    assert settle(tablet, conflict)["status"] == "merged"
    conflict.refresh_from_db()
    assert conflict.resolved_at == settled_at and conflict.version == 2
    tablet.pull_all()
    assert tablet.replica[("sync_conflict", str(conflict.pk))]["row"]["resolved_at"] is not None


def test_a_settled_conflict_is_not_reopened(conflict, episode):
    phone = Device(episode.patient.user)
    settle(phone, conflict)
    result = settle(phone, conflict, resolved=False, base_version=2)
    assert result["status"] == "rejected" and "resolved" in result["detail"]
    conflict.refresh_from_db()
    assert conflict.resolved_at is not None


def test_the_nurse_may_settle_it_and_a_stranger_may_not(conflict, episode, nurse, other_patient, other_nurse):
    for stranger in (other_patient.user, other_nurse):
        assert settle(Device(stranger), conflict)["reason"] == "not_found"
    assert AuditEvent.objects.filter(action="sync.push.sync_conflict", outcome="denied").count() == 2
    conflict.refresh_from_db()
    assert conflict.resolved_at is None
    assert settle(Device(nurse), conflict)["status"] == "applied"
    conflict.refresh_from_db()
    assert conflict.resolved_by == nurse


def test_a_conflict_cannot_be_made_by_a_device(episode):
    device = Device(episode.patient.user)
    device.write("sync_conflict", set={"resolved": True})
    result = device.push().json()["results"][0]
    assert result["status"] == "rejected"
    assert not SyncConflict.objects.exists()
