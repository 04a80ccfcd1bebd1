from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.response import Response

from ivigapp.patients.access import access_patient
from ivigapp.protocols.services import triage_ruleset_current, triage_ruleset_v1_document
from ivigapp.reactions.models import InfusionEpisode, RateChange, SymptomReport, TriageDecision, VialUsage
from ivigapp.reactions.selectors import episodes_with_reports


class RateChangeOut(serializers.ModelSerializer):
    class Meta:
        model = RateChange
        fields = [
            "id",
            "at",
            "rate_ml_h",
            "step_no",
            "reason",
            "ml_kg_h",
            "ml_kg_min",
            "mg_kg_min",
            "cap_ml_h",
            "cap_source",
            "exceeds_cap",
        ]


class VialOut(serializers.ModelSerializer):
    class Meta:
        model = VialUsage
        fields = ["id", "lot_number", "expiry_date", "vial_size_g", "quantity"]


class DecisionOut(serializers.ModelSerializer):
    class Meta:
        model = TriageDecision
        fields = [
            "ruleset_version",
            "primary_rule_id",
            "rule_ids",
            "level",
            "red_flag",
            "advice",
            "language",
            "content_version",
        ]


class ReportOut(serializers.ModelSerializer):
    decision = DecisionOut()

    class Meta:
        model = SymptomReport
        fields = [
            "id",
            "onset_at",
            "phase",
            "context",
            "minutes_since_start",
            "hours_after_end",
            "rate_step_at_onset",
            "rate_at_onset_ml_h",
            "red_flag_answers",
            "symptoms",
            "temperature_c",
            "systolic",
            "actions_taken",
            "free_text",
            "entered_by",
            "decision",
        ]


class EpisodeOut(serializers.ModelSerializer):
    product = serializers.CharField(source="plan.product.__str__")
    rates = RateChangeOut(many=True)
    vials = VialOut(many=True)
    reports = ReportOut(many=True, source="report_list")

    class Meta:
        model = InfusionEpisode
        fields = [
            "id",
            "product",
            "course_day",
            "scheduled_start",
            "started_at",
            "ended_at",
            "status",
            "hydrated",
            "premeds_taken",
            "premeds_taken_at",
            "weight_kg",
            "fever_or_infection",
            "anaphylaxis_kit_present",
            "volume_infused_ml",
            "entered_by",
            "recorded_at",
            "received_at",
            "rates",
            "vials",
            "reports",
        ]


@extend_schema(responses=EpisodeOut(many=True), summary="A patient's infusions with rate log, vials and reports")
@api_view(["GET"])
def episode_list(request, patient_id):
    patient = access_patient(request.user, patient_id, action="episode.list")
    return Response(EpisodeOut(episodes_with_reports(patient), many=True).data)


class RuleSetOut(serializers.Serializer):
    version = serializers.IntegerField(help_text="0 means the built-in rule set shipped with the app.")
    format = serializers.IntegerField()
    levels = serializers.ListField(child=serializers.CharField())
    severity_from_pain_score = serializers.ListField(child=serializers.ListField(child=serializers.IntegerField()))
    default = serializers.DictField()
    substitutions = serializers.ListField(child=serializers.DictField())
    rules = serializers.ListField(child=serializers.DictField())


@extend_schema(responses=RuleSetOut, summary="The published triage rule set, for the offline evaluator")
@api_view(["GET"])
def triage_ruleset(request):
    ruleset = triage_ruleset_current()
    document = ruleset.document() if ruleset else {"version": 0, **triage_ruleset_v1_document()}
    response = Response(document)
    response["ETag"] = f'"triage-v{document["version"]}"'
    response["Cache-Control"] = "private, no-cache"
    return response
