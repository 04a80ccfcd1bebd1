"""Reads of the clinical record. Callers pass a patient already returned by the access module."""

from django.db.models import Prefetch, QuerySet

from ivigapp.patients.models import Patient
from ivigapp.reactions.models import InfusionEpisode, RateChange, SymptomReport, VialUsage


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
        .order_by("-scheduled_start")
    )
