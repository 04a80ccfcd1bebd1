"""GET /api/v1/me/: what the offline app needs to know about the signed-in patient.

The profile, whom to call, the active plan with its rate steps already converted to the pump's
mL/h, and the reaction checklist worded in the patient's language. The app stores the answer in
IndexedDB, so it must be enough to run an infusion and triage a reaction with no network.

PATCH /api/v1/me/ changes the patient's own settings (language, time zone, quiet hours), which
reminders and emails follow.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import api_view
from rest_framework.response import Response

from ivigapp.patients import services
from ivigapp.patients.access import patients_for
from ivigapp.patients.models import Patient
from ivigapp.reactions import dosing
from ivigapp.reactions.models import ACTIONS, PAIN_SYMPTOMS, RED_FLAGS, SYMPTOMS, Plan
from ivigapp.reactions.services.plans import rate_cap


class RegionOut(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    emergency_number = serializers.CharField()


class RateStepOut(serializers.Serializer):
    step_no = serializers.IntegerField()
    rate_ml_h = serializers.DecimalField(max_digits=7, decimal_places=1, help_text="The pump setting.")
    minutes = serializers.IntegerField(allow_null=True, help_text="How long the step lasts; null for the last.")
    label_rate = serializers.DecimalField(max_digits=8, decimal_places=3)
    label_unit = serializers.CharField()
    above_cap = serializers.BooleanField(help_text="The step is above this patient's rate cap: never go past the cap.")


class PlanOut(serializers.Serializer):
    id = serializers.IntegerField()
    product = serializers.CharField()
    concentration_pct = serializers.DecimalField(max_digits=4, decimal_places=1)
    rounded_dose_g = serializers.DecimalField(max_digits=6, decimal_places=1)
    volume_ml = serializers.DecimalField(max_digits=7, decimal_places=1)
    rate_weight_kg = serializers.DecimalField(max_digits=6, decimal_places=2)
    interval_days = serializers.IntegerField()
    course_days = serializers.IntegerField()
    vial_sizes_g = serializers.ListField(child=serializers.DecimalField(max_digits=5, decimal_places=1))
    premedication = serializers.ListField(child=serializers.DictField())
    hydration = serializers.ListField(child=serializers.DictField())
    features = serializers.ListField(child=serializers.CharField(), help_text='"step_down", "epinephrine".')
    rate_cap_ml_h = serializers.DecimalField(max_digits=7, decimal_places=1)
    rate_cap_source = serializers.CharField()
    steps = RateStepOut(many=True)


class ChoiceOut(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()


class SymptomOut(ChoiceOut):
    pain_score = serializers.BooleanField(help_text="Asks for a pain score from 0 to 10.")


class ChecklistOut(serializers.Serializer):
    red_flags = ChoiceOut(many=True)
    symptoms = SymptomOut(many=True)
    actions = ChoiceOut(many=True)


class MeOut(serializers.Serializer):
    id = serializers.UUIDField()
    display_name = serializers.CharField()
    language = serializers.CharField()
    timezone = serializers.CharField()
    care_model = serializers.CharField()
    indication = serializers.CharField()
    risk_flags = serializers.ListField(child=serializers.CharField(), help_text="As the triage rules read them.")
    care_team_phone = serializers.CharField(allow_blank=True)
    quiet_start = serializers.TimeField(allow_null=True, help_text="Local time quiet hours begin; null: none.")
    quiet_end = serializers.TimeField(allow_null=True)
    region = RegionOut()
    plan = PlanOut(allow_null=True)
    checklist = ChecklistOut()
    server_time = serializers.DateTimeField()


class SettingsIn(serializers.Serializer):
    """Only the fields sent are changed. Quiet hours come as a pair; two nulls remove them."""

    language = serializers.ChoiceField(choices=settings.LANGUAGES, required=False)
    timezone = serializers.CharField(max_length=64, required=False)
    quiet_start = serializers.TimeField(required=False, allow_null=True)
    quiet_end = serializers.TimeField(required=False, allow_null=True)

    def validate(self, data):
        if ("quiet_start" in data) != ("quiet_end" in data):
            missing = "quiet_end" if "quiet_start" in data else "quiet_start"
            raise serializers.ValidationError(
                {missing: _("Give both the start and the end of quiet hours, or neither.")}
            )
        if data.get("quiet_start") is not None and data.get("quiet_start") == data.get("quiet_end"):
            raise serializers.ValidationError({"quiet_end": _("Quiet hours must end at another time than they start.")})
        return data


def _risk_flags(patient: Patient) -> list[str]:
    # The same facts the server's evaluator reads (reactions.services.reports.triage_facts).
    risk = patient.risk_profile
    flags = risk.flags()
    if risk.renal_risk:
        flags.append("renal_risk")
    if risk.thrombosis_risk:
        flags.append("thrombosis_risk")
    return flags


def _plan(plan: Plan | None) -> dict | None:
    if plan is None:
        return None
    cap_ml_h, cap_source = rate_cap(plan)
    concentration = plan.product.concentration_pct
    steps = []
    for number, step in enumerate(plan.rate_protocol.steps, start=1):
        ml_h = dosing.rate_to_ml_h(
            rate=step["rate"], unit=step["unit"], weight_kg=plan.rate_weight_kg, concentration_pct=concentration
        )
        steps.append(
            {
                "step_no": number,
                "rate_ml_h": ml_h,
                "minutes": step.get("minutes"),
                "label_rate": step["rate"],
                "label_unit": step["unit"],
                "above_cap": ml_h > cap_ml_h,
            }
        )
    return {
        "id": plan.pk,
        "product": str(plan.product),
        "concentration_pct": concentration,
        "rounded_dose_g": plan.rounded_dose_g,
        "volume_ml": plan.volume_ml,
        "rate_weight_kg": plan.rate_weight_kg,
        "interval_days": plan.interval_days,
        "course_days": plan.course_days,
        "vial_sizes_g": plan.product.vial_sizes_g,
        "premedication": plan.premedication,
        "hydration": plan.hydration,
        "features": plan.features(),
        "rate_cap_ml_h": cap_ml_h,
        "rate_cap_source": cap_source,
        "steps": steps,
    }


def _checklist() -> dict:
    return {
        "red_flags": [{"code": code, "label": str(label)} for code, label in RED_FLAGS.items()],
        "symptoms": [
            {"code": code, "label": str(label), "pain_score": code in PAIN_SYMPTOMS} for code, label in SYMPTOMS.items()
        ],
        "actions": [{"code": code, "label": str(label)} for code, label in ACTIONS.items()],
    }


def _quiet_hours(patient: Patient) -> tuple:
    try:
        preference = patient.reminder_preference
    except Patient.reminder_preference.RelatedObjectDoesNotExist:
        return None, None
    return preference.quiet_start, preference.quiet_end


@extend_schema(
    methods=["GET"], responses=MeOut, summary="The signed-in patient, their active plan and checklist, for the app"
)
@extend_schema(
    methods=["PATCH"],
    request=SettingsIn,
    responses=MeOut,
    summary="Change the signed-in patient's language, time zone or quiet hours (reminders are re-planned)",
)
@api_view(["GET", "PATCH"])
def me(request):
    """Queries: the patient with region, risk profile and reminder preference; the active plan with
    product and protocol."""
    patient = (
        patients_for(request.user)
        .filter(user=request.user)
        .select_related("region", "risk_profile", "reminder_preference")
        .first()
    )
    if patient is None:
        raise Http404("Only patients have an app profile.")
    if request.method == "PATCH":
        return _settings_update(request, patient)
    return _me(patient)


def _settings_update(request, patient: Patient) -> Response:
    data = SettingsIn(data=request.data)
    data.is_valid(raise_exception=True)
    values = data.validated_data
    quiet = (values["quiet_start"], values["quiet_end"]) if "quiet_start" in values else None
    try:
        services.patient_settings_update(
            actor=request.user,
            patient=patient,
            language=values.get("language"),
            timezone_name=values.get("timezone"),
            quiet_hours=quiet,
        )
    except ValidationError as error:
        return Response(error.message_dict, status=status.HTTP_400_BAD_REQUEST)
    patient = Patient.objects.select_related("region", "risk_profile", "reminder_preference").get(pk=patient.pk)
    # The checklist in the answer speaks the new language, as the app will from now on.
    with translation.override(values.get("language") or translation.get_language()):
        return _me(patient)


def _me(patient: Patient) -> Response:
    plan = (
        Plan.objects.filter(patient=patient, active=True)
        .select_related("product", "rate_protocol")
        .order_by("-created_at")
        .first()
    )
    if plan is not None:
        plan.patient = patient  # rate_cap reads the risk profile through it
    # The checklist is worded in the language the app is shown in (the language cookie, which
    # sign-in sets to the patient's language; the settings screen may change it).
    body = {
        "id": patient.pk,
        "display_name": patient.display_name,
        "language": patient.language,
        "timezone": patient.timezone,
        "care_model": patient.care_model,
        "indication": patient.indication,
        "risk_flags": _risk_flags(patient),
        "care_team_phone": patient.care_team_phone,
        "quiet_start": _quiet_hours(patient)[0],
        "quiet_end": _quiet_hours(patient)[1],
        "region": patient.region,
        "plan": _plan(plan),
        "checklist": _checklist(),
        "server_time": timezone.now(),
    }
    return Response(MeOut(body).data)
