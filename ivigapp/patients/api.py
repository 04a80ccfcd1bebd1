from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.response import Response

from ivigapp.audit.services import audit_record_select
from ivigapp.patients.access import access_patient, patients_for
from ivigapp.patients.models import Patient, Region
from ivigapp.patients.roles import is_staff_role


class PatientRegionOut(serializers.ModelSerializer):
    class Meta:
        model = Region
        fields = ["code", "name", "emergency_number"]


class PatientOut(serializers.ModelSerializer):
    region = PatientRegionOut()
    risk_flags = serializers.SerializerMethodField()

    class Meta:
        model = Patient
        fields = [
            "id",
            "display_name",
            "language",
            "timezone",
            "region",
            "care_model",
            "indication",
            "care_team_phone",
            "risk_flags",
        ]

    def get_risk_flags(self, patient) -> list[str]:
        return patient.risk_profile.flags()


@extend_schema(responses=PatientOut(many=True), summary="Patients the signed-in user may see")
@api_view(["GET"])
def patient_list(request):
    visible = patients_for(request.user)
    patients = list(visible.select_related("region", "risk_profile").order_by("display_name"))
    if is_staff_role(request.user):
        audit_record_select(request.user, action="patient.list", queryset=visible)
    return Response(PatientOut(patients, many=True).data)


@extend_schema(responses=PatientOut, summary="One patient, if the signed-in user may see them")
@api_view(["GET"])
def patient_detail(request, patient_id):
    patient = access_patient(request.user, patient_id, action="patient.view")
    return Response(PatientOut(patient).data)
