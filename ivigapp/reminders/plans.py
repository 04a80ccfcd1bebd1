"""Writes to reminder plans: a new version as a draft, then the sign-off every kind of clinical
content goes through (protocols.services.signoff_*). The admin calls these."""

import re

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from ivigapp.protocols.models import ApprovalStatus
from ivigapp.protocols.services import (
    draft_document_update,
    signoff_approve,
    signoff_publish,
    signoff_submit,
    version_next,
)
from ivigapp.reactions.models import FollowUpCheck
from ivigapp.reminders.models import ReminderKind, ReminderPlan
from ivigapp.reminders.planning import DEFAULT_PLAN

STEP_KEYS = {
    "kind",
    "anchor",
    "offset_minutes",
    "day",
    "local_time",
    "window_minutes",
    "safety_critical",
    "condition",
    "followup",
    "before_anchor_only",
}
ANCHORS = {"scheduled_start", "actual_end"}
CONDITIONS = {"premedication_ordered"}
LOCAL_TIME = re.compile(r"([01]\d|2[0-3]):[0-5]\d")
# The reminders a patient's safety rests on (the premedication and the check-ins after an
# infusion): a new plan may move them, never drop them or stop marking them safety-critical.
SAFETY_CRITICAL = {step["kind"] for step in DEFAULT_PLAN["steps"] if step.get("safety_critical")}


def _whole(value, low, high) -> bool:
    return type(value) is int and low <= value <= high


def _step_error(step) -> str | None:
    if not isinstance(step, dict) or not set(step) <= STEP_KEYS:
        return _("Each step is an object with only these keys: %(keys)s.") % {"keys": ", ".join(sorted(STEP_KEYS))}
    for name in ("kind", "anchor", "condition", "followup", "local_time"):
        if name in step and not isinstance(step[name], str):
            return _("%(name)s is text.") % {"name": name}
    kinds = [kind for kind in ReminderKind.values if kind != ReminderKind.RECHECK]  # the advice asks for a re-check
    if step.get("kind") not in kinds:
        return _("A step's kind must be one of: %(kinds)s.") % {"kinds": ", ".join(kinds)}
    kind = step["kind"]
    if step.get("anchor") not in ANCHORS:
        return _("%(kind)s: the anchor is scheduled_start or actual_end.") % {"kind": kind}
    timed = "offset_minutes" in step
    if timed == ("day" in step or "local_time" in step):
        return _("%(kind)s: give either offset_minutes, or day and local_time.") % {"kind": kind}
    if timed and not _whole(step["offset_minutes"], -7 * 1440, 14 * 1440):
        return _("%(kind)s: offset_minutes is a whole number within a week before to two weeks after.") % {"kind": kind}
    if not timed and not (
        _whole(step.get("day"), -7, 14)
        and isinstance(step.get("local_time"), str)
        and LOCAL_TIME.fullmatch(step["local_time"])
    ):
        return _("%(kind)s: day is a whole number from -7 to 14 and local_time is HH:MM.") % {"kind": kind}
    if "window_minutes" in step and not _whole(step["window_minutes"], 0, 24 * 60):
        return _("%(kind)s: window_minutes is a whole number from 0 to 1440.") % {"kind": kind}
    for flag in ("safety_critical", "before_anchor_only"):
        if flag in step and not isinstance(step[flag], bool):
            return _("%(kind)s: %(flag)s is true or false.") % {"kind": kind, "flag": flag}
    if "condition" in step and step["condition"] not in CONDITIONS:
        return _("%(kind)s: the only condition is premedication_ordered.") % {"kind": kind}
    if "followup" in step and step["followup"] not in FollowUpCheck.Kind.values:
        return _("%(kind)s: followup must be one of: %(kinds)s.") % {
            "kind": kind,
            "kinds": ", ".join(FollowUpCheck.Kind.values),
        }
    return None


BUILT_IN = {step["kind"]: step for step in DEFAULT_PLAN["steps"]}


def _side(step) -> int:
    """-1, 0 or 1: before, at or after its anchor (by the offset, or by the day)."""
    value = step["offset_minutes"] if "offset_minutes" in step else step["day"]
    return (value > 0) - (value < 0)


def _safety_error(step) -> str | None:
    """A safety-critical reminder keeps what makes it fire: its anchor, the follow-up and condition
    it depends on, and its side of the anchor (a check-in after the end stays after the end)."""
    built_in = BUILT_IN[step["kind"]]
    same = all(step.get(key) == built_in.get(key) for key in ("anchor", "followup", "condition"))
    if not same or step.get("before_anchor_only") or _side(step) != _side(built_in):
        return _(
            "%(kind)s is safety-critical: it may move, but keeps its anchor, follow-up, condition and "
            "side of the anchor."
        ) % {"kind": step["kind"]}
    return None


def reminder_plan_check(steps) -> None:
    """Refuses a plan the planner could not run, or one that drops a safety-critical reminder."""
    if not isinstance(steps, list) or not steps:
        raise ValidationError({"steps": _("A plan is a list of steps.")})
    for step in steps:
        error = _step_error(step)
        if error:
            raise ValidationError({"steps": error})
    kinds = [step["kind"] for step in steps]
    if len(kinds) != len(set(kinds)):
        raise ValidationError({"steps": _("Each kind of reminder appears once.")})
    kept = {step["kind"] for step in steps if step.get("safety_critical")}
    missing = sorted(SAFETY_CRITICAL - kept)
    if missing:
        raise ValidationError(
            {
                "steps": _("These reminders are safety-critical and must stay, marked so: %(kinds)s.")
                % {"kinds": ", ".join(missing)}
            }
        )
    for step in steps:
        error = _safety_error(step) if step["kind"] in SAFETY_CRITICAL else None
        if error:
            raise ValidationError({"steps": error})


@transaction.atomic
def reminder_plan_draft(*, author, steps: list) -> ReminderPlan:
    reminder_plan_check(steps)
    # The built-in plan is a version too (reminders record the version that planned them).
    version = version_next(ReminderPlan.objects.all(), after=DEFAULT_PLAN["version"])
    return ReminderPlan.objects.create(version=version, steps=steps, author=author)


@transaction.atomic
def reminder_plan_update(*, actor, plan: ReminderPlan, steps: list) -> ReminderPlan:
    return draft_document_update(actor=actor, obj=plan, field="steps", document=steps, check=reminder_plan_check)


def reminder_plan_submit(*, actor, plan: ReminderPlan) -> ReminderPlan:
    return signoff_submit(actor=actor, obj=plan)


def reminder_plan_approve(*, actor, plan: ReminderPlan) -> ReminderPlan:
    return signoff_approve(actor=actor, obj=plan)


def reminder_plan_publish(*, actor, plan: ReminderPlan) -> ReminderPlan:
    reminder_plan_check(plan.steps)  # the checks of the day, whenever the version was drafted
    return signoff_publish(actor=actor, obj=plan, others=ReminderPlan.objects.all())


def reminder_plan_in_use() -> ReminderPlan | None:
    return ReminderPlan.objects.filter(status=ApprovalStatus.PUBLISHED).order_by("-version").first()
