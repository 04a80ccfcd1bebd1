"""The nurse's pages: alert queue, patient list, patient page, infusion timeline, lot recall,
exports. Every patient page goes through the access module, which audits the read."""

import json
from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ivigapp.audit.services import audit_record, audit_record_many, audit_record_select
from ivigapp.patients.access import access_patient, patients_for
from ivigapp.patients.models import Patient
from ivigapp.patients.roles import ROLE_ADMIN, ROLE_NURSE, user_role
from ivigapp.protocols.content.selectors import advice_texts
from ivigapp.reactions import exports, services
from ivigapp.reactions.models import Alert, InfusionEpisode, ReactionReview, SymptomReport
from ivigapp.reactions.selectors import (
    alert_queue,
    episode_timeline,
    episodes_with_reports,
    lot_recall,
    newer_rate_protocol,
    nurse_patient_rows,
    patient_alerts,
    patient_reactions,
)
from ivigapp.reactions.services.diary import lot_number_error
from ivigapp.reactions.timeline import timeline_layout
from ivigapp.sync.models import SyncConflict


def _nurse_only(request):
    if user_role(request.user) != ROLE_NURSE:
        raise Http404


def _queue_context(request):
    queue_rows = alert_queue(request.user)
    alerts = list(queue_rows)
    audit_record_select(request.user, action="alert.queue", queryset=queue_rows, field="patient_id")
    now = timezone.now()
    # The advice the patient saw, by its title in the nurse's language (one look-up for the page).
    keys = {key for alert in alerts if alert.report and alert.report.decision for key in alert.report.decision.advice}
    titles = advice_texts(keys, get_language()) if keys else {}
    for alert in alerts:
        alert.overdue = alert.acknowledged_at is None and alert.deadline_at <= now
        if alert.report and alert.report.decision:
            alert.advice_titles = [titles[k].title if k in titles else k for k in alert.report.decision.advice]
    return {"alerts": alerts, "now": now, "resolutions": Alert.Resolution.choices}


@login_required
def queue(request):
    _nurse_only(request)
    return render(request, "reactions/queue.html", _queue_context(request))


@login_required
def queue_feed(request):
    """The queue's rows for the page's polling script (sent with X-Ivig-Background: 1, so the
    polling does not keep the session alive)."""
    _nurse_only(request)
    context = _queue_context(request)
    return JsonResponse(
        {
            "ids": [str(a.pk) for a in context["alerts"]],
            "html": render(request, "reactions/_queue_rows.html", context).content.decode(),
        }
    )


def _alert_for(request, alert_id) -> Alert:
    alert = Alert.objects.filter(pk=alert_id).first()
    patient_id = alert.patient_id if alert else None
    access_patient(request.user, patient_id or alert_id, action="alert.open")
    return alert


@login_required
@require_POST
def alert_action(request, alert_id, action):
    _nurse_only(request)
    alert = _alert_for(request, alert_id)
    try:
        if action == "acknowledge":
            services.alert_acknowledge(actor=request.user, alert=alert)
        elif action == "annotate":
            services.alert_annotate(actor=request.user, alert=alert, text=request.POST.get("text", ""))
        elif action == "resolve":
            services.alert_resolve(actor=request.user, alert=alert, resolution=request.POST.get("resolution", ""))
        else:
            raise Http404
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Saved. The patient sees it at their next sync."))
    return redirect(request.POST.get("next") or "reactions:queue")


@login_required
def patient_list(request):
    _nurse_only(request)
    sort = request.GET.get("sort", "name")
    rows = nurse_patient_rows(request.user, sort=sort)
    audit_record_select(request.user, action="patient.list", queryset=patients_for(request.user))
    return render(request, "reactions/patients.html", {"patients": rows, "sort": sort})


@login_required
def patient_page(request, patient_id):
    patient = access_patient(request.user, patient_id, action="patient.view")
    if user_role(request.user) != ROLE_NURSE:
        raise Http404
    plan = patient.plans.filter(active=True).select_related("product", "rate_protocol").first()
    context = {
        "patient": patient,
        "risk_flags": patient.risk_profile.flag_labels(),
        "plan": plan,
        "newer_protocol": newer_rate_protocol(plan.rate_protocol) if plan else None,
        "episodes": list(episodes_with_reports(patient)[:20]),
        "reactions": patient_reactions(patient)[:30],
        "alerts": patient_alerts(patient),
        "followups": _followups(patient),
        "conflicts": list(
            SyncConflict.objects.filter(
                scope_id=f"patient:{patient.pk}", resolved_at__isnull=True, deleted=False
            ).order_by("-created_at")
        ),
        "reminders": _recent_reminders(patient),
        "grades": range(1, 6),
        "suspected_types": ReactionReview.SuspectedType.choices,
    }
    return _in_patient_zone(request, "reactions/patient.html", context, patient)


def _in_patient_zone(request, template, context, patient):
    """Renders a page about one patient with every time in the patient's own time zone, which the
    page names: the nurse and the patient then talk about the same clock."""
    with timezone.override(patient.timezone):
        return render(request, template, {**context, "zone": patient.timezone})


def _recent_reminders(patient):
    from ivigapp.reminders.models import Reminder

    return list(
        Reminder.objects.filter(patient=patient)
        .exclude(status="pending", due_at__gt=timezone.now() + timedelta(days=2))
        .prefetch_related("deliveries")
        .order_by("-due_at")[:15]
    )


def _followups(patient):
    from ivigapp.reactions.models import FollowUpCheck

    return list(FollowUpCheck.objects.filter(patient=patient, deleted=False).order_by("-due_at")[:12])


@login_required
@require_POST
def reaction_review(request, report_id):
    report = SymptomReport.objects.filter(pk=report_id).first()
    patient = access_patient(request.user, report.patient_id if report else report_id, action="reaction.review")
    try:
        services.reaction_review_record(
            actor=request.user,
            report=report,
            ctcae_grade=int(request.POST.get("ctcae_grade") or 0),
            suspected_type=request.POST.get("suspected_type", ""),
            serious=request.POST.get("serious") == "on",
        )
    except (ValidationError, ValueError) as error:
        for message in getattr(error, "messages", [str(error)]):
            messages.error(request, message)
    else:
        messages.success(request, _("Grade saved."))
    return redirect("reactions:patient", patient_id=patient.pk)


def _episode_for(request, episode_id, action) -> tuple[InfusionEpisode, Patient]:
    episode = InfusionEpisode.objects.filter(pk=episode_id, deleted=False).select_related("plan__product").first()
    patient = access_patient(request.user, episode.patient_id if episode else episode_id, action=action)
    if user_role(request.user) != ROLE_NURSE:
        raise Http404
    if episode is not None:
        episode.patient = patient  # already read by the access module
    return episode, patient


@login_required
def timeline(request, episode_id):
    episode, patient = _episode_for(request, episode_id, "episode.timeline")
    data = episode_timeline(episode)
    cap = data["rates"][-1].cap_ml_h if data["rates"] else None
    return _in_patient_zone(
        request,
        "reactions/timeline.html",
        {"episode": episode, "data": data, "chart": timeline_layout(episode, data, cap_ml_h=cap)},
        patient,
    )


@login_required
def summary(request, episode_id):
    episode, patient = _episode_for(request, episode_id, "episode.summary")
    data = episode_timeline(episode)
    cap = data["rates"][-1].cap_ml_h if data["rates"] else None
    return _in_patient_zone(
        request,
        "reactions/summary.html",
        {
            "episode": episode,
            "data": data,
            "chart": timeline_layout(episode, data, cap_ml_h=cap),
            "printed_at": timezone.now(),
        },
        patient,
    )


@login_required
def diary_csv(request, patient_id):
    patient = access_patient(request.user, patient_id, action="export.csv")
    if user_role(request.user) != ROLE_NURSE:
        raise Http404
    response = HttpResponse(exports.diary_csv(patient), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="diary-{patient.pk}.csv"'
    return response


@login_required
def diary_fhir(request, patient_id):
    patient = access_patient(request.user, patient_id, action="export.fhir")
    if user_role(request.user) != ROLE_NURSE:
        raise Http404
    response = HttpResponse(
        json.dumps(exports.diary_fhir_bundle(patient), indent=1), content_type="application/fhir+json; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="diary-{patient.pk}.fhir.json"'
    return response


@login_required
def lots(request):
    if user_role(request.user) not in (ROLE_NURSE, ROLE_ADMIN):
        raise Http404
    lot = request.GET.get("lot", "").strip()
    error = lot_number_error(lot.upper()) if lot else None  # no stored lot could match (nor a NUL be queried)
    if error:
        return render(request, "reactions/lots.html", {"lot": lot.replace("\x00", ""), "error": error}, status=400)
    found = lot_recall(request.user, lot) if lot else []
    if lot:
        audit_record_many(request.user, action="lot.recall", patient_ids=sorted({v.patient_id for v in found}))
        audit_record(request.user, action="lot.search", object_type="lot", object_ids=[lot[:40]])
    count = sum(v.quantity for v in found)
    return render(request, "reactions/lots.html", {"lot": lot, "vials": found, "vial_count": count})
