"""The infusion diary: one function per thing a patient, carer or nurse logs."""

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ivigapp.core.bulk import new_instance
from ivigapp.patients.models import Patient
from ivigapp.reactions import dosing
from ivigapp.reactions.models import (
    Alert,
    AlertLevel,
    HydrationLog,
    InfusionEpisode,
    MedicationDose,
    Pause,
    Plan,
    RateChange,
    VialUsage,
    VitalSigns,
)
from ivigapp.reactions.services.alerts import alert_raise
from ivigapp.reactions.services.common import (
    entered_by_for,
    not_in_future,
    save_changed,
    save_many,
    save_new,
    validate_row,
)
from ivigapp.reactions.services.followups import followups_materialise
from ivigapp.reactions.services.plans import rate_cap


def _reminders_replan(episode: InfusionEpisode) -> None:
    from ivigapp.reminders.services import reminders_replan

    reminders_replan(episode=episode)


LOT_FORMAT = re.compile(r"^[A-Z0-9][A-Z0-9-]{2,19}$")


def lot_number_error(lot_number: str) -> str | None:
    """What to say of a lot number (stripped and upper-cased) that no vial can carry, or None."""
    if LOT_FORMAT.match(lot_number):
        return None
    return _("Enter the lot number as printed: 3 to 20 letters, digits or dashes.")


WEIGHT_CHANGE_ALERT = Decimal("0.10")


def _part_new(model, actor, episode: InfusionEpisode, *, row_id=None, recorded_at=None, as_carer=False, **fields):
    """A new part of `episode` (a vial, rate change, pause, medicine, drink, vital signs) entered by
    `actor`, unsaved."""
    fields.update(
        patient_id=episode.patient_id,
        recorded_at=recorded_at,
        entered_by=entered_by_for(actor, as_carer=as_carer),
    )
    if row_id is not None:
        fields["id"] = row_id
    return new_instance(model, fields, episode=episode, entered_by_user=actor)


def _require_started(episode: InfusionEpisode, at: datetime, field: str, errors: dict) -> None:
    if episode.started_at is None:
        errors[field] = _("Start the infusion first.")
    elif at < episode.started_at or (episode.ended_at is not None and at > episode.ended_at):
        errors[field] = _("This time is outside the infusion.")


@transaction.atomic
def episode_schedule(
    *,
    actor,
    patient: Patient,
    plan: Plan,
    scheduled_start: datetime,
    course_day: int = 1,
    row_id=None,
    recorded_at=None,
    client_id=None,
    as_carer=False,
) -> InfusionEpisode:
    errors = {}
    if plan.patient_id != patient.pk or not plan.active:
        errors["plan"] = _("Choose one of this patient's current plans.")
    if not 1 <= course_day <= plan.course_days:
        errors["course_day"] = _("This plan has %(n)s course days.") % {"n": plan.course_days}
    episode = InfusionEpisode(
        patient=patient,
        plan=plan,
        scheduled_start=scheduled_start,
        course_day=course_day,
        recorded_at=recorded_at,
        entered_by=entered_by_for(actor, as_carer=as_carer),
        entered_by_user=actor,
        **({"id": row_id} if row_id else {}),
    )
    validate_row(episode, errors)
    save_new(episode, patient_id=patient.pk, client_id=client_id)
    _reminders_replan(episode)
    return episode


@transaction.atomic
def episode_readiness_record(
    *,
    actor,
    episode: InfusionEpisode,
    hydrated: bool,
    premeds_taken: bool,
    fever_or_infection: bool,
    anaphylaxis_kit_present: bool,
    premeds_taken_at: datetime | None = None,
    weight_kg: Decimal | None = None,
    client_id=None,
) -> InfusionEpisode:
    errors = {}
    if is_submitted(episode):
        errors["status"] = _("This infusion is finished: send an amendment instead.")
    before = _readiness_findings(
        episode, episode.fever_or_infection, episode.anaphylaxis_kit_present, episode.weight_kg
    )
    not_in_future(premeds_taken_at, "premeds_taken_at", errors)
    if premeds_taken_at is not None and not premeds_taken:
        errors["premeds_taken_at"] = _("Give a time only if the premedication was taken.")
    episode.hydrated, episode.premeds_taken, episode.premeds_taken_at = hydrated, premeds_taken, premeds_taken_at
    episode.weight_kg = weight_kg
    episode.fever_or_infection, episode.anaphylaxis_kit_present = fever_or_infection, anaphylaxis_kit_present
    episode.readiness_recorded_at = timezone.now()
    validate_row(episode, errors)
    save_changed(
        episode,
        [
            "hydrated",
            "premeds_taken",
            "premeds_taken_at",
            "weight_kg",
            "fever_or_infection",
            "anaphylaxis_kit_present",
            "readiness_recorded_at",
        ],
        patient_id=episode.patient_id,
        client_id=client_id,
    )
    # Only a finding the checklist did not have before raises an alert, and not while one for it is
    # still open: a checklist saved again (or with only the weight changed) raises nothing twice,
    # and a fever the nurse has dealt with does not come back until it is answered anew.
    new = _readiness_findings(episode, fever_or_infection, anaphylaxis_kit_present, weight_kg) - before
    if new:
        still_open = set(
            Alert.objects.filter(episode=episode, resolved_at__isnull=True, deleted=False).values_list(
                "rule_id", flat=True
            )
        )
        for rule_id in sorted(new - still_open):
            source, level = READINESS_ALERTS[rule_id]
            alert_raise(patient=episode.patient, source=source, level=level, rule_id=rule_id, episode=episode)
    return episode


READINESS_ALERTS = {
    "T14": (Alert.Source.READINESS, AlertLevel.SAME_DAY),  # fever or signs of infection
    "KIT": (Alert.Source.READINESS, AlertLevel.SAME_DAY),  # no anaphylaxis kit at hand
    "T41": (Alert.Source.WEIGHT_CHANGE, AlertLevel.ROUTINE),  # weight 10 % off the dosing weight
}


def _readiness_findings(episode, fever_or_infection, anaphylaxis_kit_present, weight_kg) -> set[str]:
    findings = set()
    if fever_or_infection:
        findings.add("T14")
    if anaphylaxis_kit_present is False:
        findings.add("KIT")
    baseline = Decimal(episode.plan.computation["actual_weight_kg"])
    if weight_kg is not None and abs(Decimal(weight_kg) - baseline) / baseline >= WEIGHT_CHANGE_ALERT:
        findings.add("T41")
    return findings


@transaction.atomic
def episode_start(
    *, actor, episode: InfusionEpisode, started_at: datetime, recorded_at=None, client_id=None
) -> InfusionEpisode:
    """`recorded_at`: when the start was entered, by the device's clock (a phone offline for days
    sends it late); the server's clock when not given."""
    errors = {}
    not_in_future(started_at, "started_at", errors)
    if started_at < (recorded_at or timezone.now()) - EARLIEST_START:
        errors.setdefault("started_at", _("A start more than 90 days in the past cannot be entered. Check the date."))
    if episode.status != InfusionEpisode.Status.PLANNED:
        errors["status"] = _("This infusion has already started.")
    if errors:
        raise ValidationError(errors)
    episode.started_at, episode.status = started_at, InfusionEpisode.Status.IN_PROGRESS
    save_changed(episode, ["started_at", "status"], patient_id=episode.patient_id, client_id=client_id)
    return episode


@transaction.atomic
def episode_end(*, actor, episode: InfusionEpisode, ended_at: datetime, status: str, client_id=None) -> InfusionEpisode:
    errors = {}
    not_in_future(ended_at, "ended_at", errors)
    if status not in InfusionEpisode.ENDED:
        errors["status"] = _("Choose how the infusion ended.")
    if episode.started_at is None or episode.status != InfusionEpisode.Status.IN_PROGRESS:
        errors["status"] = _("Only an infusion in progress can end.")
    elif ended_at <= episode.started_at:
        errors["ended_at"] = _("The end must come after the start.")
    if errors:
        raise ValidationError(errors)
    episode.ended_at, episode.status = ended_at, status
    episode.volume_infused_ml = episode_volume_estimate(episode)
    save_changed(
        episode, ["ended_at", "status", "volume_infused_ml"], patient_id=episode.patient_id, client_id=client_id
    )
    followups_materialise(episode=episode)
    _reminders_replan(episode)
    return episode


# A start is entered at most this long after it happened: a start typed with the wrong year would
# make the diary, the chart and the timings of the follow-up checks absurd, while a visit written
# up weeks later, or an infusion the patient forgot to log, must still go in.
EARLIEST_START = timedelta(days=90)
VOLUME_FIELD = InfusionEpisode._meta.get_field("volume_infused_ml")
VOLUME_MAX = Decimal(10 ** (VOLUME_FIELD.max_digits - VOLUME_FIELD.decimal_places)) - Decimal("0.1")


def episode_volume_estimate(episode: InfusionEpisode) -> Decimal | None:
    """mL given: each rate held until the next change or the end, minus the time paused. None when
    a mistyped rate makes it too large to be a volume (the rates stay in the diary for the nurse)."""
    changes = list(RateChange.objects.filter(episode=episode, deleted=False).order_by("at"))
    if not changes:
        return Decimal(0)
    pauses = list(Pause.objects.filter(episode=episode, deleted=False))
    total = Decimal(0)
    for current, following in zip(changes, [*changes[1:], None], strict=True):
        start, end = current.at, following.at if following else episode.ended_at
        seconds = Decimal((end - start).total_seconds())
        for pause in pauses:
            overlap_start = max(start, pause.paused_at)
            overlap_end = min(end, pause.resumed_at or episode.ended_at)
            if overlap_end > overlap_start:
                seconds -= Decimal((overlap_end - overlap_start).total_seconds())
        total += current.rate_ml_h * max(seconds, Decimal(0)) / 3600
    return total.quantize(Decimal("0.1")) if total <= VOLUME_MAX else None


# No immunoglobulin keeps for 10 years: an expiry further away is a typing slip (9999-12-31).
EXPIRY_YEARS_AHEAD = 10


def _vial_build(
    actor, episode, *, lot_number, expiry_date, vial_size_g, quantity=1, row_id=None, recorded_at=None, as_carer=False
) -> tuple[VialUsage, dict]:
    errors = {}
    lot_number = (lot_number or "").strip().upper()
    if error := lot_number_error(lot_number):
        errors["lot_number"] = error
    # The vial must be in date on the infusion's day where the patient is.
    infusion_day = timezone.localdate(episode.started_at or episode.scheduled_start, ZoneInfo(episode.patient.timezone))
    if expiry_date < infusion_day:
        errors["expiry_date"] = _("This vial had expired before the infusion day.")
    elif expiry_date.year > infusion_day.year + EXPIRY_YEARS_AHEAD:
        errors["expiry_date"] = _("That expiry date is years away. Check the date printed on the vial.")
    vial = _part_new(
        VialUsage,
        actor,
        episode,
        lot_number=lot_number,
        expiry_date=expiry_date,
        vial_size_g=vial_size_g,
        quantity=quantity,
        row_id=row_id,
        recorded_at=recorded_at,
        as_carer=as_carer,
    )
    return vial, errors


@transaction.atomic
def vial_add(
    *,
    actor,
    episode: InfusionEpisode,
    lot_number: str,
    expiry_date: date,
    vial_size_g: Decimal,
    quantity: int = 1,
    row_id=None,
    recorded_at=None,
    client_id=None,
    as_carer=False,
) -> VialUsage:
    vial, errors = _vial_build(
        actor,
        episode,
        lot_number=lot_number,
        expiry_date=expiry_date,
        vial_size_g=vial_size_g,
        quantity=quantity,
        row_id=row_id,
        recorded_at=recorded_at,
        as_carer=as_carer,
    )
    validate_row(vial, errors)
    save_new(vial, patient_id=episode.patient_id, client_id=client_id)
    return vial


@transaction.atomic
def rate_change_record(
    *,
    actor,
    episode: InfusionEpisode,
    at: datetime,
    rate_ml_h: Decimal,
    reason: str = RateChange.Reason.TITRATION,
    step_no: int | None = None,
    row_id=None,
    recorded_at=None,
    client_id=None,
    as_carer=False,
) -> RateChange:
    """Stores the pump value and derives the per-kg rates; a rate above the cap raises an urgent alert."""
    errors = {}
    not_in_future(at, "at", errors)
    _require_started(episode, at, "at", errors)
    rate_ml_h = Decimal(str(rate_ml_h))
    if not Decimal("0.1") <= rate_ml_h <= Decimal("1000"):
        errors["rate_ml_h"] = _("Enter the pump rate in mL/h, between 0.1 and 1000.")
    if errors:
        raise ValidationError(errors)
    plan = episode.plan
    if step_no is None:
        step_no = RateChange.objects.filter(episode=episode, deleted=False, at__lte=at).count() + 1
    cap_ml_h, cap_source = rate_cap(plan)
    derived = dosing.derived_rates(
        rate_ml_h=rate_ml_h, weight_kg=plan.rate_weight_kg, concentration_pct=plan.product.concentration_pct
    )
    change = _part_new(
        RateChange,
        actor,
        episode,
        at=at,
        rate_ml_h=rate_ml_h,
        step_no=step_no,
        reason=reason,
        weight_basis_kg=plan.rate_weight_kg,
        ml_kg_h=derived["ml_kg_h"],
        ml_kg_min=derived["ml_kg_min"],
        mg_kg_min=derived["mg_kg_min"],
        cap_ml_h=cap_ml_h,
        cap_source=cap_source,
        exceeds_cap=rate_ml_h > cap_ml_h,
        row_id=row_id,
        recorded_at=recorded_at,
        as_carer=as_carer,
    )
    validate_row(change, errors)
    save_new(change, patient_id=episode.patient_id, client_id=client_id)
    if change.exceeds_cap:
        alert_raise(
            patient=episode.patient,
            source=Alert.Source.RATE_CAP,
            level=AlertLevel.URGENT,
            rule_id="T40",
            episode=episode,
            at=timezone.now(),
        )
    return change


@transaction.atomic
def pause_start(
    *,
    actor,
    episode: InfusionEpisode,
    paused_at: datetime,
    reason: str = "",
    row_id=None,
    recorded_at=None,
    client_id=None,
    as_carer=False,
) -> Pause:
    errors = {}
    not_in_future(paused_at, "paused_at", errors)
    _require_started(episode, paused_at, "paused_at", errors)
    if Pause.objects.filter(episode=episode, resumed_at__isnull=True, deleted=False).exists():
        errors["paused_at"] = _("The infusion is already paused.")
    pause = _part_new(
        Pause,
        actor,
        episode,
        paused_at=paused_at,
        reason=reason[:200],
        row_id=row_id,
        recorded_at=recorded_at,
        as_carer=as_carer,
    )
    validate_row(pause, errors)
    save_new(pause, patient_id=episode.patient_id, client_id=client_id)
    return pause


@transaction.atomic
def pause_end(*, actor, pause: Pause, resumed_at: datetime, client_id=None) -> Pause:
    errors = {}
    not_in_future(resumed_at, "resumed_at", errors)
    if pause.resumed_at is not None:
        errors["resumed_at"] = _("This pause has already ended.")
    elif resumed_at <= pause.paused_at:
        errors["resumed_at"] = _("The infusion must resume after it was paused.")
    if errors:
        raise ValidationError(errors)
    pause.resumed_at = resumed_at
    save_changed(pause, ["resumed_at"], patient_id=pause.patient_id, client_id=client_id)
    return pause


def _medication_build(
    actor, episode, *, category, drug, dose, given_at, row_id=None, recorded_at=None, as_carer=False
) -> tuple[MedicationDose, dict]:
    errors = {}
    not_in_future(given_at, "given_at", errors)
    if not (drug or "").strip():
        errors["drug"] = _("Name the medicine.")
    medication = _part_new(
        MedicationDose,
        actor,
        episode,
        category=category,
        drug=(drug or "").strip(),
        dose=(dose or "").strip(),
        given_at=given_at,
        row_id=row_id,
        recorded_at=recorded_at,
        as_carer=as_carer,
    )
    return medication, errors


@transaction.atomic
def medication_record(
    *,
    actor,
    episode: InfusionEpisode,
    category: str,
    drug: str,
    dose: str,
    given_at: datetime,
    row_id=None,
    recorded_at=None,
    client_id=None,
    as_carer=False,
) -> MedicationDose:
    medication, errors = _medication_build(
        actor,
        episode,
        category=category,
        drug=drug,
        dose=dose,
        given_at=given_at,
        row_id=row_id,
        recorded_at=recorded_at,
        as_carer=as_carer,
    )
    validate_row(medication, errors)
    save_new(medication, patient_id=episode.patient_id, client_id=client_id)
    return medication


def _hydration_build(
    actor, episode, *, phase, volume_ml, logged_at, row_id=None, recorded_at=None, as_carer=False
) -> tuple[HydrationLog, dict]:
    errors = {}
    not_in_future(logged_at, "logged_at", errors)
    log = _part_new(
        HydrationLog,
        actor,
        episode,
        phase=phase,
        volume_ml=volume_ml,
        logged_at=logged_at,
        row_id=row_id,
        recorded_at=recorded_at,
        as_carer=as_carer,
    )
    return log, errors


@transaction.atomic
def hydration_record(
    *,
    actor,
    episode: InfusionEpisode,
    phase: str,
    volume_ml: int,
    logged_at: datetime,
    row_id=None,
    recorded_at=None,
    client_id=None,
    as_carer=False,
) -> HydrationLog:
    log, errors = _hydration_build(
        actor,
        episode,
        phase=phase,
        volume_ml=volume_ml,
        logged_at=logged_at,
        row_id=row_id,
        recorded_at=recorded_at,
        as_carer=as_carer,
    )
    validate_row(log, errors)
    save_new(log, patient_id=episode.patient_id, client_id=client_id)
    return log


def _vitals_build(
    actor,
    episode,
    *,
    measured_at,
    temperature_c=None,
    heart_rate=None,
    systolic=None,
    diastolic=None,
    row_id=None,
    recorded_at=None,
    as_carer=False,
) -> tuple[VitalSigns, dict]:
    errors = {}
    not_in_future(measured_at, "measured_at", errors)
    if systolic is not None and diastolic is not None and diastolic >= systolic:
        errors["diastolic"] = _("The lower blood pressure number must be below the upper one.")
    vitals = _part_new(
        VitalSigns,
        actor,
        episode,
        measured_at=measured_at,
        temperature_c=temperature_c,
        heart_rate=heart_rate,
        systolic=systolic,
        diastolic=diastolic,
        row_id=row_id,
        recorded_at=recorded_at,
        as_carer=as_carer,
    )
    return vitals, errors


@transaction.atomic
def vitals_record(
    *,
    actor,
    episode: InfusionEpisode,
    measured_at: datetime,
    temperature_c=None,
    heart_rate=None,
    systolic=None,
    diastolic=None,
    row_id=None,
    recorded_at=None,
    client_id=None,
    as_carer=False,
) -> VitalSigns:
    vitals, errors = _vitals_build(
        actor,
        episode,
        measured_at=measured_at,
        temperature_c=temperature_c,
        heart_rate=heart_rate,
        systolic=systolic,
        diastolic=diastolic,
        row_id=row_id,
        recorded_at=recorded_at,
        as_carer=as_carer,
    )
    validate_row(vitals, errors)
    save_new(vitals, patient_id=episode.patient_id, client_id=client_id)
    return vitals


@dataclass(frozen=True)
class DiaryEntry:
    """One new vial, medicine, drink or set of vital signs for `diary_entries_record`."""

    kind: str  # a key of ENTRY_BUILDERS
    episode: InfusionEpisode
    fields: dict
    row_id: object = None
    recorded_at: object = None


@dataclass(frozen=True)
class DiaryChange:
    """For `diary_entries_record`: corrections of draft fields of an existing vial, medicine, drink or
    vital-signs row (read with its infusion), or its deletion when `changes` is None."""

    row: object
    changes: dict | None


ENTRY_BUILDERS = {
    "vial": _vial_build,
    "medication": _medication_build,
    "hydration": _hydration_build,
    "vitals": _vitals_build,
}


def _entry_row(actor, entry: DiaryEntry | DiaryChange):
    """(the row to save, the fields it changes, or None for a new row), checked as the service for
    that one entry checks it (vial_add, ..., diary_part_update, diary_row_delete); or (the row,
    ()) for a deletion of a row already deleted, which has nothing to save."""
    if isinstance(entry, DiaryEntry):
        row, errors = ENTRY_BUILDERS[entry.kind](
            actor, entry.episode, row_id=entry.row_id, recorded_at=entry.recorded_at, **entry.fields
        )
        validate_row(row, errors)
        return row, None
    row = entry.row
    if type(row) not in DRAFT_FIELDS:  # an infusion's own deletion has more to check: diary_row_delete
        raise TypeError(f"diary_entries_record changes vials, medicines, drinks and vital signs, not {row!r}")
    if entry.changes is None:
        _deletable(row.episode)
        if row.deleted:
            return row, ()
        row.deleted = True
        return row, ["deleted"]
    validate_row(row, _part_change(row, entry.changes))
    return row, list(entry.changes)


@transaction.atomic
def diary_entries_record(*, actor, entries: list[DiaryEntry | DiaryChange], client_id=None) -> list:
    """Many diary entries at once (a sync push from a phone that was offline): new entries, and
    corrections and deletions of draft ones.

    Each entry is checked exactly as its own service checks it (vial_add, medication_record,
    hydration_record, vitals_record, diary_part_update, diary_row_delete). Returns one outcome per
    entry, in order: the saved row, or the ValidationError that kept it out. The rows to save get
    their scope versions in one bump per patient, in the order of `entries`, and are written with
    one INSERT and one UPDATE per kind, so the work in SQL does not grow with the number of entries.
    """
    outcomes, valid = [], []
    for entry in entries:
        try:
            row, fields = _entry_row(actor, entry)
        except ValidationError as error:
            outcomes.append(error)
            continue
        outcomes.append(row)
        if fields != ():  # () is the deletion of a row already deleted: nothing to save
            valid.append((row, fields))
    save_many(valid, client_id=client_id)
    return outcomes


@transaction.atomic
def episode_reschedule(
    *, actor, episode: InfusionEpisode, scheduled_start: datetime, course_day: int, client_id=None
) -> InfusionEpisode:
    errors = {}
    if episode.status != InfusionEpisode.Status.PLANNED:
        errors["scheduled_start"] = _("Only a planned infusion can be moved.")
    if not 1 <= course_day <= episode.plan.course_days:
        errors["course_day"] = _("This plan has %(n)s course days.") % {"n": episode.plan.course_days}
    if errors:
        raise ValidationError(errors)
    episode.scheduled_start, episode.course_day = scheduled_start, course_day
    save_changed(episode, ["scheduled_start", "course_day"], patient_id=episode.patient_id, client_id=client_id)
    _reminders_replan(episode)
    return episode


# Parts of an infusion that may be corrected field by field while the infusion is still open.
DRAFT_FIELDS = {
    VialUsage: ["lot_number", "expiry_date", "vial_size_g", "quantity"],
    MedicationDose: ["category", "drug", "dose", "given_at"],
    HydrationLog: ["phase", "volume_ml", "logged_at"],
    VitalSigns: ["measured_at", "temperature_c", "heart_rate", "systolic", "diastolic"],
}


def is_submitted(episode: InfusionEpisode) -> bool:
    """Once an infusion has ended its record is append-only: corrections become amendments."""
    return episode.status in InfusionEpisode.ENDED or episode.status == InfusionEpisode.Status.DEFERRED


def _part_change(row, changes: dict) -> dict:
    """Puts draft-field corrections on a vial, medicine, drink or vital-signs row in memory; returns
    the errors that keep them out (validate_row adds the field checks)."""
    errors = {}
    if is_submitted(row.episode):
        errors["episode"] = _("This infusion is finished: send an amendment instead.")
    unknown = set(changes) - set(DRAFT_FIELDS.get(type(row), []))
    if unknown:
        errors[sorted(unknown)[0]] = _("This field cannot be changed.")
    if errors:
        raise ValidationError(errors)
    for field, value in changes.items():
        setattr(row, field, value)
    if isinstance(row, VialUsage):
        row.lot_number = (row.lot_number or "").strip().upper()
        if error := lot_number_error(row.lot_number):
            errors["lot_number"] = error
    return errors


@transaction.atomic
def diary_part_update(*, actor, row, changes: dict, client_id=None):
    """Corrects draft fields of a vial, medicine, drink or vital-signs entry of an open infusion."""
    errors = _part_change(row, changes)
    validate_row(row, errors)
    save_changed(row, list(changes), patient_id=row.patient_id, client_id=client_id)
    return row


def _deletable(episode) -> None:
    if is_submitted(episode):
        raise ValidationError({"episode": _("This infusion is finished: send an amendment instead.")})


@transaction.atomic
def diary_row_delete(*, actor, row, client_id=None):
    """Deletes an entry of an open infusion as a tombstone (it syncs as a deletion)."""
    episode = row if isinstance(row, InfusionEpisode) else row.episode
    if isinstance(row, InfusionEpisode) and row.status != InfusionEpisode.Status.PLANNED:
        raise ValidationError({"status": _("Only an infusion that has not started can be deleted.")})
    _deletable(episode)
    if row.deleted:
        return row
    row.deleted = True
    save_changed(row, ["deleted"], patient_id=row.patient_id, client_id=client_id)
    if isinstance(row, InfusionEpisode):
        _reminders_replan(row)
    return row


@transaction.atomic
def amendment_record(
    *,
    actor,
    patient: Patient,
    target,
    changes: dict,
    reason: str = "",
    row_id=None,
    recorded_at=None,
    client_id=None,
    as_carer=False,
):
    from ivigapp.reactions.models import Amendment

    errors = {}
    if target is None or target.patient_id != patient.pk:
        errors["target_id"] = _("Choose an entry of this diary.")
    if not isinstance(changes, dict) or not changes or len(str(changes)) > 4000:
        errors["changes"] = _("Say what should change.")
    if errors:
        raise ValidationError(errors)
    amendment = Amendment(
        patient=patient,
        target_table=target._meta.model_name,
        target_id=target.pk,
        changes=changes,
        reason=(reason or "")[:500],
        recorded_at=recorded_at,
        entered_by=entered_by_for(actor, as_carer=as_carer),
        entered_by_user=actor,
        **({"id": row_id} if row_id else {}),
    )
    save_new(amendment, patient_id=patient.pk, client_id=client_id)
    return amendment
