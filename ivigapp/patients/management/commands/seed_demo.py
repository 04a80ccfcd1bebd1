import os

from django.conf import settings
from django.core.management.base import BaseCommand

from ivigapp.patients.demo import demo_seed


class Command(BaseCommand):
    help = "Creates the demo accounts, patients and care teams (idempotent) and prints how to sign in."

    def add_arguments(self, parser):
        parser.add_argument("--patients", type=int, default=0, help="Also create N load-test patients for nurse1.")

    def handle(self, *args, patients, **options):
        password = os.environ.get("DEMO_PASSWORD") or settings.DEMO_PASSWORD_DEFAULT
        accounts = demo_seed(password=password, extra_patients=patients)
        self.stdout.write(f"Demo accounts (password: {password}):")
        for username, role in accounts:
            self.stdout.write(f"  {username:<10} {role}")
        if patients:
            self.stdout.write(f"  plus {patients} load-test patients load00001.. in nurse1's care")
