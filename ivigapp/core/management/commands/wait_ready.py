import json
import signal
import time
import urllib.error
import urllib.request

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Waits until /healthz answers 200, prints where to sign in, then waits to be stopped."

    def add_arguments(self, parser):
        parser.add_argument("--url", required=True)
        parser.add_argument("--timeout", type=int, default=120)

    def handle(self, *args, url, timeout, **options):
        deadline = time.monotonic() + timeout
        report = {}
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{url}/healthz", timeout=3) as response:
                    report = json.load(response)
                    break
            except urllib.error.HTTPError as error:
                report = json.load(error)
            except OSError:
                pass
            time.sleep(1)
        else:
            raise CommandError(f"ivigapp did not become healthy in {timeout} s: {report}")
        self.stdout.write(self.style.SUCCESS(f"ivigapp is up: {url}/  (sign in at {url}/accounts/login/)"))
        self.stdout.write("Accounts: lead, approver, nurse1, nurse2, patient1-patient4; password printed above.")
        # honcho stops everything when one process exits, so this one waits for the Ctrl-C.
        signal.pause()
