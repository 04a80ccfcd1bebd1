from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from ivigapp.core.bulk import insert_new, update_changed
from ivigapp.patients.roles import ROLE_NURSE, ROLE_PATIENT, user_role
from ivigapp.reactions.models import EnteredBy
from ivigapp.sync.stamp import stamp_row, stamp_rows

# A device clock may run a little fast; anything further in the future is a typing error.
CLOCK_TOLERANCE = timedelta(minutes=5)


def entered_by_for(actor, *, as_carer: bool = False) -> str:
    role = user_role(actor)
    if role == ROLE_NURSE:
        return EnteredBy.NURSE
    if role == ROLE_PATIENT:
        return EnteredBy.CARER if as_carer else EnteredBy.PATIENT
    raise ValidationError({"actor": _("Only patients, carers and nurses write the diary.")})


def not_in_future(value: datetime | None, field: str, errors: dict) -> None:
    if value is not None and value > timezone.now() + CLOCK_TOLERANCE:
        errors.setdefault(field, _("This time is in the future."))


# What full_clean leaves out: relations the service resolved itself, and the bookkeeping the
# server sets (entered_by, and the sync columns that stamp_row fills in after validation).
NOT_INPUT = [
    *("scope", "patient", "episode", "entered_by_user", "plan", "alert", "report"),
    *("entered_by", "version", "server_version", "deleted", "updated_by_client", "received_at"),
]


def validate_row(row, errors: dict | None = None) -> None:
    """Field validators of the model plus errors the service found, raised together."""
    errors = dict(errors or {})
    try:
        row.full_clean(exclude=NOT_INPUT, validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        for field, messages in error.message_dict.items():
            errors.setdefault(field, messages[0])
    if errors:
        raise ValidationError(errors)


def save_new(row, *, patient_id, client_id=None) -> None:
    stamp_row(row, patient_id=patient_id, client_id=client_id)
    row.save(force_insert=True)


def save_many(rows: list[tuple], *, client_id=None) -> None:
    """save_new for each (row, None) and save_changed for each (row, field names) of `rows`, in one
    version bump per patient (versions follow the order of `rows`), one INSERT and one UPDATE per
    model."""
    stamp_rows([row for row, _fields in rows], client_id=client_id)
    new, updated = {}, {}
    for row, fields in rows:
        if fields is None:
            new.setdefault(type(row), []).append(row)
        else:
            updated.setdefault(type(row), []).append((row, [*fields, *STAMPED]))
    for model, same in new.items():
        insert_new(model, same)
    for model, same in updated.items():
        update_changed(model, same)


# The sync columns stamp_row sets on every write.
STAMPED = ["version", "server_version", "received_at", "updated_by_client"]


def save_changed(row, fields: list[str], *, patient_id, client_id=None) -> None:
    stamp_row(row, patient_id=patient_id, client_id=client_id)
    row.save(update_fields=[*fields, *STAMPED])
