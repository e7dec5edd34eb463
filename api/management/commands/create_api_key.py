"""python manage.py create_api_key --name NAME [--merchant USCC | --organiser SHORT_NAME] [--scopes a,b]

Prints the new key as the last line of output (it is stored hashed and cannot be shown again).
"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from api.models import ApiScope
from api.services import create_api_key
from merchants.models import Merchant
from merchants.uscc import normalise


class Command(BaseCommand):
    help = "Create a partner API key and print it (last line). Scopes: " + ", ".join(ApiScope.values)

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True, help="What the key is for, e.g. the partner's name.")
        parser.add_argument("--merchant", help="Bind the key to the merchant with this USCC.")
        parser.add_argument(
            "--organiser", help="Bind the key to the organiser with this short name (it sees what its team sees)."
        )
        parser.add_argument(
            "--scopes",
            default=ApiScope.READ,
            help=f"Comma-separated scopes (default: read). All: {','.join(ApiScope.values)}",
        )

    def handle(self, *args, name, merchant=None, organiser=None, scopes, **options):
        bound = bound_organiser = None
        if organiser:
            from festival.teams import find_organiser

            try:
                bound_organiser = find_organiser(organiser)
            except ValidationError as exc:
                raise CommandError("; ".join(exc.messages)) from None
        if merchant:
            bound = Merchant.objects.filter(uscc=normalise(merchant)).first()
            if bound is None:
                raise CommandError(f"No merchant has the USCC {merchant}.")
        try:
            api_key, raw_key = create_api_key(
                name=name, scopes=scopes.split(","), merchant=bound, organiser=bound_organiser
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        self.stdout.write(
            f"Created API key “{api_key.name}” (prefix {api_key.prefix}, scopes {','.join(api_key.scopes)}"
            + (f", merchant {bound}" if bound else "")
            + (f", organiser {bound_organiser}" if bound_organiser else "")
            + "). Store it now: it cannot be shown again."
        )
        self.stdout.write(raw_key)
