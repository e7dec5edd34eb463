"""Matching merchants against the official China Time-honoured Brands list."""

from django.db.models import Exists, F, OuterRef, Q, Value
from django.db.models.functions import Upper

from festival.models import CertificateKind

from .models import Merchant, TimeHonouredBrand


def time_honoured_matches(merchant: Merchant):
    """Official list entries that fit the merchant: its legal name is the listed
    company, or its name is (or contains) the listed brand."""
    name = Value(merchant.name or "")
    conditions = Q(brand__iexact=merchant.name) | Q(name_upper__contains=Upper(F("brand")))
    if merchant.legal_name:
        conditions |= Q(company__iexact=merchant.legal_name)
    return TimeHonouredBrand.objects.annotate(name_upper=Upper(name)).filter(conditions).order_by("brand")


def on_time_honoured_list(merchant_ref="merchant"):
    """An Exists() for querysets: is the (outer) merchant on the official list?

    Exact matches only (brand = name, or company = legal name) so it stays one
    indexed subquery on a change list; the change page shows the looser match.
    """
    prefix = f"{merchant_ref}__" if merchant_ref else ""
    return Exists(
        TimeHonouredBrand.objects.filter(
            Q(brand__iexact=OuterRef(f"{prefix}name")) | Q(company__iexact=OuterRef(f"{prefix}legal_name"))
        )
    )


def claims_time_honoured(participation_ref=""):
    """An Exists() for Participation querysets: does it claim a time-honoured category?"""
    from .models import Participation

    return Exists(
        Participation.categories.through.objects.filter(
            participation_id=OuterRef(f"{participation_ref}pk"),
            category__required_certificate_kind=CertificateKind.TIME_HONOURED,
        )
    )
