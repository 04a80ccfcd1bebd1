from django.urls import path

from ivigapp.reactions import views

app_name = "reactions"

urlpatterns = [
    path("alerts/", views.queue, name="queue"),
    path("alerts/feed/", views.queue_feed, name="queue_feed"),
    path("alerts/<uuid:alert_id>/<str:action>/", views.alert_action, name="alert_action"),
    path("patients/", views.patient_list, name="patients"),
    path("patients/<uuid:patient_id>/", views.patient_page, name="patient"),
    path("patients/<uuid:patient_id>/diary.csv", views.diary_csv, name="diary_csv"),
    path("patients/<uuid:patient_id>/diary.fhir.json", views.diary_fhir, name="diary_fhir"),
    path("reports/<uuid:report_id>/review/", views.reaction_review, name="reaction_review"),
    path("infusions/<uuid:episode_id>/", views.timeline, name="timeline"),
    path("infusions/<uuid:episode_id>/summary/", views.summary, name="summary"),
    path("lots/", views.lots, name="lots"),
]
