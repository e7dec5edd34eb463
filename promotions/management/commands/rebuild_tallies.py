"""Recount the dashboard's roll-ups from the rows (after a bulk load, or to check them)."""

from django.core.management.base import BaseCommand

from promotions.tallies import rebuild_tallies


class Command(BaseCommand):
    help = (
        "Recount the promotion and item-check tallies the organisers' dashboard reads from the promotions "
        "and their items, and fix any row that differs (the nightly task runs the same check)."
    )

    def handle(self, *args, **options):
        drift = rebuild_tallies()
        self.stdout.write(f"Tallies rebuilt: {drift} row(s) differed from the promotions.")
