import pytest

from tests.reminders.pushreceiver import PushReceiver


@pytest.fixture
def push_receiver():
    receiver = PushReceiver()
    yield receiver
    receiver.close()
