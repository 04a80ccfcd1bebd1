"""Positions for the per-infusion chart: rate steps over time, pauses, medicines, drinks and
reactions at their onset. Pure layout; the template draws the SVG from it."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 16, 32
# The time axis is labelled every 5 minutes to every 6 hours: the first step that gives at most
# MAX_TICKS labels, so a reaction 12 minutes in and a 26-hour subcutaneous infusion both read.
TICK_STEPS = (5, 10, 15, 30, 60, 120, 180, 360)
MAX_TICKS = 9


@dataclass
class Segment:
    step_no: int
    rate_ml_h: Decimal
    x0: float
    x1: float
    y: float


def _severity_class(report) -> str:
    decision = getattr(report, "decision", None)
    return f"sev-{decision.level}" if decision else "sev-log"


def timeline_layout(episode, data: dict, *, cap_ml_h: Decimal | None = None) -> dict:
    start: datetime = episode.started_at or episode.scheduled_start
    events = [r.at for r in data["rates"]] + [r.onset_at for r in data["reports"]]
    end: datetime = episode.ended_at or max([start + timedelta(minutes=30), *events])
    span = max((end - start).total_seconds(), 60)
    top_rate = max([Decimal(1), *(r.rate_ml_h for r in data["rates"]), cap_ml_h or Decimal(0)])

    def x(moment: datetime) -> float:
        seconds = min(max((moment - start).total_seconds(), 0), span)
        return round(LEFT + (WIDTH - LEFT - RIGHT) * seconds / span, 1)

    def y(rate: Decimal) -> float:
        return round(HEIGHT - BOTTOM - (HEIGHT - TOP - BOTTOM) * float(rate / top_rate), 1)

    segments = []
    for current, following in zip(data["rates"], [*data["rates"][1:], None], strict=True):
        segments.append(
            Segment(
                current.step_no,
                current.rate_ml_h,
                x(current.at),
                x(following.at if following else end),
                y(current.rate_ml_h),
            )
        )

    def step_at(position: float) -> int | None:
        for segment in segments:
            if segment.x0 <= position < segment.x1 or (segment is segments[-1] and position == segment.x1):
                return segment.step_no
        return None

    def during(moment: datetime) -> bool:
        return start <= moment <= end

    reactions = []
    for report in data["reports"]:
        if not during(report.onset_at):
            continue  # before or after the infusion: listed in the table, not drawn on the rate line
        px = x(report.onset_at)
        reactions.append(
            {
                "x": px,
                "y": TOP + 8,
                "css": _severity_class(report),
                "report": report,
                "minutes": report.minutes_since_start,
                "step_no": step_at(px),
            }
        )
    minutes = int(span // 60)
    every = next((step for step in TICK_STEPS if minutes // step <= MAX_TICKS - 1), TICK_STEPS[-1])
    ticks = [
        {"x": x(start + timedelta(minutes=m)), "label": f"{m // 60}:{m % 60:02d}"} for m in range(0, minutes + 1, every)
    ]
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "left": LEFT,
        "bottom": HEIGHT - BOTTOM,
        "right": WIDTH - RIGHT,
        "top": TOP,
        "segments": segments,
        "step_at": step_at,
        "steps_path": " ".join(f"M{s.x0},{s.y} H{s.x1}" for s in segments),
        "risers": [{"x": b.x0, "y0": a.y, "y1": b.y} for a, b in zip(segments, segments[1:], strict=False)],
        "pauses": [
            {
                "x0": x(p.paused_at),
                "x1": x(p.resumed_at or end),
                "width": round(x(p.resumed_at or end) - x(p.paused_at), 1),
            }
            for p in data["pauses"]
        ],
        "plot_height": HEIGHT - BOTTOM - TOP,
        "medicines": [
            {"x": x(m.given_at), "label": m.drug, "before_start": m.given_at < start} for m in data["medicines"]
        ],
        "drinks": [{"x": x(d.logged_at), "volume": d.volume_ml} for d in data["drinks"] if during(d.logged_at)],
        "reactions": reactions,
        "cap_y": y(cap_ml_h) if cap_ml_h else None,
        "top_rate": top_rate,
        "ticks": ticks,
        "events": timeline_events(data),
    }


def timeline_events(data: dict) -> list[dict]:
    """Every entry of the infusion in time order, for the table beside the chart."""
    events = [{"at": m.given_at, "kind": "medicine", "item": m} for m in data["medicines"]]
    events += [{"at": r.at, "kind": "rate", "item": r} for r in data["rates"]]
    events += [{"at": p.paused_at, "kind": "pause", "item": p} for p in data["pauses"]]
    events += [{"at": d.logged_at, "kind": "drink", "item": d} for d in data["drinks"]]
    events += [{"at": r.onset_at, "kind": "reaction", "item": r} for r in data["reports"]]
    events += [{"at": v.measured_at, "kind": "vitals", "item": v} for v in data["vitals"]]
    return sorted(events, key=lambda event: event["at"])
