from django.apps import AppConfig


class RemindersConfig(AppConfig):
    name = "ivigapp.reminders"
    label = "reminders"
