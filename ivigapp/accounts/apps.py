from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "ivigapp.accounts"
    label = "accounts"
