from django.apps import AppConfig


class ProtocolsConfig(AppConfig):
    name = "ivigapp.protocols"
    label = "protocols"
