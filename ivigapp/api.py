from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from ivigapp.patients import api as patients_api
from ivigapp.reactions import api as reactions_api
from ivigapp.sync import api as sync_api

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="schema"), name="api-redoc"),
    path("v1/patients/", patients_api.patient_list, name="api-patient-list"),
    path("v1/patients/<str:patient_id>/", patients_api.patient_detail, name="api-patient-detail"),
    path("v1/patients/<str:patient_id>/episodes/", reactions_api.episode_list, name="api-episode-list"),
    path("v1/triage/ruleset/", reactions_api.triage_ruleset, name="api-triage-ruleset"),
    path("sync/v1/clients", sync_api.clients, name="sync-clients"),
    path("sync/v1/push", sync_api.push, name="sync-push"),
    path("sync/v1/pull", sync_api.pull, name="sync-pull"),
]
