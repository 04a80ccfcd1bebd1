from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from ivigapp.patientapp import api as patientapp_api
from ivigapp.patients import api as patients_api
from ivigapp.protocols.content import api as content_api
from ivigapp.reactions import api as reactions_api
from ivigapp.reminders import api as reminders_api
from ivigapp.sync import api as sync_api

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="schema"), name="api-redoc"),
    path("v1/patients/", patients_api.patient_list, name="api-patient-list"),
    path("v1/patients/<str:patient_id>/", patients_api.patient_detail, name="api-patient-detail"),
    path("v1/patients/<str:patient_id>/episodes/", reactions_api.episode_list, name="api-episode-list"),
    path("v1/me/", patientapp_api.me, name="api-me"),
    path("v1/triage/ruleset/", reactions_api.triage_ruleset, name="api-triage-ruleset"),
    path("v1/push/public-key", reminders_api.public_key, name="push-public-key"),
    path("v1/push/subscriptions", reminders_api.subscribe, name="push-subscribe"),
    path("v1/push/subscriptions/delete", reminders_api.unsubscribe, name="push-unsubscribe"),
    path("v1/reminders/", reminders_api.reminder_list, name="reminder-list"),
    path("v1/reminders/<uuid:reminder_id>/acknowledge", reminders_api.reminder_acknowledge, name="reminder-ack"),
    path("v1/reminders/<uuid:reminder_id>/snooze", reminders_api.reminder_snooze, name="reminder-snooze"),
    path("sync/v1/clients", sync_api.clients, name="sync-clients"),
    path("sync/v1/push", sync_api.push, name="sync-push"),
    path("sync/v1/pull", sync_api.pull, name="sync-pull"),
    path("sync/v1/content/manifest", content_api.content_manifest_view, name="content-manifest"),
    path("content/blob/<str:sha256>", content_api.content_blob_view, name="content-blob"),
]
