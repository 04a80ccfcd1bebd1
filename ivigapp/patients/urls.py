from django.urls import path

from ivigapp.patients import views

app_name = "patients"

urlpatterns = [
    path("me/", views.patient_me, name="me"),
]
