"""Recount the dashboard's roll-ups from the rows (after a bulk load, or to check them)."""

from django.core.management.base import BaseCommand

from merchants.daily_sales import rebuild_daily_sales
from merchants.tallies import rebuild_participation_tallies
from promotions.tallies import rebuild_tallies


class Command(BaseCommand):
    help = (
        "Recount the roll-ups the organisers' dashboard reads (promotions, item checks, participations and "
        "the days' sales) from the rows, and fix any row that differs (the nightly task runs the same check)."
    )

    def handle(self, *args, **options):
        drift = rebuild_tallies()
        self.stdout.write(f"Tallies rebuilt: {drift} row(s) differed from the promotions.")
        drift = rebuild_participation_tallies()
        self.stdout.write(f"Participation tallies rebuilt: {drift} row(s) differed from the participations.")
        drift = rebuild_daily_sales()
        self.stdout.write(f"Daily sales rebuilt: {drift} day(s) differed from the sales reports.")
