"""Every write to the clinical record goes through one of these functions: the sync API, the
nurse pages, the admin, tasks and demo seeding all call them."""

from ivigapp.reactions.services.alerts import (
    alert_acknowledge,
    alert_annotate,
    alert_raise,
    alert_resolve,
    alerts_escalate_due,
    reaction_review_record,
)
from ivigapp.reactions.services.diary import (
    ENTRY_BUILDERS,
    DiaryChange,
    DiaryEntry,
    amendment_record,
    diary_entries_record,
    diary_part_update,
    diary_row_delete,
    episode_end,
    episode_readiness_record,
    episode_reschedule,
    episode_schedule,
    episode_start,
    hydration_record,
    medication_record,
    pause_end,
    pause_start,
    rate_change_record,
    vial_add,
    vitals_record,
)
from ivigapp.reactions.services.followups import followups_mark_missed, followups_materialise
from ivigapp.reactions.services.plans import plan_check, plan_create, rate_cap
from ivigapp.reactions.services.reports import symptom_report_submit

__all__ = [
    "ENTRY_BUILDERS",
    "DiaryChange",
    "DiaryEntry",
    "amendment_record",
    "diary_entries_record",
    "diary_part_update",
    "diary_row_delete",
    "episode_reschedule",
    "reaction_review_record",
    "alert_acknowledge",
    "alert_annotate",
    "alert_raise",
    "alert_resolve",
    "alerts_escalate_due",
    "episode_end",
    "episode_readiness_record",
    "episode_schedule",
    "episode_start",
    "followups_mark_missed",
    "followups_materialise",
    "hydration_record",
    "medication_record",
    "pause_end",
    "pause_start",
    "plan_check",
    "plan_create",
    "rate_cap",
    "rate_change_record",
    "symptom_report_submit",
    "vial_add",
    "vitals_record",
]
