from django.urls import path

from ivigapp.patients import views

app_name = "patients"

urlpatterns = [
    path("", views.patient_list, name="list"),
    path("me/", views.patient_me, name="me"),
    path("<uuid:patient_id>/", views.patient_detail, name="detail"),
]
