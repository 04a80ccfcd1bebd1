from ivigapp.reactions.models.alerts import LEVEL_RANK, Alert, AlertEscalation, AlertLevel, AlertNote, ReactionReview
from ivigapp.reactions.models.diary import (
    Amendment,
    EnteredBy,
    HydrationLog,
    InfusionEpisode,
    MedicationDose,
    Pause,
    RateChange,
    VialUsage,
    VitalSigns,
)
from ivigapp.reactions.models.plans import Plan
from ivigapp.reactions.models.reports import (
    ACTIONS,
    PAIN_SYMPTOMS,
    RED_FLAGS,
    SYMPTOMS,
    FollowUpCheck,
    SymptomReport,
    TriageDecision,
)

__all__ = [
    "ACTIONS",
    "Amendment",
    "LEVEL_RANK",
    "PAIN_SYMPTOMS",
    "RED_FLAGS",
    "SYMPTOMS",
    "Alert",
    "AlertEscalation",
    "AlertLevel",
    "AlertNote",
    "EnteredBy",
    "FollowUpCheck",
    "HydrationLog",
    "InfusionEpisode",
    "MedicationDose",
    "Pause",
    "Plan",
    "RateChange",
    "ReactionReview",
    "SymptomReport",
    "TriageDecision",
    "VialUsage",
    "VitalSigns",
]
