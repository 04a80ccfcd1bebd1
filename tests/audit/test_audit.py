import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError

from ivigapp.audit.models import AuditEvent
from ivigapp.audit.services import audit_record

pytestmark = pytest.mark.django_db

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the append-only trigger exists on PostgreSQL (CI runs it there)"
)


def test_an_audit_row_names_who_what_and_when_but_never_the_data(nurse, patient):
    event = audit_record(
        nurse, action="patient.view", patient_id=patient.pk, object_type="patient", object_ids=[patient.pk]
    )
    stored = AuditEvent.objects.values().get(pk=event.pk)
    assert stored["actor_username"] == "nurse" and stored["role"] == "nurse"
    assert stored["patient_id"] == patient.pk and stored["object_ids"] == [str(patient.pk)]
    assert stored["at"].tzinfo is not None
    assert set(stored) == {
        "id",
        "at",
        "actor_id",
        "actor_username",
        "role",
        "patient_id",
        "action",
        "object_type",
        "object_ids",
        "outcome",
        "request_id",
    }


@pytest.mark.parametrize("who", ["nurse", "patient"])
@pytest.mark.parametrize("path", ["/api/v1/patients/a\x00b/", "/api/v1/patients/a\x00b/episodes/"])
def test_a_denied_request_for_any_id_is_audited_not_a_500(client, nurse, patient, who, path):
    """A denial is audited with the id as asked for, made storable: a NUL character (which
    PostgreSQL cannot store) becomes U+FFFD and a very long id is cut."""
    client.force_login(nurse if who == "nurse" else patient.user)
    assert client.get(path).status_code == 404
    denied = AuditEvent.objects.filter(outcome="denied").latest("at")
    assert denied.object_ids == ["a\ufffdb"]
    assert client.get("/api/v1/patients/" + "x" * 500 + "/").status_code == 404
    assert AuditEvent.objects.filter(outcome="denied").latest("at").object_ids == ["x" * 99 + "\u2026"]


@postgres_only
def test_the_application_cannot_update_an_audit_row(nurse, patient):
    event = audit_record(nurse, action="patient.view", patient_id=patient.pk)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(action="nothing.happened")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        event.outcome = "denied"
        event.save()
    assert AuditEvent.objects.get(pk=event.pk).action == "patient.view"


@postgres_only
def test_the_application_cannot_delete_an_audit_row(nurse, patient):
    event = audit_record(nurse, action="patient.view", patient_id=patient.pk)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent")
    assert AuditEvent.objects.filter(pk=event.pk).exists()
