import uuid
from collections.abc import Iterable

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import F
from django.utils import timezone

from ivigapp.audit.models import AuditEvent
from ivigapp.core.requestid import request_id_get
from ivigapp.core.text import storable
from ivigapp.patients.roles import user_role


def _as_uuid(value) -> uuid.UUID | None:
    if value is None or isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def _object_id(value) -> str:
    """An id as asked for, storable: a denied request may name anything (a character PostgreSQL
    cannot store becomes U+FFFD; past 100 characters it is cut)."""
    text = storable(str(value))
    return text if len(text) <= 100 else text[:99] + "\u2026"


def _event(actor, *, action, patient_id, outcome, object_type, object_ids) -> AuditEvent:
    authenticated = actor is not None and actor.is_authenticated
    return AuditEvent(
        actor_id=actor.pk if authenticated else None,
        actor_username=actor.get_username() if authenticated else "",
        role=user_role(actor) or "",
        patient_id=_as_uuid(patient_id),
        action=action,
        object_type=object_type,
        object_ids=[_object_id(i) for i in object_ids],
        outcome=outcome,
        request_id=request_id_get(),
    )


def audit_record(
    actor,
    *,
    action: str,
    patient_id=None,
    outcome: str = AuditEvent.Outcome.OK,
    object_type: str = "",
    object_ids: Iterable = (),
) -> AuditEvent:
    event = _event(
        actor, action=action, patient_id=patient_id, outcome=outcome, object_type=object_type, object_ids=object_ids
    )
    event.save(force_insert=True)
    return event


def audit_record_many(actor, *, action: str, patient_ids: Iterable, object_type: str = "patient") -> None:
    """One row per patient shown in a list, so "who saw this patient" stays one query."""
    AuditEvent.objects.bulk_create(
        [
            _event(
                actor,
                action=action,
                patient_id=pid,
                outcome=AuditEvent.Outcome.OK,
                object_type=object_type,
                object_ids=[pid],
            )
            for pid in patient_ids
        ]
    )


def audit_record_select(actor, *, action: str, queryset, field: str = "pk", object_type: str = "patient") -> None:
    """One audit row per distinct patient id in `queryset` (`field` names the id), written by a
    single INSERT ... SELECT: a list page audits every patient it shows in one query, whether it
    shows ten patients or a thousand."""
    ids = queryset.order_by().values(audit_pid=F(field)).distinct()
    try:
        sub_sql, sub_params = ids.query.sql_with_params()
    except EmptyResultSet:  # e.g. patients_for(administrator): nothing was shown
        return
    json_empty = "CAST(%s AS jsonb)" if connection.vendor == "postgresql" else "%s"
    authenticated = actor is not None and actor.is_authenticated
    # The table name is the model's and the subquery is the ORM's, with its parameters bound.
    sql = (
        f"INSERT INTO {AuditEvent._meta.db_table} (at, actor_id, actor_username, role, patient_id, action, "  # noqa: S608
        f"object_type, object_ids, outcome, request_id) SELECT %s, %s, %s, %s, sub.audit_pid, %s, %s, {json_empty}, "
        f"%s, %s FROM ({sub_sql}) sub"
    )
    params = [
        timezone.now(),
        actor.pk if authenticated else None,
        actor.get_username() if authenticated else "",
        user_role(actor) or "",
        action,
        object_type,
        "[]",
        AuditEvent.Outcome.OK,
        request_id_get(),
        *sub_params,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
