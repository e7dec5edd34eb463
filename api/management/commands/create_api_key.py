"""python manage.py create_api_key --name NAME [--merchant USCC | --carrier CODE | --organiser SHORT_NAME] [--scopes a,b]

Prints the new key as the last line of output (it is stored hashed and cannot be shown again).
"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from api.models import ApiScope
from api.services import create_api_key
from logistics.models import Carrier
from merchants.models import Merchant
from merchants.uscc import normalise


class Command(BaseCommand):
    help = "Create a partner API key and print it (last line). Scopes: " + ", ".join(ApiScope.values)

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True, help="What the key is for, e.g. the partner's name.")
        binding = parser.add_mutually_exclusive_group()
        binding.add_argument("--merchant", help="Bind the key to the merchant with this USCC.")
        binding.add_argument(
            "--carrier", help="Bind the key to the express carrier with this code (e.g. SF), for parcels:write."
        )
        binding.add_argument(
            "--organiser", help="Bind the key to the organiser with this short name (it sees what its team sees)."
        )
        parser.add_argument(
            "--scopes",
            default=ApiScope.READ,
            help=f"Comma-separated scopes (default: read). All: {','.join(ApiScope.values)}",
        )

    def handle(self, *args, name, merchant=None, carrier=None, organiser=None, scopes, **options):
        bound = bound_carrier = bound_organiser = None
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
        if carrier:
            bound_carrier = Carrier.objects.filter(code=carrier.strip().upper()).first()
            if bound_carrier is None:
                known = ", ".join(Carrier.objects.values_list("code", flat=True)) or "none yet"
                raise CommandError(f"No carrier has the code {carrier} (registered: {known}).")
        try:
            api_key, raw_key = create_api_key(
                name=name,
                scopes=scopes.split(","),
                merchant=bound,
                carrier=bound_carrier,
                organiser=bound_organiser,
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        self.stdout.write(
            f"Created API key “{api_key.name}” (prefix {api_key.prefix}, scopes {','.join(api_key.scopes)}"
            + (f", merchant {bound}" if bound else "")
            + (f", carrier {bound_carrier.code}" if bound_carrier else "")
            + (f", organiser {bound_organiser}" if bound_organiser else "")
            + "). Store it now: it cannot be shown again."
        )
        self.stdout.write(raw_key)
