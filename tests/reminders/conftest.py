from datetime import timedelta

import pytest
from django.utils import timezone

from ivigapp.reactions.models import InfusionEpisode
from ivigapp.reminders.models import Reminder
from ivigapp.sync.models import SyncScope, patient_scope_id
from tests.reminders.pushreceiver import PushReceiver


@pytest.fixture
def push_receiver():
    receiver = PushReceiver()
    yield receiver
    receiver.close()


def due_reminders(patient, plan, count, kind="infusion_start", *, ago=timedelta(minutes=1), safety_critical=False):
    """Test data only: `count` infusions with one reminder each, due `ago`, written in bulk."""
    scope, _ = SyncScope.objects.get_or_create(id=patient_scope_id(patient.pk))
    now = timezone.now()
    episodes = InfusionEpisode.objects.bulk_create(
        [
            InfusionEpisode(
                patient=patient,
                plan=plan,
                scheduled_start=now + timedelta(minutes=30),
                scope=scope,
                entered_by="patient",
                entered_by_user=patient.user,
            )
            for _ in range(count)
        ]
    )
    return Reminder.objects.bulk_create(
        [
            Reminder(
                patient=patient,
                episode=e,
                kind=kind,
                due_at=now - ago,
                local_due="test",
                safety_critical=safety_critical,
            )
            for e in episodes
        ]
    )
