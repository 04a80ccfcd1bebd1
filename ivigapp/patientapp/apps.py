from django.apps import AppConfig


class PatientAppConfig(AppConfig):
    name = "ivigapp.patientapp"
    label = "patientapp"
