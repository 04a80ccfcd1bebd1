from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import render

from ivigapp.patients.models import BodyMeasurement
from ivigapp.patients.roles import ROLE_PATIENT, user_role


def _latest_by_kind(patient) -> dict[str, BodyMeasurement]:
    latest = {}
    for m in patient.measurements.all():  # newest first (model ordering)
        latest.setdefault(m.kind, m)
    return latest


@login_required
def patient_me(request):
    if user_role(request.user) != ROLE_PATIENT:
        raise Http404
    return _profile_page(request, request.user.patient)


def _profile_page(request, patient):
    patient = (
        type(patient)
        .objects.select_related("region", "risk_profile")
        .prefetch_related(Prefetch("measurements", queryset=BodyMeasurement.objects.order_by("-measured_on")))
        .get(pk=patient.pk)
    )
    latest = _latest_by_kind(patient)
    context = {
        "patient": patient,
        "weight": latest.get(BodyMeasurement.Kind.WEIGHT_KG),
        "height": latest.get(BodyMeasurement.Kind.HEIGHT_CM),
        "risk_flags": patient.risk_profile.flag_labels(),
    }
    return render(request, "patients/detail.html", context)
