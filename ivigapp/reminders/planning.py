"""Where reminders fall in time. Pure functions: local wall-clock times in the patient's IANA
zone (zoneinfo handles daylight-saving changes), offsets as real elapsed minutes, quiet hours."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

# clinical.md section 3: hydration the day before, the morning of and the day after; premedication
# at T-60 min with a take-now window to T-30; the start; checks 24/48/72 h after the actual end, and
# later ones for risk groups (created only when the matching follow-up check exists).
DEFAULT_PLAN = {
    "name": "default",
    "version": 1,
    "steps": [
        {"kind": "hydration_day_before", "anchor": "scheduled_start", "day": -1, "local_time": "18:00"},
        {
            "kind": "hydration_morning",
            "anchor": "scheduled_start",
            "day": 0,
            "local_time": "07:30",
            "before_anchor_only": True,
        },
        {
            "kind": "premedication",
            "anchor": "scheduled_start",
            "offset_minutes": -60,
            "window_minutes": 30,
            "safety_critical": True,
            "condition": "premedication_ordered",
        },
        {"kind": "infusion_start", "anchor": "scheduled_start", "offset_minutes": 0},
        {"kind": "hydration_day_after", "anchor": "actual_end", "day": 1, "local_time": "10:00"},
        {
            "kind": "check_24h",
            "anchor": "actual_end",
            "offset_minutes": 1440,
            "safety_critical": True,
            "followup": "h24",
        },
        {
            "kind": "check_48h",
            "anchor": "actual_end",
            "offset_minutes": 2880,
            "safety_critical": True,
            "followup": "h48",
        },
        {
            "kind": "check_72h",
            "anchor": "actual_end",
            "offset_minutes": 4320,
            "safety_critical": True,
            "followup": "h72",
        },
        {
            "kind": "check_d5",
            "anchor": "actual_end",
            "day": 5,
            "local_time": "10:00",
            "safety_critical": True,
            "followup": "d5",
        },
        {
            "kind": "check_d7",
            "anchor": "actual_end",
            "day": 7,
            "local_time": "10:00",
            "safety_critical": True,
            "followup": "d7",
        },
        {
            "kind": "check_d10",
            "anchor": "actual_end",
            "day": 10,
            "local_time": "10:00",
            "safety_critical": True,
            "followup": "d10",
        },
    ],
}


def step_due(step: dict, anchor: datetime, zone: ZoneInfo) -> datetime | None:
    """The UTC instant a step falls on, or None when it does not apply (a morning reminder that
    would come after the start)."""
    if "offset_minutes" in step:
        return anchor + timedelta(minutes=step["offset_minutes"])
    day = anchor.astimezone(zone).date() + timedelta(days=step["day"])
    hour, minute = (int(part) for part in step["local_time"].split(":"))
    due = datetime.combine(day, time(hour, minute), tzinfo=zone)
    if step.get("before_anchor_only") and due >= anchor:
        return None
    return due


def in_quiet_hours(moment: datetime, zone: ZoneInfo, start: time | None, end: time | None) -> bool:
    if start is None or end is None or start == end:
        return False
    local = moment.astimezone(zone).time()
    return start <= local < end if start < end else local >= start or local < end


def after_quiet_hours(moment: datetime, zone: ZoneInfo, start: time, end: time) -> datetime:
    """The first moment quiet hours are over, in local wall-clock time."""
    local = moment.astimezone(zone)
    candidate = datetime.combine(local.date(), end, tzinfo=zone)
    if candidate <= local:
        candidate = datetime.combine(local.date() + timedelta(days=1), end, tzinfo=zone)
    return candidate


def local_label(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M ") + zone.key
