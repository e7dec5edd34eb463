"""Reads for the merchant portal, always scoped to one merchant."""

from django.db.models import OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils import timezone

from festival.models import Category, Festival

from .models import Certificate, Membership, Merchant, Participation, ParticipationStatus, PricePoint, Product


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
