from django.apps import AppConfig


class ReactionsConfig(AppConfig):
    name = "ivigapp.reactions"
    label = "reactions"
