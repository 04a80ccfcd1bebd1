"""Exports a prescriber can use: the diary as CSV and as a FHIR R4 (R4B) bundle.

Callers pass a patient that came through the access module, and audit the export."""

import csv
import io
import uuid

from ivigapp.patients.models import Patient
from ivigapp.reactions.models import SymptomReport
from ivigapp.reactions.selectors import episode_timeline, episodes_with_reports

CSV_COLUMNS = ["time_utc", "infusion_id", "entry", "detail", "entered_by"]


def diary_csv(patient: Patient) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for episode in episodes_with_reports(patient):
        parts = episode_timeline(episode)
        rows = [
            (
                episode.started_at or episode.scheduled_start,
                "infusion",
                f"{episode.plan.product} status={episode.status} volume_ml={episode.volume_infused_ml or ''}",
                episode.entered_by,
            )
        ]
        rows += [
            (
                v.recorded_at or episode.started_at or episode.scheduled_start,
                "vial",
                f"lot={v.lot_number} expiry={v.expiry_date} size_g={v.vial_size_g} x{v.quantity}",
                v.entered_by,
            )
            for v in parts["vials"]
        ]
        rows += [
            (
                r.at,
                "rate",
                f"step={r.step_no} rate_ml_h={r.rate_ml_h} mg_kg_min={r.mg_kg_min} reason={r.reason} "
                f"cap_ml_h={r.cap_ml_h}{' ABOVE_CAP' if r.exceeds_cap else ''}",
                r.entered_by,
            )
            for r in parts["rates"]
        ]
        rows += [
            (p.paused_at, "pause", f"resumed={p.resumed_at or ''} reason={p.reason}", p.entered_by)
            for p in parts["pauses"]
        ]
        rows += [(m.given_at, m.category, f"{m.drug} {m.dose}", m.entered_by) for m in parts["medicines"]]
        rows += [(d.logged_at, "hydration", f"{d.phase} {d.volume_ml} mL", d.entered_by) for d in parts["drinks"]]
        rows += [(r.onset_at, "reaction", _report_text(r), r.entered_by) for r in parts["reports"]]
        rows += [
            (
                v.measured_at,
                "vitals",
                f"temp_c={v.temperature_c or ''} heart_rate={v.heart_rate or ''} "
                f"bp={v.systolic or ''}/{v.diastolic or ''}",
                v.entered_by,
            )
            for v in parts["vitals"]
        ]
        if episode.ended_at:
            rows.append((episode.ended_at, "end", episode.status, episode.entered_by))
        for moment, entry, detail, who in sorted(rows, key=lambda row: row[0]):
            writer.writerow([moment.isoformat(), str(episode.pk), entry, _safe_cell(detail), who])
    return out.getvalue()


def _safe_cell(text: str) -> str:
    # A cell starting with = + - @ would run as a formula in a spreadsheet.
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def _report_text(report: SymptomReport) -> str:
    flags = ",".join(report.red_flags()) or "none"
    unanswered = ",".join(report.unanswered())
    if unanswered:  # sent from the emergency advice before every question was answered
        flags += f" not_answered={unanswered}"
    symptoms = ",".join(f"{code}:{entry.get('severity', 0)}" for code, entry in sorted(report.symptoms.items()))
    decision = getattr(report, "decision", None)
    triage = f"{decision.primary_rule_id}/{decision.level}" if decision else ""
    return (
        f"red_flags={flags} symptoms={symptoms or 'none'} temp={report.temperature_c or ''} "
        f"step={report.rate_step_at_onset or ''} minutes={report.minutes_since_start or ''} triage={triage} "
        f"note={report.free_text}"
    )


def diary_fhir_bundle(patient: Patient) -> dict:
    """A collection Bundle: the Patient, a MedicationAdministration per vial lot given (product,
    lot, expiry, highest pump rate), an AdverseEvent per reaction report, and a
    QuestionnaireResponse per checklist."""
    patient_ref = {"reference": f"Patient/{patient.pk}"}
    entries = [
        {
            "fullUrl": f"urn:uuid:{patient.pk}",
            "resource": {
                "resourceType": "Patient",
                "id": str(patient.pk),
                "name": [{"text": patient.display_name}],
                **({"birthDate": patient.date_of_birth.isoformat()} if patient.date_of_birth else {}),
            },
        }
    ]
    for episode in episodes_with_reports(patient):
        if episode.started_at is None:
            continue
        administrations = []
        top_rate = max((r.rate_ml_h for r in episode.rates), default=None)
        for vial in episode.vials or [None]:
            medication = {"resourceType": "Medication", "id": "med", "code": {"text": str(episode.plan.product)}}
            if vial is not None:
                medication["batch"] = {"lotNumber": vial.lot_number, "expirationDate": vial.expiry_date.isoformat()}
            admin_id = str(vial.pk if vial else episode.pk)
            resource = {
                "resourceType": "MedicationAdministration",
                "id": admin_id,
                "status": _admin_status(episode),
                "contained": [medication],
                "medicationReference": {"reference": "#med"},
                "subject": patient_ref,
                "effectivePeriod": {
                    "start": episode.started_at.isoformat(),
                    **({"end": episode.ended_at.isoformat()} if episode.ended_at else {}),
                },
            }
            if top_rate is not None:
                resource["dosage"] = {
                    "rateQuantity": {
                        "value": float(top_rate),
                        "unit": "mL/h",
                        "system": "http://unitsofmeasure.org",
                        "code": "mL/h",
                    }
                }
            administrations.append(admin_id)
            entries.append({"fullUrl": f"urn:uuid:{admin_id}", "resource": resource})
        for report in episode.report_list:
            entries.extend(_report_resources(report, patient_ref, administrations))
    return {"resourceType": "Bundle", "type": "collection", "entry": entries}


def _admin_status(episode) -> str:
    if episode.status == "complete":
        return "completed"
    if episode.status in ("stopped_reaction", "stopped_access", "partial"):
        return "stopped"
    return "in-progress"


def _report_resources(report, patient_ref, administrations) -> list[dict]:
    answers = [  # a question left unanswered (None) is left out, as FHIR expects
        {"linkId": code, "answer": [{"valueBoolean": value}]}
        for code, value in sorted(report.red_flag_answers.items())
        if value is not None
    ]
    answers += [
        {"linkId": code, "answer": [{"valueInteger": int(entry.get("severity", 0))}]}
        for code, entry in sorted(report.symptoms.items())
    ]
    if report.temperature_c is not None:
        answers.append({"linkId": "temperature_c", "answer": [{"valueDecimal": float(report.temperature_c)}]})
    questionnaire = {
        "resourceType": "QuestionnaireResponse",
        "id": f"{report.pk}",
        "status": "completed",
        "subject": patient_ref,
        "authored": report.onset_at.isoformat(),
        "item": answers,
    }
    resources = [{"fullUrl": f"urn:uuid:{report.pk}", "resource": questionnaire}]
    event_id = uuid.uuid5(uuid.NAMESPACE_URL, f"ivigapp:adverse-event:{report.pk}")
    present = [code for code, entry in report.symptoms.items() if entry.get("severity", 0) > 0] + report.red_flags()
    if present:
        decision = getattr(report, "decision", None)
        event = {
            "resourceType": "AdverseEvent",
            "id": str(event_id),
            "actuality": "actual",
            "subject": patient_ref,
            "date": report.onset_at.isoformat(),
            "event": {"text": ", ".join(sorted(present))},
            "suspectEntity": [{"instance": {"reference": f"MedicationAdministration/{a}"}} for a in administrations],
        }
        if decision is not None and decision.level in ("urgent", "emergency"):
            event["seriousness"] = {"text": decision.level}
        resources.append({"fullUrl": f"urn:uuid:{event_id}", "resource": event})
    return resources
