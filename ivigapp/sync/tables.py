"""The syncable tables: what a pull sends of each row, and how a pushed mutation is applied.

Only tables and fields named here can be written; everything a client sends is parsed by an
explicit serializer and then handed to the clinical services, never saved directly.
"""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from rest_framework import serializers

from ivigapp.reactions import services
from ivigapp.reactions.models import (
    Alert,
    AlertNote,
    Amendment,
    FollowUpCheck,
    HydrationLog,
    InfusionEpisode,
    MedicationDose,
    Pause,
    Plan,
    RateChange,
    SymptomReport,
    TriageDecision,
    VialUsage,
    VitalSigns,
)
from ivigapp.sync.models import SyncConflict

PATIENT, NURSE = "patient", "nurse"


# Input serializers: one per table for creation, typed fields for updates.
class EpisodeCreate(serializers.Serializer):
    plan_id = serializers.IntegerField()
    scheduled_start = serializers.DateTimeField()
    course_day = serializers.IntegerField(default=1, min_value=1)


class EpisodeUpdate(serializers.Serializer):
    scheduled_start = serializers.DateTimeField(required=False)
    course_day = serializers.IntegerField(required=False, min_value=1)
    hydrated = serializers.BooleanField(required=False, allow_null=True)
    premeds_taken = serializers.BooleanField(required=False, allow_null=True)
    premeds_taken_at = serializers.DateTimeField(required=False, allow_null=True)
    weight_kg = serializers.DecimalField(max_digits=5, decimal_places=1, required=False, allow_null=True)
    fever_or_infection = serializers.BooleanField(required=False, allow_null=True)
    anaphylaxis_kit_present = serializers.BooleanField(required=False, allow_null=True)
    started_at = serializers.DateTimeField(required=False)
    ended_at = serializers.DateTimeField(required=False)
    status = serializers.ChoiceField(choices=InfusionEpisode.Status.choices, required=False)


class PartOfEpisode(serializers.Serializer):
    episode_id = serializers.UUIDField()


class VialCreate(PartOfEpisode):
    lot_number = serializers.CharField(max_length=40)
    expiry_date = serializers.DateField()
    vial_size_g = serializers.DecimalField(max_digits=5, decimal_places=1)
    quantity = serializers.IntegerField(default=1, min_value=1, max_value=50)


class VialUpdate(serializers.Serializer):
    lot_number = serializers.CharField(max_length=40, required=False)
    expiry_date = serializers.DateField(required=False)
    vial_size_g = serializers.DecimalField(max_digits=5, decimal_places=1, required=False)
    quantity = serializers.IntegerField(min_value=1, max_value=50, required=False)


class RateChangeCreate(PartOfEpisode):
    at = serializers.DateTimeField()
    rate_ml_h = serializers.DecimalField(max_digits=6, decimal_places=1)
    reason = serializers.ChoiceField(choices=RateChange.Reason.choices, default=RateChange.Reason.TITRATION)
    step_no = serializers.IntegerField(required=False, min_value=1, max_value=50)


class PauseCreate(PartOfEpisode):
    paused_at = serializers.DateTimeField()
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class PauseUpdate(serializers.Serializer):
    resumed_at = serializers.DateTimeField()


class MedicationCreate(PartOfEpisode):
    category = serializers.ChoiceField(choices=MedicationDose.Category.choices)
    drug = serializers.CharField(max_length=100)
    dose = serializers.CharField(max_length=40, allow_blank=True, default="")
    given_at = serializers.DateTimeField()


class MedicationUpdate(serializers.Serializer):
    category = serializers.ChoiceField(choices=MedicationDose.Category.choices, required=False)
    drug = serializers.CharField(max_length=100, required=False)
    dose = serializers.CharField(max_length=40, allow_blank=True, required=False)
    given_at = serializers.DateTimeField(required=False)


class HydrationCreate(PartOfEpisode):
    phase = serializers.ChoiceField(choices=HydrationLog.Phase.choices)
    volume_ml = serializers.IntegerField(min_value=1, max_value=5000)
    logged_at = serializers.DateTimeField()


class HydrationUpdate(serializers.Serializer):
    phase = serializers.ChoiceField(choices=HydrationLog.Phase.choices, required=False)
    volume_ml = serializers.IntegerField(min_value=1, max_value=5000, required=False)
    logged_at = serializers.DateTimeField(required=False)


class VitalsCreate(PartOfEpisode):
    measured_at = serializers.DateTimeField()
    temperature_c = serializers.DecimalField(
        max_digits=4, decimal_places=1, required=False, allow_null=True, default=None
    )
    heart_rate = serializers.IntegerField(required=False, allow_null=True, default=None)
    systolic = serializers.IntegerField(required=False, allow_null=True, default=None)
    diastolic = serializers.IntegerField(required=False, allow_null=True, default=None)


class VitalsUpdate(serializers.Serializer):
    measured_at = serializers.DateTimeField(required=False)
    temperature_c = serializers.DecimalField(max_digits=4, decimal_places=1, required=False, allow_null=True)
    heart_rate = serializers.IntegerField(required=False, allow_null=True)
    systolic = serializers.IntegerField(required=False, allow_null=True)
    diastolic = serializers.IntegerField(required=False, allow_null=True)


class SymptomReportCreate(serializers.Serializer):
    episode_id = serializers.UUIDField(required=False, allow_null=True, default=None)
    followup_id = serializers.UUIDField(required=False, allow_null=True, default=None)
    onset_at = serializers.DateTimeField()
    red_flag_answers = serializers.DictField(
        child=serializers.BooleanField(allow_null=True),
        help_text="Every red-flag code, answered true or false; null for a question left unanswered, allowed only "
        "beside a true answer (the app shows the emergency advice at once and lets the report go).",
    )
    symptoms = serializers.DictField(child=serializers.DictField(), required=False, default=dict)
    temperature_c = serializers.DecimalField(
        max_digits=4, decimal_places=1, required=False, allow_null=True, default=None
    )
    systolic = serializers.IntegerField(required=False, allow_null=True, default=None)
    actions_taken = serializers.ListField(child=serializers.CharField(max_length=30), required=False, default=list)
    free_text = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class AmendmentCreate(serializers.Serializer):
    target_table = serializers.CharField(max_length=40)
    target_id = serializers.UUIDField()
    changes = serializers.DictField()
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class AlertNoteCreate(serializers.Serializer):
    alert_id = serializers.UUIDField()
    text = serializers.CharField(max_length=2000)


class AlertUpdate(serializers.Serializer):
    acknowledged = serializers.BooleanField(required=False)
    resolution = serializers.ChoiceField(choices=Alert.Resolution.choices, required=False)


class ConflictUpdate(serializers.Serializer):
    resolved = serializers.BooleanField()


@dataclass(frozen=True)
class Table:
    name: str
    model: type
    fields: tuple[str, ...]
    writer: str | None = None  # who may push to it; None means pull only
    create: type | None = None
    update: type | None = None
    deletable: bool = False
    extra: dict = field(default_factory=dict)


EPISODE_FIELDS = (
    "plan_id",
    "course_day",
    "scheduled_start",
    "started_at",
    "ended_at",
    "status",
    "hydrated",
    "premeds_taken",
    "premeds_taken_at",
    "weight_kg",
    "fever_or_infection",
    "anaphylaxis_kit_present",
    "readiness_recorded_at",
    "volume_infused_ml",
)
PART = ("episode_id",)
COMMON = ("patient_id", "entered_by", "recorded_at", "received_at")

TABLES = {
    t.name: t
    for t in [
        Table(
            "infusion_episode",
            InfusionEpisode,
            COMMON + EPISODE_FIELDS,
            PATIENT,
            EpisodeCreate,
            EpisodeUpdate,
            deletable=True,
        ),
        Table(
            "vial",
            VialUsage,
            COMMON + PART + ("lot_number", "expiry_date", "vial_size_g", "quantity"),
            PATIENT,
            VialCreate,
            VialUpdate,
            deletable=True,
        ),
        Table(
            "rate_change",
            RateChange,
            COMMON
            + PART
            + (
                "at",
                "rate_ml_h",
                "step_no",
                "reason",
                "ml_kg_h",
                "ml_kg_min",
                "mg_kg_min",
                "cap_ml_h",
                "cap_source",
                "exceeds_cap",
            ),
            PATIENT,
            RateChangeCreate,
            deletable=True,
        ),
        Table(
            "pause",
            Pause,
            COMMON + PART + ("paused_at", "resumed_at", "reason"),
            PATIENT,
            PauseCreate,
            PauseUpdate,
            deletable=True,
        ),
        Table(
            "medication",
            MedicationDose,
            COMMON + PART + ("category", "drug", "dose", "given_at"),
            PATIENT,
            MedicationCreate,
            MedicationUpdate,
            deletable=True,
        ),
        Table(
            "hydration",
            HydrationLog,
            COMMON + PART + ("phase", "volume_ml", "logged_at"),
            PATIENT,
            HydrationCreate,
            HydrationUpdate,
            deletable=True,
        ),
        Table(
            "vitals",
            VitalSigns,
            COMMON + PART + ("measured_at", "temperature_c", "heart_rate", "systolic", "diastolic"),
            PATIENT,
            VitalsCreate,
            VitalsUpdate,
            deletable=True,
        ),
        Table(
            "symptom_report",
            SymptomReport,
            COMMON
            + (
                "episode_id",
                "onset_at",
                "phase",
                "context",
                "minutes_since_start",
                "hours_after_end",
                "rate_step_at_onset",
                "rate_at_onset_ml_h",
                "red_flag_answers",
                "symptoms",
                "temperature_c",
                "systolic",
                "actions_taken",
                "free_text",
            ),
            PATIENT,
            SymptomReportCreate,
        ),
        Table(
            "amendment",
            Amendment,
            COMMON + ("target_table", "target_id", "changes", "reason"),
            PATIENT,
            AmendmentCreate,
        ),
        Table(
            "triage_decision",
            TriageDecision,
            (
                "report_id",
                "ruleset_version",
                "primary_rule_id",
                "rule_ids",
                "level",
                "red_flag",
                "advice",
                "content_version",
                "language",
                "decided_at",
            ),
        ),
        Table(
            "followup_check",
            FollowUpCheck,
            ("patient_id", "episode_id", "kind", "due_at", "window_ends_at", "completed_at", "report_id", "missed_at"),
        ),
        Table(
            "alert",
            Alert,
            (
                "patient_id",
                "source",
                "report_id",
                "episode_id",
                "rule_id",
                "level",
                "created_at",
                "deadline_at",
                "acknowledged_at",
                "resolved_at",
                "resolution",
            ),
            NURSE,
            None,
            AlertUpdate,
        ),
        Table("alert_note", AlertNote, ("alert_id", "text", "created_at"), NURSE, AlertNoteCreate),
        Table(
            "sync_conflict",
            SyncConflict,
            ("table_name", "row_id", "field", "base_value", "kept_value", "other_value", "created_at", "resolved_at"),
            PATIENT,  # the patient (or their nurse) settles it once a value is chosen
            None,
            ConflictUpdate,
        ),
    ]
}
MODEL_TABLE = {t.model: t for t in TABLES.values()}


class Context:
    """Who is pushing, for which patient, from which device."""

    def __init__(self, *, user, patient, client_id, recorded_at):
        self.user, self.patient, self.client_id, self.recorded_at = user, patient, client_id, recorded_at

    def common(self, row_id) -> dict:
        return {"actor": self.user, "row_id": row_id, "recorded_at": self.recorded_at, "client_id": self.client_id}


def _episode(ctx: Context, episode_id) -> InfusionEpisode:
    episode = InfusionEpisode.objects.filter(pk=episode_id, patient=ctx.patient, deleted=False).first()
    if episode is None:
        raise ValidationError({"episode_id": _("No such infusion in this diary.")})
    return episode


def create_row(table: Table, ctx: Context, row_id, data: dict):
    """Creates through the clinical service for the table."""
    common = ctx.common(row_id)
    name = table.name
    if name == "infusion_episode":
        plan = Plan.objects.filter(pk=data["plan_id"], patient=ctx.patient).first()
        if plan is None:
            raise ValidationError({"plan_id": _("Choose one of this patient's plans.")})
        return services.episode_schedule(
            patient=ctx.patient,
            plan=plan,
            scheduled_start=data["scheduled_start"],
            course_day=data["course_day"],
            **common,
        )
    if name == "symptom_report":
        episode = _episode(ctx, data["episode_id"]) if data["episode_id"] else None
        followup = None
        if data["followup_id"]:
            followup = FollowUpCheck.objects.filter(pk=data["followup_id"], patient=ctx.patient).first()
            if followup is None:
                raise ValidationError({"followup_id": _("No such check in this diary.")})
        return services.symptom_report_submit(
            patient=ctx.patient,
            episode=episode,
            followup=followup,
            onset_at=data["onset_at"],
            red_flag_answers=data["red_flag_answers"],
            symptoms=data["symptoms"],
            temperature_c=data["temperature_c"],
            systolic=data["systolic"],
            actions_taken=data["actions_taken"],
            free_text=data["free_text"],
            **common,
        )
    if name == "amendment":
        target_table = TABLES.get(data["target_table"])
        target = None
        if target_table is not None and target_table.writer == PATIENT:
            target = target_table.model.objects.filter(pk=data["target_id"], patient=ctx.patient).first()
        return services.amendment_record(
            patient=ctx.patient, target=target, changes=data["changes"], reason=data["reason"], **common
        )
    if name == "alert_note":
        alert = Alert.objects.filter(pk=data["alert_id"], patient=ctx.patient).first()
        if alert is None:
            raise ValidationError({"alert_id": _("No such alert for this patient.")})
        return services.alert_annotate(
            actor=ctx.user, alert=alert, text=data["text"], row_id=row_id, client_id=ctx.client_id
        )
    episode = _episode(ctx, data.pop("episode_id"))
    creators = {
        "vial": services.vial_add,
        "rate_change": services.rate_change_record,
        "pause": services.pause_start,
        "medication": services.medication_record,
        "hydration": services.hydration_record,
        "vitals": services.vitals_record,
    }
    return creators[name](episode=episode, **data, **common)


READINESS = (
    "hydrated",
    "premeds_taken",
    "premeds_taken_at",
    "weight_kg",
    "fever_or_infection",
    "anaphylaxis_kit_present",
)


def update_row(table: Table, ctx: Context, row, changes: dict):
    """Applies merged field changes through the service that owns that transition."""
    actor, client_id = ctx.user, ctx.client_id
    if table.name == "infusion_episode":
        if "started_at" in changes and row.started_at is None:
            services.episode_start(
                actor=actor,
                episode=row,
                started_at=changes["started_at"],
                recorded_at=parse_datetime(ctx.recorded_at) if ctx.recorded_at else None,  # sent as ISO 8601
                client_id=client_id,
            )
        if {"scheduled_start", "course_day"} & set(changes):
            services.episode_reschedule(
                actor=actor,
                episode=row,
                scheduled_start=changes.get("scheduled_start", row.scheduled_start),
                course_day=changes.get("course_day", row.course_day),
                client_id=client_id,
            )
        if set(READINESS) & set(changes):
            values = {name: changes.get(name, getattr(row, name)) for name in READINESS}
            services.episode_readiness_record(actor=actor, episode=row, client_id=client_id, **values)
        if "ended_at" in changes or changes.get("status") in InfusionEpisode.ENDED:
            services.episode_end(
                actor=actor,
                episode=row,
                ended_at=changes.get("ended_at") or row.ended_at,
                status=changes.get("status", row.status),
                client_id=client_id,
            )
        unhandled = set(changes) - {"started_at", "scheduled_start", "course_day", "ended_at", "status", *READINESS}
        if unhandled or ("started_at" in changes and row.started_at != changes["started_at"]):
            raise ValidationError({sorted(unhandled or {"started_at"})[0]: _("This change is not possible now.")})
        return row
    if table.name == "sync_conflict":
        if not changes["resolved"]:
            raise ValidationError({"resolved": _("A settled conflict stays settled.")})
        from ivigapp.sync.services import conflict_resolve  # services reads TABLES

        return conflict_resolve(actor=actor, conflict=row, client_id=client_id)
    if table.name == "pause":
        return services.pause_end(actor=actor, pause=row, resumed_at=changes["resumed_at"], client_id=client_id)
    if table.name == "alert":
        if changes.get("resolution"):
            return services.alert_resolve(actor=actor, alert=row, resolution=changes["resolution"])
        if changes.get("acknowledged"):
            return services.alert_acknowledge(actor=actor, alert=row)
        return row
    return services.diary_part_update(actor=actor, row=row, changes=changes, client_id=client_id)


def current_value(table: Table, row, name: str):
    """The row's value of a field, comparable with a parsed pushed value."""
    if table.name == "alert" and name == "acknowledged":
        return row.acknowledged_at is not None
    if table.name == "sync_conflict" and name == "resolved":
        return row.resolved_at is not None
    return getattr(row, name)
