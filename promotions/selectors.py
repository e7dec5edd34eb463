"""Reads for promotions: a merchant's own (portal) and the public ones (consumer pages)."""

from collections import OrderedDict
from dataclasses import dataclass, field

from django.db.models import Count, F, Prefetch, QuerySet, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from festival import scoping
from festival.models import Category, Festival, FestivalStatus
from merchants.models import Merchant

from . import pricing
from .models import Promotion, PromotionEvent, PromotionItem, PromotionStatus

S = PromotionStatus

# The order the portal lists a merchant's promotions in: what needs the merchant first.
STATUS_ORDER = [
    S.CHANGES_REQUESTED,
    S.DRAFT,
    S.SUBMITTED,
    S.APPROVED,
    S.LIVE,
    S.ENDED,
    S.WITHDRAWN,
    S.CANCELLED,
]


def promotions_for(merchant: Merchant) -> QuerySet[Promotion]:
    return Promotion.objects.filter(merchant=merchant).select_related("festival")


def promotion_detail_for(merchant: Merchant) -> QuerySet[Promotion]:
    return promotions_for(merchant).prefetch_related(
        "categories",
        Prefetch("items", queryset=PromotionItem.objects.select_related("product").order_by("pk")),
        "events__actor",
    )


# The portal's home shows this many of each status, latest first; the rest are a click
# away on the status's own paginated list, so the page never grows with the merchant.
HOME_PER_STATUS = 10
# The order of a merchant's own lists (index promotion_merchant_recent serves it).
RECENT_FIRST = ("-updated_at", "-pk")


@dataclass
class StatusGroup:
    status: str
    count: int
    latest: list[Promotion] = field(default_factory=list)

    @property
    def has_more(self) -> bool:
        return self.count > len(self.latest)


def promotion_groups(merchant: Merchant, *, per_status: int = HOME_PER_STATUS) -> list[StatusGroup]:
    """The merchant's promotions by status, in STATUS_ORDER, empty statuses left out: each
    status's count and its ``per_status`` latest (two queries, whatever the merchant's size)."""
    counts = dict(Promotion.objects.filter(merchant=merchant).values_list("status").annotate(n=Count("pk")).order_by())
    rank = Window(RowNumber(), partition_by=F("status"), order_by=[F("updated_at").desc(), F("pk").desc()])
    latest = promotions_for(merchant).annotate(rank=rank).filter(rank__lte=per_status).order_by(*RECENT_FIRST)
    groups = {status: StatusGroup(status, counts[status]) for status in STATUS_ORDER if counts.get(status)}
    for promotion in latest:
        groups[promotion.status].latest.append(promotion)
    return list(groups.values())


def promotions_with_status(merchant: Merchant, status: str) -> QuerySet[Promotion]:
    """One status's list of the merchant's promotions, latest first (the home's "all …" link)."""
    return promotions_for(merchant).filter(status=status).order_by(*RECENT_FIRST)


def preview_checks(promotion: Promotion) -> list:
    """The honest-price check of every item, computed now and not stored (the submit stores it)."""
    items = list(promotion.items.select_related("product", "promotion__festival").order_by("pk"))
    return [pricing.check_item(item) for item in items]


# Public pages ------------------------------------------------------------------


def public_festivals() -> QuerySet[Festival]:
    return Festival.objects.exclude(status=FestivalStatus.PLANNED).order_by("-starts_at")


def featured_festival(*, now=None) -> Festival | None:
    """The festival the home page shows: the running one, else the next, else the latest."""
    now = now or timezone.now()
    festivals = Festival.objects.all()
    return (
        festivals.filter(starts_at__lte=now, ends_at__gt=now).order_by("starts_at").first()
        or festivals.filter(starts_at__gt=now).order_by("starts_at").first()
        or festivals.order_by("-starts_at").first()
    )


def public_promotions(festival: Festival, *, now=None, category: Category | None = None) -> QuerySet[Promotion]:
    """Live promotions of the festival, or (before it starts / after it ends) the approved or ended ones."""
    now = now or timezone.now()
    promotions = Promotion.objects.filter(festival=festival).public()
    live = promotions.live(at=now)
    if live.exists():
        promotions = live
    if category is not None:
        promotions = promotions.filter(categories__in=[category, *category.children.all()]).distinct()
    return promotions.select_related("merchant", "festival").prefetch_related(
        "categories",
        Prefetch("items", queryset=PromotionItem.objects.select_related("product").order_by("pk")),
    )


def promotions_by_category(promotions) -> "OrderedDict[Category | None, list[Promotion]]":
    """Group promotions under their first category (top-level), in category order."""
    groups: dict = {}
    for promotion in promotions:
        categories = sorted(promotion.categories.all(), key=lambda c: (c.position, c.pk))
        key = categories[0] if categories else None
        groups.setdefault(key, []).append(promotion)
    ordered = sorted(groups.items(), key=lambda pair: (pair[0] is None, pair[0].position if pair[0] else 0))
    return OrderedDict(ordered)


def public_categories() -> QuerySet[Category]:
    return Category.objects.filter(parent__isnull=True).order_by("position", "pk")


# Organisers' teams (issue 14): the one scoping selector per model (festival/scoping.py).
# A promotion belongs to the festival it is filed for; its items and history follow it.


def _base(model, queryset):
    return model._default_manager.all() if queryset is None else queryset


def visible_promotions(user, *, perm=None, queryset=None) -> QuerySet[Promotion]:
    return scoping.scope(_base(Promotion, queryset), scoping.festival_q(user, perm=perm))


def visible_promotion_items(user, *, perm=None, queryset=None) -> QuerySet[PromotionItem]:
    return scoping.scope(
        _base(PromotionItem, queryset), scoping.festival_q(user, perm=perm, field="promotion__festival")
    )


def visible_promotion_events(user, *, perm=None, queryset=None) -> QuerySet[PromotionEvent]:
    return scoping.scope(
        _base(PromotionEvent, queryset), scoping.festival_q(user, perm=perm, field="promotion__festival")
    )


scoping.register(Promotion, visible_promotions)
scoping.register(PromotionItem, visible_promotion_items)
scoping.register(PromotionEvent, visible_promotion_events)
