"""Clinical demo data: products, rate protocols, the published triage rules, and about four months of
infusion history with reactions and nurse alerts for the demo patients of ivigapp.patients.demo.

Everything clinical is written through the service functions, so the demo rows carry the same
derived values, triage decisions, follow-up checks and alerts as real ones. Idempotent: a patient
who already has a plan is left alone, and products, protocols and the rule set are reused.
"""

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_CEILING, Decimal
from itertools import combinations
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from ivigapp.patients.models import CareAssignment, Patient
from ivigapp.protocols import services as protocol_services
from ivigapp.protocols.models import ApprovalStatus, Product, RateProtocol
from ivigapp.reactions import services
from ivigapp.reactions.dosing import rate_to_ml_h
from ivigapp.reactions.models import RED_FLAGS, Alert, FollowUpCheck, HydrationLog, InfusionEpisode, Plan, RateChange

SUBSEQUENT = RateProtocol.InfusionType.SUBSEQUENT
HISTORY_DAYS = 120
STEP_MINUTES = 30
# Local start times: self-infusing patients start after breakfast, nurses arrive mid-morning.
START_AT = {Patient.CareModel.SELF_INFUSING: time(9, 0), Patient.CareModel.NURSE_ADMINISTERED: time(10, 0)}

# clinical.md 5.3, facts only: brand, maker, concentration, excipients, vial sizes.
PRODUCTS = [
    ("Gammagard Liquid", "Takeda", "10", {}, [1, 2.5, 5, 10, 20, 30]),
    ("Privigen", "CSL Behring", "10", {}, [5, 10, 20, 40]),
    ("Octagam", "Octapharma", "10", {"contains_maltose": True}, [2, 5, 10, 20]),
    ("Gamunex-C", "Grifols", "10", {}, [1, 2.5, 5, 10, 20, 40]),
    ("Flebogamma DIF", "Grifols", "5", {"contains_sorbitol": True}, [0.5, 2.5, 5, 10, 20]),
]
LOT_PREFIX = {"Gammagard Liquid": "LE", "Privigen": "P1", "Octagam": "M0", "Gamunex-C": "B2G", "Flebogamma DIF": "IBG"}


@dataclass(frozen=True)
class ProtocolSpec:
    brand: str
    indication: str
    unit: str
    rates: tuple  # first rate and label maximum are label facts; the steps between are a demo titration
    source: str


# Only rows of the 5.3 table for the demo indications (PI is stored as PID). No table row gives a
# numeric at-risk maximum for these products, so none is stored. Octagam 10 % has ITP and
# dermatomyositis rows only, so it gets no protocol here.
PROTOCOLS = [
    ProtocolSpec("Gammagard Liquid", "PID", "mL/kg/h", (0.5, 1, 2, 3, 4, 5), "clinical.md 5.3 [S2]"),
    ProtocolSpec("Gammagard Liquid", "MMN", "mL/kg/h", (0.5, 1, 2, 3, 4, 5.4), "clinical.md 5.3 [S2-MMN]"),
    # The table has no Gammagard CIDP row: the PI row (the lower of the two Gammagard maxima) stands in.
    ProtocolSpec(
        "Gammagard Liquid",
        "CIDP",
        "mL/kg/h",
        (0.5, 1, 2, 3, 4, 5),
        "clinical.md 5.3 [S2] PI row; no CIDP row, verify against the CIDP label",
    ),
    ProtocolSpec("Privigen", "PID", "mg/kg/min", (0.5, 1, 2, 4, 8), "clinical.md 5.3 [S3]"),
    ProtocolSpec("Privigen", "CIDP", "mg/kg/min", (0.5, 1, 2, 4, 8), "clinical.md 5.3 [S3]"),
    ProtocolSpec("Gamunex-C", "PID", "mL/kg/min", (0.01, 0.02, 0.04, 0.06, 0.08), "clinical.md 5.3 [S5]"),
    ProtocolSpec("Gamunex-C", "CIDP", "mL/kg/min", (0.02, 0.04, 0.06, 0.08), "clinical.md 5.3 [S5]"),
    ProtocolSpec("Flebogamma DIF", "PID", "mL/kg/min", (0.01, 0.02, 0.04, 0.06, 0.08, 0.1), "clinical.md 5.3 [S7b]"),
]

PREMEDICATION = [
    {"drug": "paracetamol", "dose": "1 g", "route": "oral", "minutes_before_start": 45},
    {"drug": "cetirizine", "dose": "10 mg", "route": "oral", "minutes_before_start": 45},
]
HYDRATION = [
    {"phase": HydrationLog.Phase.DAY_BEFORE, "fluid": "water", "volume_ml": 1500},
    {"phase": HydrationLog.Phase.SAME_DAY, "fluid": "water", "volume_ml": 500},
]


@dataclass(frozen=True)
class Reaction:
    """A checklist answered during the infusion, minutes into a titration step, and what was done."""

    step: int
    symptoms: dict
    outcome: str  # "continue", "slow" (back one step), "pause" (then restart one step lower) or "stop"
    actions: tuple = ()
    text: str = ""
    minutes_into_step: int = 15


@dataclass(frozen=True)
class AfterReport:
    """A checklist answered after the infusion. `hours_ago` places it before now rather than at a
    check's due time; it still answers the check whose window is open then, if any."""

    symptoms: dict = field(default_factory=dict)
    red_flags: tuple = ()
    temperature_c: Decimal | None = None
    text: str = ""
    hours_ago: float | None = None
    keep_open: bool = False  # its alert stays in the nurse queue


@dataclass(frozen=True)
class Story:
    reaction: Reaction | None = None
    checks: dict = field(default_factory=dict)  # FollowUpCheck.Kind -> AfterReport; other due checks: no symptoms
    extra: AfterReport | None = None
    above_cap_step: int | None = None  # the pump is set to the uncapped label rate at this step


@dataclass(frozen=True)
class Regimen:
    username: str
    brand: str
    dose_g_per_kg: str
    weight_method: str
    interval_days: int
    # The newest infusion ends at least this long before the seed runs (up to a day more, to keep
    # the start at its local time), so the reports placed "hours ago" fall after it.
    min_end_ago: timedelta
    stories: dict  # 0 is the newest infusion
    premedication: bool = False
    step_down: bool = False
    epinephrine: bool = False


def _pain(code: str, severity: int, nrs: int) -> dict:
    return {code: {"severity": severity, "nrs": nrs}}


REGIMENS = [
    Regimen(
        "patient1",
        "Gammagard Liquid",
        "1",
        Plan.WeightMethod.ADJUSTED,
        21,
        timedelta(hours=8),  # so it ended 8 to 32 hours before the seed runs
        premedication=True,
        step_down=True,
        stories={
            0: Story(
                extra=AfterReport(
                    symptoms={"HEADACHE": {"severity": 3, "nrs": 8}},
                    red_flags=("RF_MENINGISM",),
                    text="Bad headache getting worse, stiff neck, light hurts my eyes.",
                    hours_ago=3,
                    keep_open=True,
                )
            ),
            1: Story(checks={FollowUpCheck.Kind.H24: AfterReport({"FATIGUE": {"severity": 1}}, text="A bit tired.")}),
            3: Story(
                reaction=Reaction(
                    5,
                    {"FLUSHING": {"severity": 2}, "CHEST_TIGHT": {"severity": 1}},
                    "stop",
                    ("stopped", "called_nurse"),
                    "Hot face and tight chest at the top rate. Stopped the pump.",
                ),
                checks={
                    FollowUpCheck.Kind.H24: AfterReport({"FATIGUE": {"severity": 1}}, text="Tired, otherwise fine.")
                },
            ),
            4: Story(
                reaction=Reaction(3, _pain("HEADACHE", 1, 3), "continue", text="Mild headache, drinking water."),
                checks={FollowUpCheck.Kind.H24: AfterReport(_pain("HEADACHE", 2, 5), text="Headache the next day.")},
            ),
            5: Story(checks={FollowUpCheck.Kind.H24: AfterReport(_pain("HEADACHE", 1, 3), text="Slight headache.")}),
        },
    ),
    Regimen(
        "patient2",
        "Privigen",
        "0.4",
        Plan.WeightMethod.ACTUAL,
        28,
        timedelta(hours=50),
        stories={
            0: Story(
                extra=AfterReport(
                    _pain("HEADACHE", 2, 5),
                    text="Headache since last night, paracetamol helps a little.",
                    hours_ago=1,
                    keep_open=True,
                )
            ),
            2: Story(
                reaction=Reaction(4, {"DIZZY": {"severity": 1}}, "continue", text="Light-headed for a few minutes.")
            ),
            3: Story(checks={FollowUpCheck.Kind.H24: AfterReport({"FATIGUE": {"severity": 1}}, text="Tired.")}),
            4: Story(reaction=Reaction(2, {"FLUSHING": {"severity": 1}}, "continue", text="Warm face, settled.")),
        },
    ),
    Regimen(
        "patient3",
        "Gammagard Liquid",
        "0.8",
        Plan.WeightMethod.ACTUAL,
        28,
        timedelta(days=5, hours=20),  # the day-7 check (thrombosis risk) is still to come
        premedication=True,
        stories={
            2: Story(checks={FollowUpCheck.Kind.H48: AfterReport(_pain("HEADACHE", 1, 2), text="Slight headache.")}),
            3: Story(
                reaction=Reaction(
                    4, _pain("BACKPAIN", 2, 5), "pause", ("paused",), "Aching lower back. Paused, then slower."
                ),
                checks={FollowUpCheck.Kind.H24: AfterReport(_pain("MYALGIA", 1, 3), text="Achy legs.")},
            ),
            4: Story(above_cap_step=5),
        },
    ),
    Regimen(
        "patient4",
        "Gamunex-C",
        "0.5",
        Plan.WeightMethod.ACTUAL,
        21,
        timedelta(hours=3),
        epinephrine=True,
        stories={
            0: Story(
                extra=AfterReport(
                    {"CHILLS": {"severity": 1}, "FATIGUE": {"severity": 1}},
                    temperature_c=Decimal("38.4"),
                    text="Shivery since the infusion, temperature 38.4.",
                    hours_ago=2,
                    keep_open=True,
                )
            ),
            1: Story(reaction=Reaction(2, _pain("HEADACHE", 1, 2), "continue", text="Small headache.")),
            3: Story(checks={FollowUpCheck.Kind.H24: AfterReport({"FATIGUE": {"severity": 1}}, text="Tired.")}),
            4: Story(
                reaction=Reaction(
                    4, {"CHILLS": {"severity": 1}}, "slow", ("slowed", "called_nurse"), "Shivering. Slowed the pump."
                )
            ),
        },
    ),
]

# What the nurse wrote when closing an older alert, by triage rule; anything else gets the default.
NURSE_NOTES = {
    "T06": ("Phoned during the infusion: fluids, same rate. Headache gone by the end.", "advice_given"),
    "T07M": ("Phoned: headache eased with fluids and paracetamol. Keep the same top rate.", "advice_given"),
    "T16MS": ("Phoned: stopping was right. Settled within the hour. Top rate to be reviewed.", "prescriber"),
    "T21S": ("Phoned: stopping was right. Settled within the hour. Top rate to be reviewed.", "prescriber"),
    "T15S": ("Chills settled after slowing. Stay one step lower next time.", "advice_given"),
    "T19N": ("Back pain settled after the pause; finished at the slower rate.", "no_action"),
    "T25N": ("Dizziness passed after lying flat and a drink. Blood pressure normal.", "no_action"),
    "T40": (
        "Pump was set one step above the site maximum for 10 minutes, then corrected. No symptoms.",
        "advice_given",
    ),
}
DEFAULT_NOTE = ("Reviewed the report; no further action needed.", "no_action")


@transaction.atomic
def clinical_demo_seed(*, lead, approver) -> None:
    """Creates what is missing; one transaction, so a refused write leaves nothing half-made."""
    _triage_rules_publish(lead, approver)
    products = _products_ensure()
    protocols = _protocols_ensure(products, lead, approver)
    now = timezone.now()
    for regimen in REGIMENS:
        patient = Patient.objects.select_related("user", "risk_profile").get(user__username=regimen.username)
        if patient.plans.exists():
            continue
        _patient_history_create(regimen, patient, lead, products, protocols, now)


def _triage_rules_publish(lead, approver) -> None:
    if protocol_services.triage_ruleset_current() is not None:
        return
    ruleset = protocol_services.triage_ruleset_draft(
        author=lead, document=protocol_services.triage_ruleset_v1_document()
    )
    protocol_services.triage_ruleset_submit(actor=lead, ruleset=ruleset)
    protocol_services.triage_ruleset_approve(actor=approver, ruleset=ruleset)
    protocol_services.triage_ruleset_publish(actor=lead, ruleset=ruleset)


def _products_ensure() -> dict[str, Product]:
    products = {}
    for brand, manufacturer, concentration, excipients, vials in PRODUCTS:
        products[brand], _ = Product.objects.get_or_create(
            brand=brand,
            concentration_pct=Decimal(concentration),
            defaults={"manufacturer": manufacturer, "vial_sizes_g": vials, **excipients},
        )
    return products


def _protocols_ensure(products: dict[str, Product], lead, approver) -> dict[tuple[str, str], RateProtocol]:
    protocols = {}
    for spec in PROTOCOLS:
        product = products[spec.brand]
        protocol = RateProtocol.objects.filter(
            product=product, indication=spec.indication, infusion_type=SUBSEQUENT, status=ApprovalStatus.PUBLISHED
        ).first()
        if protocol is None:
            steps = [{"rate": rate, "unit": spec.unit, "minutes": STEP_MINUTES} for rate in spec.rates]
            steps[-1]["minutes"] = None
            protocol = protocol_services.rate_protocol_signed_off(
                author=lead,
                approver=approver,
                product=product,
                indication=spec.indication,
                infusion_type=SUBSEQUENT,
                steps=steps,
                max_rate=Decimal(str(spec.rates[-1])),
                max_rate_unit=spec.unit,
                source=spec.source,
            )
        protocols[(spec.brand, spec.indication)] = protocol
    return protocols


def _patient_history_create(regimen: Regimen, patient: Patient, lead, products, protocols, now: datetime) -> None:
    product = products[regimen.brand]
    plan = services.plan_create(
        actor=lead,
        patient=patient,
        product=product,
        rate_protocol=protocols[(regimen.brand, patient.indication)],
        dose_g_per_kg=Decimal(regimen.dose_g_per_kg),
        weight_method=regimen.weight_method,
        interval_days=regimen.interval_days,
        premedication=PREMEDICATION if regimen.premedication else [],
        hydration=HYDRATION,
        has_step_down_instruction=regimen.step_down,
        epinephrine_prescribed=regimen.epinephrine,
    )
    nurse = CareAssignment.objects.current(now).filter(patient=patient).select_related("nurse").first().nurse
    # Who runs the pump: the patient at home, or the nurse on a home visit.
    actor = patient.user if patient.care_model == Patient.CareModel.SELF_INFUSING else nurse
    rates, label_rates = _pump_rates(plan)
    zone, start_at = ZoneInfo(patient.timezone), START_AT[patient.care_model]
    newest_duration = _timeline(rates, label_rates, plan.volume_ml, regimen.stories.get(0, Story())).end
    newest_day = now.astimezone(zone).date()
    while _local(newest_day, start_at, zone) + newest_duration > now - regimen.min_end_ago:
        newest_day -= timedelta(days=1)
    keep_open = []
    for index in reversed(range(HISTORY_DAYS // regimen.interval_days + 1)):  # oldest first, as they happened
        story = regimen.stories.get(index, Story())
        start = _local(newest_day - timedelta(days=regimen.interval_days * index), start_at, zone)
        timeline = _timeline(rates, label_rates, plan.volume_ml, story)
        rng = random.Random(f"{regimen.username}-{index}")  # the same lots and weights on every fresh database
        episode = _infusion_record(actor, patient, plan, start, timeline, rng)
        keep_open += _after_reports_record(patient, episode, story, now)
    _older_alerts_close(patient, nurse, keep_open)


def _local(day: date, at: time, zone: ZoneInfo) -> datetime:
    """A wall-clock time in the patient's zone as UTC (the same local hour across DST changes)."""
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


def _pump_rates(plan: Plan) -> tuple[list[Decimal], list[Decimal]]:
    """The protocol's steps as pump mL/h for this plan, capped; and the label rates before capping.
    A step that would not change the capped rate is dropped."""
    cap, _source = services.rate_cap(plan)
    label = [
        rate_to_ml_h(
            rate=Decimal(str(step["rate"])),
            unit=step["unit"],
            weight_kg=plan.rate_weight_kg,
            concentration_pct=plan.product.concentration_pct,
        )
        for step in plan.rate_protocol.steps
    ]
    capped, uncapped = [], []
    for rate in label:
        if capped and min(rate, cap) == capped[-1]:
            break
        capped.append(min(rate, cap))
        uncapped.append(rate)
    return capped, uncapped


@dataclass
class Timeline:
    """An infusion as offsets from its start: pump changes, pauses, the reaction report, the end."""

    rates: list = field(default_factory=list)  # (offset, mL/h, step, reason)
    pause: tuple | None = None  # (paused offset, resumed offset)
    report: tuple | None = None  # (offset, Reaction)
    end: timedelta = timedelta(0)
    status: str = InfusionEpisode.Status.COMPLETE


def _minutes(value) -> timedelta:
    return timedelta(minutes=int(Decimal(value).to_integral_value(ROUND_CEILING)))


def _timeline(rates: list[Decimal], label_rates: list[Decimal], volume: Decimal, story: Story) -> Timeline:
    """Steps up every 30 minutes until the plan's volume is in; a reaction may slow, pause or stop it."""
    timeline, given, minute = Timeline(), Decimal(0), Decimal(0)

    def run_out(at: Decimal, rate: Decimal) -> None:
        timeline.end = _minutes(at + (volume - given) / rate * 60)

    for step, rate in enumerate(rates, start=1):
        if story.above_cap_step == step:
            # The label rate set by mistake, noticed and turned down to the cap ten minutes later.
            timeline.rates.append((_minutes(minute), label_rates[step - 1], step, RateChange.Reason.TITRATION))
            given += label_rates[step - 1] * 10 / 60
            minute += 10
        timeline.rates.append((_minutes(minute), rate, step, RateChange.Reason.TITRATION))
        reaction = story.reaction if story.reaction and story.reaction.step == step else None
        if reaction is not None:
            onset = minute + reaction.minutes_into_step
            given += rate * reaction.minutes_into_step / 60
            timeline.report = (_minutes(onset), reaction)
            if reaction.outcome == "stop":
                timeline.end, timeline.status = _minutes(onset + 5), InfusionEpisode.Status.STOPPED_REACTION
                return timeline
            back = max(step - 1, 1)  # one step down, never below the first
            if reaction.outcome == "slow":
                given += rate * 5 / 60
                slower = rates[back - 1]
                timeline.rates.append((_minutes(onset + 5), slower, back, RateChange.Reason.REACTION_SLOW))
                run_out(onset + 5, slower)
                return timeline
            if reaction.outcome == "pause":
                given += rate * 2 / 60
                paused, resumed = onset + 2, onset + 22
                timeline.pause = (_minutes(paused), _minutes(resumed))
                slower = rates[back - 1]
                timeline.rates.append((_minutes(resumed), slower, back, RateChange.Reason.RESTART_AFTER_PAUSE))
                run_out(resumed, slower)
                return timeline
            minute = onset
        step_end = minute + STEP_MINUTES - (minute % STEP_MINUTES)
        if step == len(rates) or given + rate * (step_end - minute) / 60 >= volume:
            run_out(minute, rate)
            return timeline
        given += rate * (step_end - minute) / 60
        minute = step_end
    return timeline


def _infusion_record(actor, patient: Patient, plan: Plan, start: datetime, timeline: Timeline, rng) -> InfusionEpisode:
    episode = services.episode_schedule(actor=actor, patient=patient, plan=plan, scheduled_start=start)
    premeds_at = start - timedelta(minutes=45) if plan.premedication else None
    baseline = Decimal(plan.computation["actual_weight_kg"])
    services.episode_readiness_record(
        actor=actor,
        episode=episode,
        hydrated=True,
        premeds_taken=bool(plan.premedication),
        premeds_taken_at=premeds_at,
        weight_kg=(baseline + Decimal(rng.randint(-8, 8)) / 10).quantize(Decimal("0.1")),
        fever_or_infection=False,
        anaphylaxis_kit_present=True,
    )
    for order in plan.premedication:
        services.medication_record(
            actor=actor, episode=episode, category="premed", drug=order["drug"], dose=order["dose"], given_at=premeds_at
        )
    _hydration_record(actor, episode, HydrationLog.Phase.DAY_BEFORE, 1500, start - timedelta(hours=15))
    _hydration_record(actor, episode, HydrationLog.Phase.SAME_DAY, 500, start - timedelta(hours=2))
    services.vitals_record(
        actor=actor,
        episode=episode,
        measured_at=start - timedelta(minutes=10),
        temperature_c=Decimal("36.6"),
        heart_rate=rng.randint(64, 80),
        systolic=rng.randint(116, 132),
        diastolic=rng.randint(70, 82),
    )
    services.episode_start(actor=actor, episode=episode, started_at=start, recorded_at=start)  # entered then
    for size, quantity in _vial_split(plan.rounded_dose_g, plan.product.vial_sizes_g):
        services.vial_add(
            actor=actor,
            episode=episode,
            lot_number=_lot_number(plan.product.brand, rng),
            expiry_date=_expiry(start, rng),
            vial_size_g=size,
            quantity=quantity,
        )
    _timeline_record(actor, patient, episode, start, timeline)
    end = start + timeline.end
    if timeline.end > timedelta(hours=1):
        _hydration_record(actor, episode, HydrationLog.Phase.DURING, 250, start + timedelta(hours=1))
    services.vitals_record(
        actor=actor,
        episode=episode,
        measured_at=end - timedelta(minutes=2),
        temperature_c=Decimal("36.8"),
        heart_rate=rng.randint(66, 84),
        systolic=rng.randint(118, 134),
        diastolic=rng.randint(70, 84),
    )
    services.episode_end(actor=actor, episode=episode, ended_at=end, status=timeline.status)
    _hydration_record(actor, episode, HydrationLog.Phase.AFTER, 750, end + timedelta(hours=3))
    return episode


def _timeline_record(actor, patient: Patient, episode: InfusionEpisode, start: datetime, timeline: Timeline) -> None:
    """Pump changes, the pause and the reaction report, in the order they happened."""
    events = [(offset, 0, ("rate", rate, step, reason)) for offset, rate, step, reason in timeline.rates]
    if timeline.report:
        events.append((timeline.report[0], 1, ("report", timeline.report[1])))
    if timeline.pause:
        events.append((timeline.pause[0], 2, ("pause", timeline.pause[1])))
    pause = None
    for offset, _order, event in sorted(events, key=lambda item: item[:2]):
        at = start + offset
        if event[0] == "rate":
            if pause is not None and pause.resumed_at is None:
                services.pause_end(actor=actor, pause=pause, resumed_at=at)
            _kind, rate, step, reason = event
            services.rate_change_record(
                actor=actor, episode=episode, at=at, rate_ml_h=rate, step_no=step, reason=reason
            )
        elif event[0] == "report":
            reaction = event[1]
            services.symptom_report_submit(
                actor=actor,
                patient=patient,
                episode=episode,
                onset_at=at,
                red_flag_answers=_red_flags(),
                symptoms=reaction.symptoms,
                actions_taken=list(reaction.actions),
                free_text=reaction.text,
            )
        else:
            pause = services.pause_start(actor=actor, episode=episode, paused_at=at, reason="Paused for a reaction")


def _after_reports_record(patient: Patient, episode: InfusionEpisode, story: Story, now: datetime) -> list[int]:
    """The patient's answers at home: every check already due (no symptoms unless the story says
    otherwise) and the story's extra report, which takes the check open at its time. Returns the
    reports whose alerts stay open."""
    extra_at = now - timedelta(hours=story.extra.hours_ago) if story.extra else None
    extra_check, answers = None, []
    for check in episode.followups.order_by("due_at"):
        if extra_at is not None and check.due_at <= extra_at <= check.window_ends_at:
            extra_check = check
        elif check.due_at + timedelta(minutes=40) <= now:  # later checks stay open, as on a real phone
            answers.append((check.due_at + timedelta(minutes=40), story.checks.get(check.kind, AfterReport()), check))
    if story.extra is not None:
        answers.append((extra_at, story.extra, extra_check))
    keep_open = []
    for onset, answer, check in sorted(answers, key=lambda item: item[0]):
        report = _after_report_submit(patient, episode, answer, onset, check)
        if answer.keep_open:
            keep_open.append(report.pk)
    return keep_open


def _after_report_submit(patient, episode, answers: AfterReport, onset: datetime, check: FollowUpCheck | None):
    return services.symptom_report_submit(
        actor=patient.user,
        patient=patient,
        episode=episode,
        onset_at=onset,
        red_flag_answers=_red_flags(*answers.red_flags),
        symptoms=answers.symptoms,
        temperature_c=answers.temperature_c,
        free_text=answers.text,
        followup=check,
    )


def _older_alerts_close(patient: Patient, nurse, keep_open: list[int]) -> None:
    """The nurse has worked every alert except the ones left for the demo queue."""
    alerts = Alert.objects.filter(patient=patient, resolved_at__isnull=True).exclude(report_id__in=keep_open)
    for alert in alerts.order_by("pk"):
        note, resolution = NURSE_NOTES.get(alert.rule_id, DEFAULT_NOTE)
        services.alert_acknowledge(actor=nurse, alert=alert)
        services.alert_annotate(actor=nurse, alert=alert, text=note)
        services.alert_resolve(actor=nurse, alert=alert, resolution=resolution)


def _hydration_record(actor, episode: InfusionEpisode, phase: str, volume_ml: int, at: datetime) -> None:
    if at <= timezone.now():  # the drinks after the newest infusion may not have happened yet
        services.hydration_record(actor=actor, episode=episode, phase=phase, volume_ml=volume_ml, logged_at=at)


def _red_flags(*yes: str) -> dict:
    return {code: code in yes for code in RED_FLAGS}


def _lot_number(brand: str, rng: random.Random) -> str:
    return f"{LOT_PREFIX[brand]}{rng.randint(10, 99)}{rng.choice('ABCDEFGHJK')}{rng.randint(0, 999):03d}"


def _vial_split(dose_g: Decimal, sizes: list) -> list[tuple[Decimal, int]]:
    """The fewest vials making up the dose, from at most three sizes (as a pharmacy would pick)."""
    sizes = sorted((Decimal(str(size)) for size in sizes), reverse=True)
    best = None
    for count in (1, 2, 3):
        for chosen in combinations(sizes, count):
            remaining, split = dose_g, []
            for size in chosen:
                quantity = int(remaining // size)
                if quantity:
                    split.append((size, quantity))
                    remaining -= size * quantity
            if remaining == 0 and (best is None or sum(q for _s, q in split) < sum(q for _s, q in best)):
                best = split
    if best is None:
        raise ValueError(f"{dose_g} g cannot be made from vials of {sizes}")
    return best


def _expiry(start: datetime, rng: random.Random) -> date:
    return start.date() + timedelta(days=rng.randint(150, 420))
