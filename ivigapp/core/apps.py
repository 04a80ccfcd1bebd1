from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "ivigapp.core"
    label = "core"

    def ready(self):
        from ivigapp.core import tasks  # noqa: F401  (registers the worker_ready heartbeat)
