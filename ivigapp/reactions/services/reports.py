"""The reaction checklist: validate, place it on the infusion's timeline, triage, alert."""

from datetime import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ivigapp.patients.models import Patient
from ivigapp.protocols.content.selectors import advice_content_stamp, advice_texts
from ivigapp.protocols.services import triage_ruleset_current, triage_ruleset_v1_document
from ivigapp.protocols.triage.evaluator import evaluate
from ivigapp.reactions.models import (
    ACTIONS,
    PAIN_SYMPTOMS,
    RED_FLAGS,
    SYMPTOMS,
    Alert,
    FollowUpCheck,
    InfusionEpisode,
    RateChange,
    SymptomReport,
    TriageDecision,
)
from ivigapp.reactions.services.alerts import alert_raise
from ivigapp.reactions.services.common import entered_by_for, not_in_future, save_changed, save_new, validate_row
from ivigapp.sync.stamp import stamp_row


def _check_answers(red_flag_answers, symptoms, actions_taken, errors: dict) -> None:
    """Every red-flag question is answered yes or no, except that a report with a yes may leave
    questions unanswered (None): the app shows the emergency advice at the yes that calls for it,
    and the patient may send the report from there."""
    if (
        not isinstance(red_flag_answers, dict)
        or set(red_flag_answers) != set(RED_FLAGS)
        or not all(v is None or isinstance(v, bool) for v in red_flag_answers.values())
        or (None in red_flag_answers.values() and True not in red_flag_answers.values())
    ):
        errors["red_flag_answers"] = _("Answer every red-flag question with yes or no.")
    if not isinstance(symptoms, dict) or not set(symptoms) <= set(SYMPTOMS):
        errors["symptoms"] = _("Choose symptoms from the checklist.")
    else:
        for code, entry in symptoms.items():
            if not isinstance(entry, dict) or not set(entry) <= {"severity", "nrs", "persisting"}:
                errors["symptoms"] = _("Each symptom needs a severity.")
                break
            severity, nrs = entry.get("severity"), entry.get("nrs")
            if type(severity) is not int or not 0 <= severity <= 3:
                errors["symptoms"] = _("Severity is none, mild, moderate or severe.")
                break
            if nrs is not None and (code not in PAIN_SYMPTOMS or type(nrs) is not int or not 0 <= nrs <= 10):
                errors["symptoms"] = _("A pain score from 0 to 10 is for painful symptoms only.")
                break
            if not isinstance(entry.get("persisting", False), bool):
                errors["symptoms"] = _("Say yes or no to whether the symptom is lasting.")
                break
    if not isinstance(actions_taken, list | tuple) or not set(actions_taken) <= set(ACTIONS):
        errors["actions_taken"] = _("Choose actions from the list.")


def _reminders_recheck(report: SymptomReport, advice: list[str]) -> None:
    from ivigapp.reminders.services import reminders_recheck

    reminders_recheck(report=report, advice=advice)


def _place_on_timeline(patient: Patient, episode: InfusionEpisode | None, onset_at: datetime) -> dict:
    """Phase, context and, during an infusion, the minutes since start and the rate step then."""
    if episode is None:
        episode = (
            InfusionEpisode.objects.filter(patient=patient, ended_at__lte=onset_at, deleted=False)
            .order_by("-ended_at")
            .first()
        )
    placed = {
        "episode": episode,
        "minutes_since_start": None,
        "hours_after_end": None,
        "rate_step_at_onset": None,
        "rate_at_onset_ml_h": None,
    }
    if (
        episode is not None
        and episode.started_at
        and onset_at >= episode.started_at
        and (episode.ended_at is None or onset_at <= episode.ended_at)
    ):
        step = RateChange.objects.filter(episode=episode, at__lte=onset_at, deleted=False).order_by("-at").first()
        placed.update(
            phase=SymptomReport.Phase.DURING,
            context="D-N" if patient.care_model == Patient.CareModel.NURSE_ADMINISTERED else "D-S",
            minutes_since_start=int((onset_at - episode.started_at).total_seconds() // 60),
            rate_step_at_onset=step.step_no if step else None,
            rate_at_onset_ml_h=step.rate_ml_h if step else None,
        )
    elif episode is not None and episode.ended_at and onset_at > episode.ended_at:
        hours = Decimal((onset_at - episode.ended_at).total_seconds()) / 3600
        placed.update(phase=SymptomReport.Phase.POST, context="P", hours_after_end=hours.quantize(Decimal("0.1")))
    else:
        placed.update(phase=SymptomReport.Phase.PRE, context="PRE")
    return placed


def triage_facts(report: SymptomReport, patient: Patient, plan_features: list[str]) -> dict:
    risk = patient.risk_profile
    risk_flags = risk.flags()
    if risk.renal_risk:
        risk_flags.append("renal_risk")
    if risk.thrombosis_risk:
        risk_flags.append("thrombosis_risk")
    return {
        "context": report.context,
        "red_flags": report.red_flags(),
        "symptoms": report.symptoms,
        "temperature_c": float(report.temperature_c) if report.temperature_c is not None else None,
        "sbp": report.systolic,
        "indication": patient.indication,
        "risk_flags": risk_flags,
        "plan": plan_features,
    }


@transaction.atomic
def symptom_report_submit(
    *,
    actor,
    patient: Patient,
    onset_at: datetime,
    red_flag_answers: dict,
    symptoms: dict,
    episode: InfusionEpisode | None = None,
    temperature_c: Decimal | None = None,
    systolic: int | None = None,
    actions_taken: list | tuple = (),
    free_text: str = "",
    followup: FollowUpCheck | None = None,
    row_id=None,
    recorded_at=None,
    client_id=None,
    as_carer: bool = False,
) -> SymptomReport:
    """One transaction: the report, its triage decision and any alert exist together or not at all."""
    errors = {}
    not_in_future(onset_at, "onset_at", errors)
    _check_answers(red_flag_answers, symptoms, actions_taken, errors)
    if episode is not None and episode.patient_id != patient.pk:
        errors["episode"] = _("This infusion belongs to someone else.")
    if followup is not None and (followup.patient_id != patient.pk or followup.completed_at is not None):
        errors["followup"] = _("This check is not open for this patient.")
    if systolic is not None and not (isinstance(systolic, int) and 40 <= systolic <= 280):
        errors["systolic"] = _("Enter the upper blood pressure number, between 40 and 280.")
    if errors:
        raise ValidationError(errors)
    placed = _place_on_timeline(patient, episode, onset_at)
    report = SymptomReport(
        patient=patient,
        red_flag_answers=red_flag_answers,
        symptoms=symptoms,
        temperature_c=temperature_c,
        systolic=systolic,
        onset_at=onset_at,
        actions_taken=list(actions_taken),
        free_text=(free_text or "").strip(),
        recorded_at=recorded_at,
        entered_by=entered_by_for(actor, as_carer=as_carer),
        entered_by_user=actor,
        **placed,
        **({"id": row_id} if row_id else {}),
    )
    validate_row(report)
    save_new(report, patient_id=patient.pk, client_id=client_id)

    ruleset = triage_ruleset_current()
    document, version = (ruleset.document(), ruleset.version) if ruleset else (triage_ruleset_v1_document(), 0)
    plan = report.episode.plan if report.episode else patient.plans.filter(active=True).first()
    decision = evaluate(document, triage_facts(report, patient, plan.features() if plan else []))
    shown = advice_texts(decision["advice"], patient.language)
    row = TriageDecision(
        report=report,
        ruleset_version=version,
        content_version=advice_content_stamp(shown, decision["advice"]),
        rule_ids=decision["rule_ids"],
        primary_rule_id=decision["primary_rule_id"],
        level=decision["level"],
        red_flag=decision["red_flag"],
        advice=decision["advice"],
        language=patient.language,
        decided_at=timezone.now(),
    )
    stamp_row(row, patient_id=patient.pk)
    row.save(force_insert=True)
    _reminders_recheck(report, decision["advice"])
    alert_raise(
        patient=patient,
        source=Alert.Source.SYMPTOM_REPORT,
        level=decision["level"],
        rule_id=decision["primary_rule_id"],
        report=report,
        episode=report.episode,
    )
    if followup is not None:
        followup.completed_at, followup.report = timezone.now(), report
        save_changed(followup, ["completed_at", "report"], patient_id=patient.pk, client_id=client_id)
    return report
