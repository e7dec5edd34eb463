"""Reads for the merchant portal, always scoped to one merchant."""

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils import timezone

from festival import scoping
from festival.models import Category, Festival

from .models import (
    Certificate,
    CertificateEvent,
    Membership,
    Merchant,
    Participation,
    ParticipationEvent,
    ParticipationStatus,
    PricePoint,
    Product,
    SalesReport,
    TimeHonouredBrand,
)


def membership_for(user) -> Membership | None:
    """The user's membership with its merchant, or None for users who work for no merchant."""
    if user is None or not user.is_authenticated:
        return None
    return Membership.objects.select_related("merchant").filter(user=user).first()


def participations_for(merchant: Merchant) -> QuerySet[Participation]:
    return (
        Participation.objects.filter(merchant=merchant)
        .select_related("festival")
        .prefetch_related(Prefetch("categories", queryset=Category.objects.order_by("position", "pk")))
        .order_by("-festival__starts_at")
    )


def approved_festivals_for(merchant: Merchant) -> QuerySet[Festival]:
    """Festivals the merchant may file promotions in."""
    return Festival.objects.filter(
        participations__merchant=merchant, participations__status=ParticipationStatus.APPROVED
    ).order_by("-starts_at")


def festivals_open_for_promotions(merchant: Merchant, *, now=None) -> QuerySet[Festival]:
    """Approved festivals that have not ended: a new promotion can still run in them."""
    now = now or timezone.now()
    return approved_festivals_for(merchant).filter(ends_at__gt=now)


def festivals_open_for_application(merchant: Merchant, *, now=None) -> QuerySet[Festival]:
    """Festivals whose registration is open and that the merchant has not joined (or was rejected from)."""
    now = now or timezone.now()
    joined = Participation.objects.filter(merchant=merchant).exclude(status=ParticipationStatus.REJECTED)
    return (
        Festival.objects.filter(registration_opens_at__lte=now, registration_closes_at__gte=now)
        .exclude(pk__in=joined.values("festival_id"))
        .order_by("starts_at")
    )


def certificates_for(merchant: Merchant) -> QuerySet[Certificate]:
    return Certificate.objects.filter(merchant=merchant).order_by("-created_at", "-pk")


def products_for(merchant: Merchant) -> QuerySet[Product]:
    return Product.objects.filter(merchant=merchant).select_related("category").order_by("sku")


def products_with_latest_price(merchant: Merchant, *, search: str = "") -> QuerySet[Product]:
    latest = PricePoint.objects.filter(product=OuterRef("pk")).order_by("-recorded_at")
    products = products_for(merchant).annotate(
        latest_price=Subquery(latest.values("price")[:1]),
        latest_price_at=Subquery(latest.values("recorded_at")[:1]),
    )
    if search:
        products = products.filter(Q(sku__icontains=search) | Q(name__icontains=search))
    return products


def price_history(product: Product, *, limit: int = 60) -> list[PricePoint]:
    return list(product.price_points.order_by("-recorded_at")[:limit])


# Organisers' teams (issue 14): the one scoping selector per model -------------------------
#
# A merchant belongs to the teams of the festivals it takes part in (any participation, in
# any status); a merchant in no festival yet belongs to the national organisers' teams and to
# the provincial teams of its province. Everything of a merchant (certificates, people,
# products, prices) follows its merchant; a participation and a sales report follow their
# festival. See festival/scoping.py.


def _merchant_q(user, perm, field="pk"):
    ids = scoping.organiser_ids(user, perm)
    if ids is scoping.ALL:
        return None
    ids = list(ids)
    in_festivals = Participation.objects.filter(festival_id__in=scoping.festival_ids_for(ids)).values("merchant_id")
    pool = (
        Merchant.objects.exclude(pk__in=Participation.objects.values("merchant_id"))
        .filter(
            Q(province__in=scoping.provincial_organisers(ids).values("province"))
            | Exists(scoping.national_organisers(ids))
        )
        .values("pk")
    )
    return Q(**{f"{field}__in": in_festivals}) | Q(**{f"{field}__in": pool})


def _base(model, queryset):
    return model._default_manager.all() if queryset is None else queryset


def visible_merchants(user, *, perm=None, queryset=None) -> QuerySet[Merchant]:
    return scoping.scope(_base(Merchant, queryset), _merchant_q(user, perm))


def visible_certificates(user, *, perm=None, queryset=None) -> QuerySet[Certificate]:
    return scoping.scope(_base(Certificate, queryset), _merchant_q(user, perm, "merchant_id"))


def visible_certificate_events(user, *, perm=None, queryset=None) -> QuerySet[CertificateEvent]:
    return scoping.scope(_base(CertificateEvent, queryset), _merchant_q(user, perm, "certificate__merchant_id"))


def visible_memberships(user, *, perm=None, queryset=None) -> QuerySet[Membership]:
    return scoping.scope(_base(Membership, queryset), _merchant_q(user, perm, "merchant_id"))


def visible_products(user, *, perm=None, queryset=None) -> QuerySet[Product]:
    return scoping.scope(_base(Product, queryset), _merchant_q(user, perm, "merchant_id"))


def visible_price_points(user, *, perm=None, queryset=None) -> QuerySet[PricePoint]:
    return scoping.scope(_base(PricePoint, queryset), _merchant_q(user, perm, "product__merchant_id"))


def visible_participations(user, *, perm=None, queryset=None) -> QuerySet[Participation]:
    return scoping.scope(_base(Participation, queryset), scoping.festival_q(user, perm=perm))


def visible_participation_events(user, *, perm=None, queryset=None) -> QuerySet[ParticipationEvent]:
    return scoping.scope(
        _base(ParticipationEvent, queryset), scoping.festival_q(user, perm=perm, field="participation__festival")
    )


def visible_sales_reports(user, *, perm=None, queryset=None) -> QuerySet[SalesReport]:
    return scoping.scope(_base(SalesReport, queryset), scoping.festival_q(user, perm=perm))


def visible_time_honoured_brands(user, *, perm=None, queryset=None) -> QuerySet[TimeHonouredBrand]:
    """The official list is a reference table every team reads."""
    return _base(TimeHonouredBrand, queryset)


for _model, _selector in (
    (Merchant, visible_merchants),
    (Certificate, visible_certificates),
    (CertificateEvent, visible_certificate_events),
    (Membership, visible_memberships),
    (Product, visible_products),
    (PricePoint, visible_price_points),
    (Participation, visible_participations),
    (ParticipationEvent, visible_participation_events),
    (SalesReport, visible_sales_reports),
    (TimeHonouredBrand, visible_time_honoured_brands),
):
    scoping.register(_model, _selector)
