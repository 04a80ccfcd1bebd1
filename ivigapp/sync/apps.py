from django.apps import AppConfig


class SyncConfig(AppConfig):
    name = "ivigapp.sync"
    label = "sync"
