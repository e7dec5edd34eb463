"""``python manage.py seed_demo``: the 2020 festival, a current edition, a running special session and the demo logins."""

import time

from django.core.management.base import BaseCommand

from demo.builder import seed_demo
from demo.plan import DEMO_PASSWORD


class Command(BaseCommand):
    help = (
        "Create the demo data: the 2020 Double Product Online Shopping Festival with its 109 merchants, "
        "a current edition opening in a few days, a special session running now (live promotions), and demo "
        "logins. Running it again changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--quiet", action="store_true", help="Print nothing.")

    def handle(self, *args, quiet=False, **options):
        started = time.monotonic()
        result = seed_demo()
        if quiet:
            return
        if result.created:
            self.stdout.write(f"Created: {', '.join(result.created)} ({time.monotonic() - started:.1f} s).")
        else:
            self.stdout.write("The demo data is already there; nothing changed.")
        # Existing logins are left alone: a password changed since the first run stays changed.
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}, unchanged if you changed it):")
        for username, role in result.logins:
            self.stdout.write(f"  {username:<10} {role}")
