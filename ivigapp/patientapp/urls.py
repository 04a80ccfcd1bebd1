from django.urls import path

from ivigapp.patientapp import views

app_name = "patientapp"

urlpatterns = [
    path("app/", views.shell, name="shell"),
    path("sw.js", views.service_worker, name="service-worker"),
]
