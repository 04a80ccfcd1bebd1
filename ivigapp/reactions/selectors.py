"""Reads of the clinical record. Callers pass a patient already returned by the access module."""

from datetime import UTC, datetime, timedelta

from django.db.models import (
    Case,
    Count,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from ivigapp.patients.access import patients_for, patients_for_lot_recall
from ivigapp.patients.models import Patient
from ivigapp.protocols.models import ApprovalStatus, RateProtocol
from ivigapp.reactions.models import (
    LEVEL_RANK,
    Alert,
    AlertNote,
    FollowUpCheck,
    HydrationLog,
    InfusionEpisode,
    MedicationDose,
    Pause,
    Plan,
    RateChange,
    ReactionReview,
    SymptomReport,
    VialUsage,
    VitalSigns,
)
from ivigapp.sync.models import SyncClient


def episodes_with_reports(patient: Patient) -> QuerySet[InfusionEpisode]:
    """A patient's infusions, newest first, with their rate log, vials and reports (4 queries)."""
    return (
        InfusionEpisode.objects.filter(patient=patient, deleted=False)
        .select_related("plan__product")
        .prefetch_related(
            Prefetch(
                "ratechange_set", queryset=RateChange.objects.filter(deleted=False).order_by("at"), to_attr="rates"
            ),
            Prefetch("vialusage_set", queryset=VialUsage.objects.filter(deleted=False), to_attr="vials"),
            Prefetch(
                "reports",
                queryset=SymptomReport.objects.filter(deleted=False).select_related("decision").order_by("onset_at"),
                to_attr="report_list",
            ),
        )
        # Newest first by when it started: one started early keeps the later day it was planned for.
        .order_by(Coalesce("started_at", "scheduled_start").desc())
    )


def alert_queue(user) -> QuerySet[Alert]:
    """Open alerts of the user's patients: emergencies and urgent first, then by deadline."""
    rank = Case(*[When(level=level, then=Value(r)) for level, r in LEVEL_RANK.items()], output_field=IntegerField())
    return (
        Alert.objects.filter(patient__in=patients_for(user), resolved_at__isnull=True, deleted=False)
        .select_related("patient", "report__decision", "owner", "acknowledged_by")
        .prefetch_related(Prefetch("notes", queryset=AlertNote.objects.select_related("author")))
        .annotate(rank=rank)
        .order_by("-rank", "deadline_at")
    )


def newer_rate_protocol(protocol: RateProtocol) -> RateProtocol | None:
    """The version of the same use published after `protocol`, if `protocol` is no longer the one in
    use (a plan keeps the version it was prescribed with until it is prescribed again)."""
    if protocol.status == ApprovalStatus.PUBLISHED:
        return None
    return RateProtocol.objects.filter(
        **protocol.use(), status=ApprovalStatus.PUBLISHED, version__gt=protocol.version
    ).first()


def patient_alerts(patient: Patient, limit: int = 20) -> list[Alert]:
    """One patient's latest alerts, open and resolved, with who acknowledged and resolved them and
    the notes: the history a nurse needs at handover. Three queries however many alerts and notes."""
    return list(
        Alert.objects.filter(patient=patient, deleted=False)
        .select_related("acknowledged_by", "resolved_by")
        .prefetch_related(Prefetch("notes", queryset=AlertNote.objects.filter(deleted=False).select_related("author")))
        .order_by("-created_at")[:limit]
    )


def nurse_patient_rows(user, *, sort: str = "name") -> list[Patient]:
    """The nurse's patients with last sync, open alerts, next infusion and missed checks, in one
    query however many patients (each figure is a correlated subquery)."""
    now = timezone.now()
    last_sync = SyncClient.objects.filter(user_id=OuterRef("user_id")).order_by("-last_seen_at")
    open_alerts = (
        Alert.objects.filter(patient=OuterRef("pk"), resolved_at__isnull=True, deleted=False)
        .values("patient")
        .annotate(n=Count("pk"))
        .values("n")
    )
    next_infusion = InfusionEpisode.objects.filter(
        patient=OuterRef("pk"), status=InfusionEpisode.Status.PLANNED, scheduled_start__gte=now, deleted=False
    ).order_by("scheduled_start")
    last_start = InfusionEpisode.objects.filter(
        patient=OuterRef("pk"), started_at__isnull=False, deleted=False
    ).order_by("-started_at")
    interval = Plan.objects.filter(patient=OuterRef("pk"), active=True).order_by("-created_at")
    missed = (
        FollowUpCheck.objects.filter(patient=OuterRef("pk"), missed_at__isnull=False, deleted=False)
        .values("patient")
        .annotate(n=Count("pk"))
        .values("n")
    )
    rows = (
        patients_for(user)
        .select_related("risk_profile", "region")
        .annotate(
            last_synced_at=Subquery(last_sync.values("last_seen_at")[:1]),
            open_alerts=Coalesce(Subquery(open_alerts[:1]), 0),
            next_infusion_at=Subquery(next_infusion.values("scheduled_start")[:1]),
            last_started_at=Subquery(last_start.values("started_at")[:1]),
            interval_days=Subquery(interval.values("interval_days")[:1]),
            missed_checks=Coalesce(Subquery(missed[:1]), 0),
        )
    )
    orderings = {
        "name": ["display_name"],
        "last_synced": [F("last_synced_at").asc(nulls_first=True), "display_name"],
        "open_alerts": ["-open_alerts", "display_name"],
        "next_infusion": ["display_name"],  # then by the date shown, below
        "missed_checks": ["-missed_checks", "display_name"],
    }
    patients = list(rows.order_by(*orderings.get(sort, orderings["name"])))
    for patient in patients:
        patient.synced_just_now = bool(patient.last_synced_at and now - patient.last_synced_at < timedelta(minutes=1))
        # With nothing planned, when the plan's interval says the next infusion is due (the patient's
        # app shows the same date), so the nurse sees who is due and has no infusion booked.
        patient.next_due_at = (
            patient.last_started_at + timedelta(days=patient.interval_days)
            if patient.next_infusion_at is None and patient.last_started_at and patient.interval_days
            else None
        )
    if sort == "next_infusion":
        never = datetime.max.replace(tzinfo=UTC)
        patients.sort(key=lambda p: p.next_infusion_at or p.next_due_at or never)
    return patients


def patient_reactions(patient: Patient) -> list[SymptomReport]:
    return list(
        SymptomReport.objects.filter(patient=patient, deleted=False)
        .select_related("decision", "episode__plan__product")
        .prefetch_related(Prefetch("reviews", queryset=ReactionReview.objects.order_by("-reviewed_at")))
        .order_by("-onset_at")
    )


def episode_timeline(episode: InfusionEpisode) -> dict:
    """Everything the timeline chart and its table need, in time order."""
    return {
        "rates": list(RateChange.objects.filter(episode=episode, deleted=False).order_by("at")),
        "pauses": list(Pause.objects.filter(episode=episode, deleted=False).order_by("paused_at")),
        "medicines": list(MedicationDose.objects.filter(episode=episode, deleted=False).order_by("given_at")),
        "drinks": list(HydrationLog.objects.filter(episode=episode, deleted=False).order_by("logged_at")),
        "reports": list(
            SymptomReport.objects.filter(episode=episode, deleted=False).select_related("decision").order_by("onset_at")
        ),
        "vials": list(VialUsage.objects.filter(episode=episode, deleted=False)),
        "vitals": list(VitalSigns.objects.filter(episode=episode, deleted=False).order_by("measured_at")),
    }


def lot_recall(user, lot_number: str) -> list[VialUsage]:
    return list(
        VialUsage.objects.filter(
            patient__in=patients_for_lot_recall(user), lot_number=lot_number.strip().upper(), deleted=False
        )
        .select_related("patient", "episode__plan__product")
        .order_by("patient__display_name", "episode__started_at")
    )
