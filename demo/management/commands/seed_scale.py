"""Fill a PostgreSQL database with data at real size, for the scale benchmark."""

from django.core.management.base import BaseCommand, CommandError

from demo.scale import PRESETS, ScaleError, Size, seed_scale


class Command(BaseCommand):
    help = (
        "Write merchants, participations, products, price points, promotions in every status with checked items, "
        "their history and sales reports at a given size (PostgreSQL only; COPY). Rerunning with a bigger size "
        "adds only what is missing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--merchants", type=int, help="How many merchants (with --promotions).")
        parser.add_argument("--promotions", type=int, help="How many promotions (with --merchants).")
        parser.add_argument(
            "--preset",
            choices=list(PRESETS),
            help="; ".join(f"{name}: {m:,} merchants, {p:,} promotions" for name, (m, p) in PRESETS.items()),
        )
        parser.add_argument("--tenth", action="store_true", help="A tenth of a national festival (the 'tenth' preset).")

    def handle(self, *args, merchants=None, promotions=None, preset=None, tenth=False, **options):
        if tenth:
            preset = "tenth"
        if preset and (merchants or promotions):
            raise CommandError("Give either a preset (--preset, --tenth) or --merchants and --promotions, not both.")
        if preset:
            merchants, promotions = PRESETS[preset]
        if not merchants or not promotions or merchants < 1 or promotions < 1:
            raise CommandError("Say how much: --preset NAME, --tenth, or --merchants N --promotions N (both > 0).")
        try:
            made = seed_scale(Size(merchants, promotions), progress=self.stdout.write)
        except ScaleError as exc:
            raise CommandError(str(exc)) from exc
        for table, count in made.rows.items():
            self.stdout.write(f"{table:>22}: {count:,}")
        self.stdout.write(self.style.SUCCESS(f"Made {sum(made.rows.values()):,} rows."))
