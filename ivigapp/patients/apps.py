from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _ensure_roles(sender, **kwargs):
    from ivigapp.patients.roles import roles_ensure

    roles_ensure()


class PatientsConfig(AppConfig):
    name = "ivigapp.patients"
    label = "patients"

    def ready(self):
        # The groups need the permissions that post_migrate creates, so they are made right after.
        post_migrate.connect(_ensure_roles, sender=self, dispatch_uid="ivigapp-roles")
