"""Every change to patients, accounts and care teams goes through one function here."""

from datetime import date, time
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ivigapp.audit.services import audit_record
from ivigapp.patients.models import BodyMeasurement, CareAssignment, Patient, Region, RiskProfile, validate_timezone
from ivigapp.patients.roles import ROLE_NURSE, ROLE_PATIENT, STAFF_ROLES, user_role

User = get_user_model()


def staff_user_create(*, username: str, email: str, role: str, first_name: str = "", last_name: str = "") -> User:
    if role not in STAFF_ROLES:
        raise ValidationError({"role": _("Choose a staff role.")})
    with transaction.atomic():
        user = User.objects.create_user(
            username=username, email=email, first_name=first_name, last_name=last_name, is_staff=True
        )
        user.groups.add(Group.objects.get(name=role))
    return user


def patient_enrol(
    *,
    actor,
    username: str,
    email: str,
    display_name: str,
    region: Region,
    care_model: str,
    indication: str,
    language: str = "en",
    timezone_name: str = "UTC",
    date_of_birth: date | None = None,
    sex_for_ibw: str = Patient.SexForIbw.UNKNOWN,
    care_team_phone: str = "",
    send_activation: bool = True,
) -> Patient:
    """Creates the account with no usable password, the profile and an empty risk profile,
    then emails a one-time activation link once the transaction has committed."""
    from ivigapp.accounts.tasks import activation_email_send

    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": _("That username is taken.")})
    patient = Patient(
        display_name=display_name,
        region=region,
        care_model=care_model,
        indication=indication,
        language=language,
        timezone=timezone_name,
        date_of_birth=date_of_birth,
        sex_for_ibw=sex_for_ibw,
        care_team_phone=care_team_phone,
    )
    patient.full_clean(exclude=["user"])
    with transaction.atomic():
        user = User.objects.create_user(username=username, email=email)
        user.set_unusable_password()
        user.save(update_fields=["password"])
        user.groups.add(Group.objects.get(name=ROLE_PATIENT))
        patient.user = user
        patient.save(force_insert=True)
        RiskProfile.objects.create(patient=patient)
        audit_record(
            actor, action="patient.enrol", patient_id=patient.pk, object_type="patient", object_ids=[patient.pk]
        )
        if send_activation and email:
            activation_email_send.delay_on_commit(user.pk)
    return patient


def care_team_assign(*, actor, nurse, patient: Patient, starts_at=None) -> CareAssignment:
    if user_role(nurse) != ROLE_NURSE:
        raise ValidationError({"nurse": _("Only a nurse can join a care team.")})
    with transaction.atomic():
        assignment = CareAssignment.objects.create(nurse=nurse, patient=patient, starts_at=starts_at or timezone.now())
        audit_record(
            actor,
            action="care_team.assign",
            patient_id=patient.pk,
            object_type="care_assignment",
            object_ids=[assignment.pk],
        )
    return assignment


def care_team_end(*, actor, assignment: CareAssignment, ends_at=None) -> CareAssignment:
    ends_at = ends_at or timezone.now()
    if ends_at <= assignment.starts_at:
        raise ValidationError({"ends_at": _("The end must come after the start.")})
    with transaction.atomic():
        assignment.ends_at = ends_at
        assignment.save(update_fields=["ends_at"])
        audit_record(
            actor,
            action="care_team.end",
            patient_id=assignment.patient_id,
            object_type="care_assignment",
            object_ids=[assignment.pk],
        )
    return assignment


def measurement_record(
    *, actor, patient: Patient, kind: str, value: Decimal, measured_on: date, source: str
) -> BodyMeasurement:
    errors = {}
    if kind not in BodyMeasurement.BOUNDS:
        errors["kind"] = _("Choose weight or height.")
    else:
        low, high = BodyMeasurement.BOUNDS[kind]
        if not (low <= value <= high):
            errors["value"] = _("Enter a value between %(low)s and %(high)s.") % {"low": low, "high": high}
    if measured_on > timezone.localdate():
        errors["measured_on"] = _("The date cannot be in the future.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        measurement = BodyMeasurement.objects.create(
            patient=patient, kind=kind, value=value, measured_on=measured_on, source=source, recorded_by=actor
        )
        if user_role(actor) in STAFF_ROLES:
            audit_record(
                actor,
                action="measurement.record",
                patient_id=patient.pk,
                object_type="measurement",
                object_ids=[measurement.pk],
            )
    return measurement


def patient_settings_update(
    *,
    actor,
    patient: Patient,
    language: str | None = None,
    timezone_name: str | None = None,
    quiet_hours: tuple[time | None, time | None] | None = None,
) -> Patient:
    """The patient's own settings; None leaves a setting as it is, quiet_hours=(None, None) clears
    them. The language is what the app, reminders and emails speak; a new time zone or new quiet
    hours re-plan every pending reminder (through the reminders services, which own that)."""
    from ivigapp.reminders import services as reminders
    from ivigapp.reminders.models import ReminderPreference

    errors = {}
    if language is not None and language not in dict(settings.LANGUAGES):
        errors["language"] = _("Choose one of the app's languages.")
    if timezone_name is not None:
        try:
            validate_timezone(timezone_name)
        except ValidationError as error:
            errors["timezone"] = error.messages
    if quiet_hours is not None and (quiet_hours[0] is None) != (quiet_hours[1] is None):
        errors["quiet_end" if quiet_hours[1] is None else "quiet_start"] = _(
            "Give both the start and the end of quiet hours, or neither."
        )
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        if language is not None and language != patient.language:
            patient.language = language
            patient.save(update_fields=["language"])
        if timezone_name is not None and timezone_name != patient.timezone:
            reminders.patient_timezone_change(actor=actor, patient=patient, timezone_name=timezone_name)
        if quiet_hours is not None:
            current = ReminderPreference.objects.filter(patient=patient).values_list("quiet_start", "quiet_end")
            if tuple(quiet_hours) != (current.first() or (None, None)):
                reminders.quiet_hours_set(actor=actor, patient=patient, start=quiet_hours[0], end=quiet_hours[1])
        if user_role(actor) in STAFF_ROLES:
            audit_record(
                actor, action="patient.settings", patient_id=patient.pk, object_type="patient", object_ids=[patient.pk]
            )
    return patient
