"""The one front door to patient data.

Every view, API, export, sync pull and task reaches patient rows through these functions.
A patient sees themself; a nurse sees the patients currently assigned to them; a clinical
administrator sees content, not patients. Anything else is a 404, written to the audit log.
Assignments are read on every call, so a reassignment counts from the very next request.
"""

import uuid

from django.db.models import QuerySet
from django.http import Http404

from ivigapp.audit.models import AuditEvent
from ivigapp.audit.services import audit_record
from ivigapp.patients.models import CareAssignment, Patient
from ivigapp.patients.roles import ROLE_ADMIN, ROLE_NURSE, ROLE_PATIENT, is_staff_role, user_role


def patients_for(user) -> QuerySet[Patient]:
    role = user_role(user)
    if role == ROLE_PATIENT:
        return Patient.objects.filter(user=user)
    if role == ROLE_NURSE:
        assigned = CareAssignment.objects.current().filter(nurse=user).values("patient_id")
        return Patient.objects.filter(id__in=assigned)
    return Patient.objects.none()


def access_patient(user, patient_id, *, action: str = "patient.view") -> Patient:
    """The patient with this id if the user may see them; otherwise Http404 and a denial row.

    Staff reads are audited here, so a caller cannot forget to.
    """
    patient = None
    try:
        parsed = uuid.UUID(str(patient_id))
    except ValueError:
        parsed = None
    if parsed is not None:
        patient = patients_for(user).select_related("region").filter(pk=parsed).first()
    if patient is None:
        audit_record(
            user,
            action=action,
            patient_id=parsed,
            outcome=AuditEvent.Outcome.DENIED,
            object_type="patient",
            object_ids=[patient_id],
        )
        raise Http404("No such patient.")
    if is_staff_role(user):
        audit_record(user, action=action, patient_id=patient.pk, object_type="patient", object_ids=[patient.pk])
    return patient


def patients_for_lot_recall(user) -> QuerySet[Patient]:
    """Who may be found by a lot recall: a nurse's own patients; administrators search everyone,
    because a recall concerns a product, and each match they see is audited."""
    if user_role(user) == ROLE_ADMIN:
        return Patient.objects.all()
    return patients_for(user)
