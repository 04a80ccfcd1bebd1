from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "ivigapp.audit"
    label = "audit"
