"""Reads of the public site. Every public read starts from ``visible_promotions``
or ``visible_merchants``: public statuses only (promotions.models.PUBLIC_STATUSES),
merchants with an approved participation only, failed items never."""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from operator import attrgetter
from typing import NamedTuple

from django.core.exceptions import EmptyResultSet
from django.core.paginator import Page, Paginator
from django.db import IntegrityError, connection, transaction
from django.db.models import (
    Count,
    Exists,
    F,
    Max,
    Min,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Sum,
    Window,
)
from django.db.models.base import DEFERRED
from django.db.models.expressions import Col
from django.db.models.functions import RowNumber
from django.utils import timezone
from django.utils.functional import cached_property

from festival.models import Category, CertificateKind, Festival, FestivalStatus
from logistics.selectors import FestivalParcels, festival_parcels
from merchants.models import (
    Certificate,
    CertificateStatus,
    Merchant,
    MerchantKind,
    Participation,
    ParticipationStatus,
    PricePoint,
    Product,
    SalesReport,
)
from promotions.models import CategoryTally, CheckStatus, Promotion, PromotionItem, PromotionKind, PromotionStatus
from promotions.pricing.final import Offer, compute_final_price
from promotions.pricing.money import PricingError
from promotions.results import LATE_REPORT_DAYS
from promotions.search import has_search_document, narrowed_by_document

from .models import ResultsSnapshot

PAGE_SIZE = 24
# A closed festival's published results are recounted at most this often while merchants
# may still correct their sales (promotions.results.LATE_REPORT_DAYS), then kept.
RESULTS_RECOUNT_AFTER = timedelta(hours=1)
PRODUCE_CERTIFICATES = (
    CertificateKind.GREEN_FOOD,
    CertificateKind.ORGANIC,
    CertificateKind.GEOGRAPHICAL_INDICATION,
    CertificateKind.POLLUTION_FREE,
)
# Days of recorded prices the chart shows before the lookback window.
CHART_DAYS_BEFORE_WINDOW = 30
SORTS = ("start", "discount", "price")


# The two visibility rules -----------------------------------------------------------


def approved_participation(merchant_ref="merchant", festival_ref="festival") -> Exists:
    """An approved participation of the merchant in the festival (OuterRef names)."""
    return Exists(
        Participation.objects.filter(
            merchant=OuterRef(merchant_ref), festival=OuterRef(festival_ref), status=ParticipationStatus.APPROVED
        )
    )


def visible_promotions(festival: Festival | None = None) -> QuerySet[Promotion]:
    promotions = _public_promotions().all()  # a copy: the kept queryset is never evaluated
    if festival is not None:
        promotions = promotions.filter(festival=festival)
    return promotions


@lru_cache(maxsize=1)
def _public_promotions() -> QuerySet[Promotion]:
    # Built once: every public page starts here, some three times, and building the
    # participation subquery costs more than copying it.
    return Promotion.objects.public().filter(approved_participation())


def visible_items() -> QuerySet[PromotionItem]:
    return PromotionItem.objects.exclude(check_status=CheckStatus.FAIL).select_related("product").order_by("pk")


def visible_merchants(festival: Festival | None = None) -> QuerySet[Merchant]:
    participations = Participation.objects.filter(merchant=OuterRef("pk"), status=ParticipationStatus.APPROVED)
    if festival is not None:
        participations = participations.filter(festival=festival)
    return Merchant.objects.filter(Exists(participations))


# What a promotion card reads (public.cards), so the list query carries no description or review notes.
CARD_PROMOTION_FIELDS = (
    "pk",
    "festival_id",
    "merchant_id",
    "title",
    "kind",
    "status",
    "starts_at",
    "ends_at",
    "banner",
    "banner_thumbnail",
    "percent_off",
    "amount_off",
    "threshold_amount",
    "coupon_value",
    "coupon_quantity",
    "flash_quantity",
    "stream_host",
)
# What a card shows of an item: its product's name and what its badge needs (in this order).
CARD_ITEM_FIELDS = (
    "promotion_id",
    "pk",
    "product__name",
    "promo_price",
    "check_status",
    "reference_price",
    "reference_source",
    "checked_at",
)
CARD_ITEMS = 3


def card_items(promotion_ids) -> dict[int, list[tuple]]:
    """The items the cards of ``promotion_ids`` show, in one query: the first
    ``CARD_ITEMS`` shown items of each (by pk), as ``CARD_ITEM_FIELDS`` tuples
    by promotion id.

    The same rows as ``visible_items()`` numbered per promotion and cut at
    ``CARD_ITEMS`` (``card_items_queryset``; a test holds them equal), written
    out because every list page reads it and the ORM takes three times longer to
    build that query than the database to run it.
    """
    promotion_ids = list(promotion_ids)
    if not promotion_ids:
        return {}
    sql, fields = _card_items_sql(len(promotion_ids), connection.vendor)
    converters = [
        (i, converters)
        for i, converters in enumerate(
            connection.ops.get_db_converters(Col("shown", field)) + field.get_db_converters(connection)
            for field in fields
        )
        if converters
    ]
    by_promotion: dict[int, list[tuple]] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, [*promotion_ids, CheckStatus.FAIL, CARD_ITEMS])
        for row in cursor.fetchall():
            if converters:
                row = list(row)
                for i, field_converters in converters:
                    for convert in field_converters:
                        row[i] = convert(row[i], Col("shown", fields[i]), connection)
            by_promotion.setdefault(row[0], []).append(tuple(row))
    return by_promotion


def card_items_queryset(promotion_ids) -> QuerySet[PromotionItem]:
    """What ``card_items`` reads, in the ORM (a window over ``visible_items()``)."""
    return (
        visible_items()
        .filter(promotion_id__in=promotion_ids)
        .annotate(position=Window(RowNumber(), partition_by=F("promotion_id"), order_by=F("pk").asc()))
        .filter(position__lte=CARD_ITEMS)
        .order_by("promotion_id", "pk")
        .values_list(*CARD_ITEM_FIELDS)
    )


@lru_cache(maxsize=64)
def _card_items_sql(count: int, vendor: str) -> tuple[str, list]:
    """The SQL of ``card_items`` for ``count`` promotions, and the fields of its columns."""
    item, product = PromotionItem._meta, Product._meta
    fields = [item.get_field("promotion"), item.get_field("id"), product.get_field("name")] + [
        item.get_field(name)
        for name in ("promo_price", "check_status", "reference_price", "reference_source", "checked_at")
    ]
    quote = connection.ops.quote_name
    promotion, pk = quote(item.get_field("promotion").column), quote(item.get_field("id").column)
    product_fk = quote(item.get_field("product").column)
    item_columns = [fields[0], fields[1], *fields[3:]]
    names = [f"c{n}" for n in range(len(fields))]
    inner = ", ".join(
        f"i.{quote(field.column)} AS {name}"
        for field, name in zip(item_columns, [names[0], names[1], *names[3:]], strict=True)
    )
    outer = ", ".join(
        f"(SELECT p.{quote(product.get_field('name').column)} FROM {quote(product.db_table)} p "
        f"WHERE p.{quote(product.pk.column)} = shown.product_ref) AS {name}"
        if name == "c2"
        else name
        for name in names
    )
    # The product's name is looked up for the kept rows only, one index probe each (a scalar
    # subquery, which the planner cannot turn into a hash join over every product).
    sql = f"""
        SELECT {outer} FROM (
            SELECT {inner}, i.{product_fk} AS product_ref,
                   ROW_NUMBER() OVER (PARTITION BY i.{promotion} ORDER BY i.{pk}) AS position
            FROM {quote(item.db_table)} i
            WHERE i.{promotion} IN ({", ".join(["%s"] * count)})
              AND NOT (i.{quote(item.get_field("check_status").column)} = %s)
        ) shown
        WHERE position <= %s
        ORDER BY c0, c1
    """  # only table and column names from the models, and placeholders
    return sql, fields


def with_cards(promotions: QuerySet[Promotion], *, festival: Festival | None = None) -> QuerySet[Promotion]:
    """The promotions with what their cards show (public.cards.promotion_cards adds
    their first items in one more query): only the fields a card reads, and the
    merchant's name (``merchant_name``; the merchant itself is not read).

    ``festival``: the one festival all the promotions belong to; the query then
    leaves it out and ``promotion_cards(..., festival=festival)`` attaches it.
    """
    promotions = promotions.only(*CARD_PROMOTION_FIELDS).annotate(merchant_name=F("merchant__name"))
    if festival is not None:
        return promotions
    return promotions.select_related("festival").only(*CARD_PROMOTION_FIELDS, "festival")


# Festivals ----------------------------------------------------------------------------


def featured_festival(*, now: datetime) -> Festival | None:
    """The festival the home page shows: the running one, else the next, else the latest."""
    festivals = Festival.objects.filter(parent__isnull=True).prefetch_related("organisers")  # editions, not 分会场
    return (
        festivals.filter(starts_at__lte=now, ends_at__gt=now).order_by("starts_at").first()
        or festivals.filter(starts_at__gt=now).order_by("starts_at").first()
        or festivals.order_by("-starts_at").first()
    )


def past_and_current_festivals(*, now: datetime) -> QuerySet[Festival]:
    """Editions that have started (never an upcoming one), newest first; sub-festivals are listed on their edition's page."""
    return (
        Festival.objects.filter(starts_at__lte=now, parent__isnull=True)
        .exclude(status=FestivalStatus.PLANNED)
        .order_by("-starts_at")
    )


def sub_festivals(festival: Festival) -> list[Festival]:
    """An edition's sub-festivals (分会场), in the order they open, with their organisers."""
    return list(festival.sub_festivals.prefetch_related("organisers").order_by("starts_at", "pk"))


def festival_family(festival: Festival) -> list[int]:
    """The festival and its sub-festivals (ids): an edition's results roll them up."""
    return [festival.pk, *Festival.objects.filter(parent=festival).values_list("pk", flat=True)]


class HomeFestivals(NamedTuple):
    featured: Festival | None
    editions: list[Festival]  # the other past and current editions, newest first
    sub_festivals: list[Festival]  # the featured edition's, in the order they open


def home_festivals(*, now: datetime) -> HomeFestivals:
    """``featured_festival``, the other ``past_and_current_festivals`` (the home
    page's "past editions") and the featured edition's ``sub_festivals``, from one
    read of the festivals and one of their organisers."""
    festivals = list(Festival.objects.prefetch_related("organisers").order_by("-starts_at"))
    # Editions only: a sub-festival (分会场) is listed on its edition's page.
    editions = [f for f in festivals if f.parent_id is None]
    first = attrgetter("starts_at", "pk")
    running = [f for f in editions if f.starts_at <= now < f.ends_at]
    upcoming = [f for f in editions if f.starts_at > now]
    featured = (
        min(running, key=first) if running else min(upcoming, key=first) if upcoming else next(iter(editions), None)
    )
    past = [f for f in editions if f.starts_at <= now and f.status != FestivalStatus.PLANNED and f is not featured]
    subs = [] if featured is None else sorted((f for f in festivals if f.parent_id == featured.pk), key=first)
    return HomeFestivals(featured, past, subs)


def festival_phase(festival: Festival, *, now: datetime) -> str:
    if now < festival.starts_at:
        return "upcoming"
    if now < festival.ends_at:
        return "running"
    return "ended"


@dataclass
class CategoryCount:
    category: Category
    count: int


def category_counts(festival: Festival) -> list[CategoryCount]:
    """Top-level categories with the number of public promotions live now: a promotion in a
    sub-category counts for its parent, and once however many of the family it is in.

    Read from the roll-up the services and the clock keep exact (promotions.tallies,
    ``CategoryTally``: live promotions of approved participants), one row per category, not
    counted from a national festival's live promotions on every view. "Live" is the promotion's
    status, which the clock sets when its window opens and closes."""
    counts = dict(
        CategoryTally.objects.filter(festival=festival, status=PromotionStatus.LIVE, listed=True).values_list(
            "category_id", "count"
        )
    )
    categories = Category.objects.filter(parent__isnull=True).order_by("position", "pk")
    return [CategoryCount(category, counts.get(category.pk, 0)) for category in categories]


def merchants_with_certificates(festival: Festival, kinds, *, limit=12) -> list[Merchant]:
    """Merchants of the festival with a verified certificate of one of ``kinds`` (their id and
    name): what ``certified_merchants`` reads for one group, in the ORM."""
    verified = Certificate.objects.filter(merchant=OuterRef("pk"), status=CertificateStatus.VERIFIED, kind__in=kinds)
    return list(visible_merchants(festival).filter(Exists(verified)).only("pk", "name").order_by("name", "pk")[:limit])


def certified_merchants(festival: Festival, groups: dict[str, tuple], *, limit=12) -> dict[str, list[Merchant]]:
    """``merchants_with_certificates`` for each of ``groups`` (a name: its certificate
    kinds), in one query: the first ``limit`` merchants of each group by name.

    The same rows (a test holds them equal), written out as one UNION ALL of a
    LIMIT per group, which the ORM does not build on every database, and because
    the home page reads it on every page-cache miss and the ORM takes longer to
    build the two queries than the database to run them.
    """
    if not groups:
        return {}
    sql, fields = _certified_merchants_sql(tuple(len(kinds) for kinds in groups.values()), connection.vendor)
    params = []
    for n, kinds in enumerate(groups.values()):
        params += [n, festival.pk, ParticipationStatus.APPROVED, CertificateStatus.VERIFIED, *kinds, limit]
    found: dict[str, list[Merchant]] = {name: [] for name in groups}
    names = list(groups)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for group, pk, name in cursor.fetchall():
            found[names[group]].append(Merchant.from_db(connection.alias, fields, (pk, name)))
    return found


@lru_cache(maxsize=8)
def _certified_merchants_sql(kinds_per_group: tuple[int, ...], vendor: str) -> tuple[str, list[str]]:
    """The SQL of ``certified_merchants`` for groups of that many kinds, and the fields it reads."""
    quote = connection.ops.quote_name
    merchant, participation, certificate = Merchant._meta, Participation._meta, Certificate._meta

    def column(meta, name):
        return quote(meta.get_field(name).column)

    pk, name = column(merchant, "id"), column(merchant, "name")
    parts = [
        f"""SELECT * FROM (
            SELECT %s AS grp, m.{pk} AS pk, m.{name} AS name FROM {quote(merchant.db_table)} m
            WHERE EXISTS (SELECT 1 FROM {quote(participation.db_table)} pa
                          WHERE pa.{column(participation, "merchant")} = m.{pk}
                            AND pa.{column(participation, "festival")} = %s
                            AND pa.{column(participation, "status")} = %s)
              AND EXISTS (SELECT 1 FROM {quote(certificate.db_table)} ce
                          WHERE ce.{column(certificate, "merchant")} = m.{pk}
                            AND ce.{column(certificate, "status")} = %s
                            AND ce.{column(certificate, "kind")} IN ({", ".join(["%s"] * count)}))
            ORDER BY m.{name}, m.{pk}
            LIMIT %s
        ) group{n}"""
        for n, count in enumerate(kinds_per_group)
    ]
    # The order of each group as its LIMIT chose it (the database's collation, not Python's).
    sql = " UNION ALL ".join(parts) + " ORDER BY grp, name, pk"  # only table and column names, and placeholders
    return sql, ["id", "name"]


# Promotions list ----------------------------------------------------------------------


@dataclass
class PromotionFilters:
    category: str = ""
    merchant_kind: str = ""
    kind: str = ""
    certificate: str = ""
    q: str = ""
    sort: str = "start"
    unknown: list[str] = field(default_factory=list)

    @classmethod
    def from_query(cls, params) -> PromotionFilters:
        """Unknown values are dropped (and named), never an error: the page shows what is known."""
        filters, unknown = cls(), []
        filters.q = params.get("q", "").strip()[:100]
        for name, allowed in (
            ("merchant_kind", MerchantKind.values),
            ("kind", PromotionKind.values),
            ("certificate", CertificateKind.values),
            ("sort", SORTS),
        ):
            value = params.get(name, "").strip()
            if value and value not in allowed:
                unknown.append(name)
            elif value:
                setattr(filters, name, value)
        filters.category = params.get("category", "").strip()[:60]
        filters.unknown = unknown
        return filters


def search_promotions(festival: Festival, filters: PromotionFilters) -> QuerySet[Promotion]:
    promotions = visible_promotions(festival)
    if filters.category:
        # Exists, not a join: a promotion in the category and in one of its children is listed (and counted) once.
        in_category = Promotion.categories.through.objects.filter(promotion=OuterRef("pk")).filter(
            Q(category__slug=filters.category) | Q(category__parent__slug=filters.category)
        )
        promotions = promotions.filter(Exists(in_category))
    if filters.merchant_kind:
        promotions = promotions.filter(merchant__kind=filters.merchant_kind)
    if filters.kind:
        promotions = promotions.filter(kind=filters.kind)
    if filters.certificate:
        promotions = promotions.filter(
            Exists(
                Certificate.objects.filter(
                    merchant=OuterRef("merchant"), kind=filters.certificate, status=CertificateStatus.VERIFIED
                )
            )
        )
    if filters.q:
        promotions = _matching(promotions, filters.q)
    shown_items = ~Q(items__check_status=CheckStatus.FAIL)
    if filters.sort == "discount":
        promotions = promotions.annotate(best=Max("items__real_discount_percent", filter=shown_items)).order_by(
            "-best", "starts_at", "pk"
        )
    elif filters.sort == "price":
        promotions = promotions.annotate(lowest=Min("items__promo_price", filter=shown_items)).order_by(
            "lowest", "starts_at", "pk"
        )
    else:
        promotions = promotions.order_by("starts_at", "pk")
    return promotions


def _matching(promotions: QuerySet[Promotion], q: str) -> QuerySet[Promotion]:
    """The promotions whose title, merchant's name or a shown item's product name holds
    ``q`` (case-insensitive substring: Chinese has no spaces to split words at).

    On PostgreSQL the promotion's search document first narrows the rows
    (``promotions.search.narrowed_by_document``: an index of its trigrams or of its characters
    and pairs for a rare word, a walk in the list's order for a common one); only those candidates are
    rechecked with the exact rules below, so a common word no longer makes the database
    collect every matching product first.
    """
    if has_search_document(promotions):
        promotions = narrowed_by_document(promotions, q)
    # The extra (always true) comparison with the outer row keeps PostgreSQL from turning
    # the EXISTS into a hash of every item whose name matches (slow for a common word at
    # size): each candidate looks its own few items up instead.
    in_items = visible_items().filter(
        promotion=OuterRef("pk"), promotion_id__gte=OuterRef("pk"), product__name__icontains=q
    )
    # The merchant's name the same way: as a join, counting a common word's matches hashed
    # every merchant of the database; each candidate now looks its own merchant up.
    in_merchant = Merchant.objects.filter(
        pk=OuterRef("merchant_id"), pk__gte=OuterRef("merchant_id"), name__icontains=q
    )
    return promotions.filter(Q(title__icontains=q) | Exists(in_merchant) | Exists(in_items))


def paginate(queryset, page_number, *, per_page=PAGE_SIZE):
    return Paginator(queryset, per_page).get_page(page_number)


# A list counts its matches exactly up to here; beyond, it says "1,000+" and pages
# through the first 1,000 (narrowing the filters finds the rest). Counting every live
# promotion of a national festival on each view is what stopped the page answering.
LIST_COUNT_LIMIT = 1_000


class BoundedPaginator(Paginator):
    """A Paginator over at most ``LIST_COUNT_LIMIT`` rows, counted with one query that
    stops there (``is_bounded`` says there were more). ``counted``: the same rows
    without what only the page shows (the joins of ``with_cards``), so the count does
    not make them."""

    is_bounded = False

    def __init__(self, object_list, per_page, *, counted=None, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.counted = object_list if counted is None else counted

    @cached_property
    def count(self):
        found = self.counted.order_by()[: LIST_COUNT_LIMIT + 1].count()
        self.is_bounded = found > LIST_COUNT_LIMIT
        return min(found, LIST_COUNT_LIMIT)


def paginate_counted(queryset: QuerySet, page_number, *, per_page=None, counted: QuerySet | None = None) -> Page:
    """``paginate`` with a bounded count (``BoundedPaginator``) and the page's rows
    fetched: two queries, whatever the number of matches. The rules are Django's
    (``Paginator.get_page``): a page that is not a number is the first; one out of
    range is the last."""
    page = BoundedPaginator(queryset, per_page or PAGE_SIZE, counted=counted).get_page(page_number)
    page.object_list = list(page.object_list)
    return page


class ListedPaginator(Paginator):
    """A Paginator told how many promotions a list found (``listed_promotions``): it
    pages through the first ``LIST_COUNT_LIMIT`` of them (``is_bounded``: there were more)."""

    def __init__(self, found: int, per_page: int):
        super().__init__((), per_page)
        self.count = min(found, LIST_COUNT_LIMIT)
        self.is_bounded = found > LIST_COUNT_LIMIT


@dataclass
class ListedPage:
    page: Page  # its object_list: the page's promotions with what their cards read
    items: dict[int, list[tuple]]  # their card items, as card_items reads them


def listed_promotions(found: QuerySet[Promotion], page_number, *, festival: Festival, per_page=None) -> ListedPage:
    """The page ``page_number`` of the promotions ``found`` (of ``festival``, in the
    list's order) with what their cards show, by Django's rules (``Paginator.get_page``:
    a page that is not a number is the first, one out of range the last), whatever the
    number of matches.

    The list pages through its first ``LIST_COUNT_LIMIT`` matches (``ListedPaginator``):
    they are counted up to there, and the page read with its cards' items, in one query
    on PostgreSQL (``card_lists``).
    """
    per_page = per_page or PAGE_SIZE
    asked = _page_asked(page_number)
    number = min(asked or 1, math.ceil(LIST_COUNT_LIMIT / per_page))  # beyond: the last page, whatever the count
    found_count, promotions, items = _listed(found, number, per_page, festival)
    paginator = ListedPaginator(found_count, per_page)
    if asked is None or number > paginator.num_pages:
        last = paginator.num_pages
        if last != number:
            number = last
            found_count, promotions, items = _listed(found, number, per_page, festival)
            paginator = ListedPaginator(found_count, per_page)
    return ListedPage(page=Page(promotions, number, paginator), items=items)


def _page_asked(page_number) -> int | None:
    """The page asked for, by ``Paginator.validate_number``'s rules but the upper bound
    (checked once the count is known): 1 for what is not a whole number, None (the last
    page) for one below 1."""
    try:
        if isinstance(page_number, float) and not page_number.is_integer():
            raise ValueError
        number = int(page_number)
    except (TypeError, ValueError):
        return 1
    return number if number >= 1 else None


def _listed(found, number, per_page, festival) -> tuple[int, list[Promotion], dict]:
    start = (number - 1) * per_page
    stop = min(start + per_page, LIST_COUNT_LIMIT)
    # The matches counted up to the limit in no order (the first ones found), the page's
    # ids in the list's order: sorting every match up to the limit costs more than both.
    if connection.vendor == "postgresql" and (ordered := _ordered_matches(found)):
        read = _listed_page_on_postgresql(*ordered, start, stop, festival)
    else:
        page = found.values_list("pk", flat=True)[start:stop]
        read = card_lists(page, festival=festival, counted=found.order_by().values("pk")[: LIST_COUNT_LIMIT + 1])
    return read.count, read.lists[0], read.items


def _ordered_matches(found: QuerySet) -> tuple[QuerySet, int, str] | None:
    """``found`` unordered, as rows of its pk and what it is ordered by, with that order as
    SQL over those rows' columns (``c0``: the pk, ``c1``…), so the count and the page can
    share one compiled query; None when the order is not by names (fields, annotations)."""
    ordering = found.query.order_by
    if not ordering or not all(isinstance(name, str) and name.lstrip("-") and name != "?" for name in ordering):
        return None
    names = list(dict.fromkeys(["pk", *(name.lstrip("-") for name in ordering)]))
    rows = found.order_by().values_list(*names)
    query = rows.query
    selected = list(query.selected or ())  # the SQL's columns, in its order
    if sorted(selected) != sorted(names):
        return None
    order = ", ".join(
        f"c{selected.index(name.lstrip('-'))} {'DESC' if name.startswith('-') else 'ASC'}" for name in ordering
    )
    return rows, len(selected), order


def _listed_page_on_postgresql(
    rows: QuerySet, width: int, order: str, start: int, stop: int, festival: Festival
) -> CardLists:
    """``card_lists`` of one page of a list (the rows ``start:stop`` of ``rows``, ``width``
    columns, in ``order``) and its count up to the limit, with the matches' query compiled
    once: a CTE that PostgreSQL inlines into both (NOT MATERIALIZED), so each plans as if
    written out."""
    rows_sql, rows_params = _sql_of(rows, width=width)
    sql, params, fields = _card_lists_around(
        "(SELECT count(*) FROM (SELECT 1 FROM matches LIMIT %s) counted)",
        [f"SELECT c0 FROM matches ORDER BY {order} LIMIT %s OFFSET %s"],
    )
    columns = ", ".join(f"c{n}" for n in range(width))  # names made here, for ``order``
    sql = f"WITH matches({columns}) AS NOT MATERIALIZED ({rows_sql}) {sql}"
    params = [*rows_params, *params, LIST_COUNT_LIMIT + 1, max(stop - start, 0), start]
    return _card_lists_read(sql, params, fields, lists=1, festival=festival)


@dataclass
class CardLists:
    lists: list[list[Promotion]]  # the promotions of each list, in its order
    items: dict[int, list[tuple]]  # their card items by promotion id, as card_items reads them
    count: int | None = None  # the rows of ``counted``, when asked


def card_lists(*lists: QuerySet, festival: Festival, counted: QuerySet | None = None) -> CardLists:
    """The promotions of ``lists`` (querysets of the ids of ``festival``'s promotions,
    ordered and sliced) with what their cards show, and the number of rows of
    ``counted`` if given, in one query on PostgreSQL: ours around the ORM's SQL of each
    list (``_card_lists_sql``), which sees one snapshot. Elsewhere: each list's ids, the
    count, their rows (``card_promotions``: one deleted in between is left out), their
    items (``card_items``).

    Each of these read by the ORM on its own (a list's rows, the count, the items) cost
    the public pages more time building and planning queries than running them.
    """
    read = _card_lists_on_postgresql if connection.vendor == "postgresql" else _card_lists_anywhere
    return read(lists, festival, counted)


def _card_lists_anywhere(lists, festival, counted) -> CardLists:
    ids = [list(listed) for listed in lists]
    count = None if counted is None else counted.count()
    every = card_promotions([pk for listed in ids for pk in listed], festival=festival)
    by_pk = {promotion.pk: promotion for promotion in every}
    shown = [[by_pk[pk] for pk in listed if pk in by_pk] for listed in ids]
    return CardLists(lists=shown, items=card_items(by_pk), count=count)


def _card_lists_on_postgresql(lists, festival, counted) -> CardLists:
    sql, params, fields = _card_lists_sql(lists, counted)
    return _card_lists_read(sql, params, fields, lists=len(lists), festival=festival)


def _card_lists_read(sql, params, fields, *, lists: int, festival: Festival) -> CardLists:
    """The rows of a ``_card_lists_sql``-shaped query as ``CardLists``."""
    names = [field.attname for field in fields]
    # Each model field's place among the row's values (None: deferred), so ``from_db`` gets
    # every field in order and need not look each one up among the names.
    places = _model_places(tuple(names))
    shown: list[list[Promotion]] = [[] for _listed in range(lists)]
    items = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    for _count, listed, position, *values, merchant_name, first_items in rows:
        if position is None:  # nothing listed: the count only
            continue
        promotion = Promotion.from_db(
            connection.alias, names, [DEFERRED if place is None else values[place] for place in places]
        )
        promotion.merchant_name = merchant_name
        promotion.festival = festival
        shown[listed].append(promotion)
        if first_items:
            items[promotion.pk] = [_card_item_from_json(promotion.pk, item) for item in first_items]
    return CardLists(lists=shown, items=items, count=rows[0][0])  # one row at least: the count's


def _card_item_from_json(promotion_id: int, item: list) -> tuple:
    """An item of ``_card_lists_sql`` as ``card_items`` reads it (CARD_ITEM_FIELDS)."""
    pk, name, promo_price, check_status, reference_price, reference_source, checked_at = item
    return (
        promotion_id,
        pk,
        name,
        None if promo_price is None else Decimal(promo_price),
        check_status,
        None if reference_price is None else Decimal(reference_price),
        reference_source,
        None if checked_at is None else datetime.fromisoformat(checked_at),
    )


def _card_lists_sql(lists, counted) -> tuple[str, list, list]:
    """The query of ``card_lists`` with its parameters, and the fields of the promotion's
    columns: one row per listed promotion (by list, then position), each with the count
    and its first ``CARD_ITEMS`` shown items as JSON (prices as text, for Decimal), or
    one row of the count alone when nothing is listed."""
    count, count_params = "NULL", ()
    if counted is not None:
        count_sql, count_params = _sql_of(counted)
        count = f"(SELECT count(*) FROM ({count_sql}) counted)"
    compiled = [_sql_of(listed) for listed in lists]
    sql, params, fields = _card_lists_around(count, [list_sql for list_sql, _params in compiled])
    params.extend(count_params)
    for _sql, list_params in compiled:
        params.extend(list_params)
    return sql, params, fields


def _card_lists_around(count: str, lists: list[str]) -> tuple[str, list, list]:
    """Our query around the SQL of the count (a scalar expression) and of each list of ids,
    the parameters of its own part (the count's and the lists' follow, in that order), and
    the fields of the promotion's columns."""
    select, join, fields = _card_lists_sql_parts(connection.vendor)
    pages = " UNION ALL ".join(
        f"SELECT {n} AS list, ids.id, ids.position FROM unnest(ARRAY({list_sql})) WITH ORDINALITY AS ids(id, position)"
        for n, list_sql in enumerate(lists)
    )
    # The ORM's SQL of the count and of each list, with its own placeholders, inside ours.
    sql = f"{select} FROM (SELECT {count} AS count) found LEFT JOIN LATERAL ({pages}) page ON true {join}"
    return sql, [CheckStatus.FAIL, CARD_ITEMS], fields


def _sql_of(queryset: QuerySet, *, width: int = 1) -> tuple[str, tuple]:
    """The SQL of ``queryset`` (``width`` columns) and its parameters; a query that cannot
    match (``none()``, an empty slice) is one that finds nothing."""
    try:
        return queryset.query.sql_with_params()
    except EmptyResultSet:
        return f"SELECT {', '.join(['NULL::bigint'] * width)} WHERE false", ()


@lru_cache(maxsize=4)
def _card_lists_sql_parts(vendor: str) -> tuple[str, str, list]:
    """The fixed parts of ``_card_lists_sql``: what it selects of each listed promotion
    (``page``, joined to ``p``) and the join and order after the lists."""
    promotion, merchant, item, product = Promotion._meta, Merchant._meta, PromotionItem._meta, Product._meta
    quote = connection.ops.quote_name
    fields = _card_promotion_fields()
    columns = ", ".join(f"p.{quote(field.column)}" for field in fields)

    def column(meta, name):
        return quote(meta.get_field(name).column)

    # Each item's product name by a scalar subquery, one index probe per kept item (a
    # join would hash every product); the merchant's name the same way.
    select = f"""
        SELECT found.count, page.list, page.position, {columns},
               (SELECT m.{column(merchant, "name")} FROM {quote(merchant.db_table)} m
                WHERE m.{quote(merchant.pk.column)} = p.{column(promotion, "merchant")}),
               (SELECT json_agg(json_build_array(
                           i.{quote(item.pk.column)},
                           (SELECT pr.{column(product, "name")} FROM {quote(product.db_table)} pr
                            WHERE pr.{quote(product.pk.column)} = i.{column(item, "product")}),
                           i.{column(item, "promo_price")}::text, i.{column(item, "check_status")},
                           i.{column(item, "reference_price")}::text, i.{column(item, "reference_source")},
                           i.{column(item, "checked_at")}) ORDER BY i.{quote(item.pk.column)})
                FROM (SELECT * FROM {quote(item.db_table)} i
                      WHERE i.{column(item, "promotion")} = p.{quote(promotion.pk.column)}
                        AND NOT (i.{column(item, "check_status")} = %s)
                      ORDER BY i.{quote(item.pk.column)} LIMIT %s) i)
    """
    join = f"""
        LEFT JOIN {quote(promotion.db_table)} p ON p.{quote(promotion.pk.column)} = page.id
        ORDER BY page.list, page.position
    """  # only table and column names from the models, and placeholders
    return select, join, fields


@lru_cache(maxsize=4)
def _model_places(names: tuple[str, ...]) -> tuple[int | None, ...]:
    """For each concrete field of ``Promotion``, its position in ``names`` (attnames), or None."""
    return tuple(
        names.index(field.attname) if field.attname in names else None for field in Promotion._meta.concrete_fields
    )


def _card_promotion_fields() -> list:
    """The fields of ``CARD_PROMOTION_FIELDS``, in the model's order (``Model.from_db``
    takes a subset of the values that way)."""
    promotion = Promotion._meta
    wanted = {
        promotion.pk.attname if name == "pk" else promotion.get_field(name).attname for name in CARD_PROMOTION_FIELDS
    }
    return [field for field in promotion.concrete_fields if field.attname in wanted]


def card_promotions(ids, *, festival: Festival) -> list[Promotion]:
    """The promotions ``ids`` of ``festival`` with what their cards read (``with_cards``),
    in the order of ``ids``; one deleted since its id was read is left out."""
    found = {p.pk: p for p in with_cards(Promotion.objects.filter(pk__in=ids), festival=festival)}
    for promotion in found.values():
        promotion.festival = festival
    return [found[pk] for pk in ids if pk in found]


# Promotion page ------------------------------------------------------------------------


@dataclass
class ItemView:
    item: PromotionItem
    final: object  # FinalPrice | None
    chart: dict
    history: list  # [(local datetime, Decimal)]


def promotion_items(promotion: Promotion, *, now: datetime) -> list[ItemView]:
    """Each shown item with its stacked final price and its price history (a fixed number of queries)."""
    festival = promotion.festival
    items = list(visible_items().filter(promotion=promotion))
    product_ids = [item.product_id for item in items]
    window_start = promotion.starts_at - timedelta(days=festival.price_lookback_days)
    chart_start = window_start - timedelta(days=CHART_DAYS_BEFORE_WINDOW)
    points: dict[int, list] = {}
    for product_id, price, recorded_at in (
        PricePoint.objects.filter(
            product_id__in=product_ids, recorded_at__gte=chart_start, recorded_at__lt=promotion.ends_at
        )
        .order_by("recorded_at")
        .values_list("product_id", "price", "recorded_at")
    ):
        points.setdefault(product_id, []).append((recorded_at, price))
    before_start = {
        row["product_id"]: row["last"]
        for row in PricePoint.objects.filter(product_id__in=product_ids, recorded_at__lt=promotion.starts_at)
        .values("product_id")
        .annotate(last=Max("recorded_at"))
    }
    last_prices = {
        (p.product_id, p.recorded_at): p.price
        for p in PricePoint.objects.filter(product_id__in=product_ids, recorded_at__lt=promotion.starts_at).filter(
            recorded_at__in=list(before_start.values()) or [promotion.starts_at]
        )
    }
    # Stacking: the other public promotions on the same products at the moment the price applies.
    at = min(max(now, promotion.starts_at), promotion.ends_at - timedelta(microseconds=1))
    others: dict[int, list[PromotionItem]] = {}
    for other in (
        visible_items()
        .filter(
            product_id__in=product_ids,
            promotion__in=visible_promotions(festival).filter(starts_at__lte=at, ends_at__gt=at),
        )
        .exclude(promotion=promotion)
        .select_related("promotion")
        .order_by("promotion__starts_at", "promotion_id")
    ):
        others.setdefault(other.product_id, []).append(other)
    views = []
    for item in items:
        item.promotion = promotion
        undiscounted = last_prices.get((item.product_id, before_start.get(item.product_id)))
        if undiscounted is None:
            undiscounted = item.reference_price
        offers = [Offer.for_item(item)] + [Offer.for_item(o) for o in others.get(item.product_id, [])]
        final = None
        if undiscounted is not None:
            try:
                final = compute_final_price(
                    undiscounted,
                    offers,
                    stacking_order=festival.stacking_order,
                    stackable_kinds=festival.stackable_kinds,
                )
            except PricingError:
                final = None
        history = [(festival.local(moment), price) for moment, price in points.get(item.product_id, [])]
        chart = {
            "id": item.pk,
            "labels": [moment.strftime("%Y-%m-%d %H:%M") for moment, _price in history],
            "prices": [str(price) for _moment, price in history],
            "reference": str(item.reference_price) if item.reference_price is not None else None,
            "promo": str(item.promo_price),
            "windowStart": festival.local(window_start).strftime("%Y-%m-%d %H:%M"),
            "start": festival.local(promotion.starts_at).strftime("%Y-%m-%d %H:%M"),
        }
        views.append(ItemView(item=item, final=final, chart=chart, history=history))
    return views


# Merchants -----------------------------------------------------------------------------


@dataclass
class MerchantFilters:
    kind: str = ""
    category: str = ""
    country: str = ""
    festival: str = ""

    @classmethod
    def from_query(cls, params) -> MerchantFilters:
        kind = params.get("kind", "").strip()
        return cls(
            kind=kind if kind in MerchantKind.values else "",
            category=params.get("category", "").strip()[:60],
            country=params.get("country", "").strip().upper()[:2],
            festival=params.get("festival", "").strip()[:60],
        )


def search_merchants(filters: MerchantFilters) -> QuerySet[Merchant]:
    approved = Participation.objects.filter(merchant=OuterRef("pk"), status=ParticipationStatus.APPROVED)
    if filters.festival:
        approved = approved.filter(festival__slug=filters.festival)
    if filters.category:
        approved = approved.filter(Q(categories__slug=filters.category) | Q(categories__parent__slug=filters.category))
    merchants = Merchant.objects.filter(Exists(approved))
    if filters.kind:
        merchants = merchants.filter(kind=filters.kind)
    if filters.country:
        merchants = merchants.filter(country=filters.country)
    return merchants.order_by("name", "pk")


def with_public_profile(merchants: QuerySet[Merchant]) -> QuerySet[Merchant]:
    """Categories of approved participations and kinds of verified certificates; never contacts or scans."""
    return merchants.only("pk", "name", "kind", "country", "website").prefetch_related(
        Prefetch(
            "participations",
            queryset=Participation.objects.filter(status=ParticipationStatus.APPROVED)
            .select_related("festival")
            .prefetch_related("categories"),
            to_attr="approved_participations",
        ),
        Prefetch(
            "certificates",
            queryset=Certificate.objects.filter(status=CertificateStatus.VERIFIED).only("pk", "merchant_id", "kind"),
            to_attr="verified_certificates",
        ),
    )


def public_countries() -> list[str]:
    """The countries of the directory's merchants, for its filter, in code order.

    The distinct countries are read by skipping through the merchants' country index (a
    recursive query: one probe per country, not a scan of every merchant), and each is kept
    when its first merchant with an approved participation is found (a scalar subquery with
    LIMIT 1, which the planner cannot turn into a join over every merchant) (``visible_merchants``; a test
    holds the two equal). Counting the distinct countries of 100,000 merchants on every view
    is what made the directory grow with the data."""
    quote = connection.ops.quote_name
    merchant, participation = Merchant._meta, Participation._meta
    table, country, pk = (
        quote(merchant.db_table),
        quote(merchant.get_field("country").column),
        quote(merchant.pk.column),
    )
    sql = f"""
        WITH RECURSIVE countries(code) AS (
            SELECT MIN({country}) FROM {table}
            UNION ALL
            SELECT (SELECT MIN(m.{country}) FROM {table} m WHERE m.{country} > countries.code)
            FROM countries WHERE countries.code IS NOT NULL
        )
        SELECT code FROM countries
        WHERE code IS NOT NULL AND (
            SELECT m.{pk} FROM {table} m WHERE m.{country} = countries.code AND EXISTS (
                SELECT 1 FROM {quote(participation.db_table)} pa
                WHERE pa.{quote(participation.get_field("merchant").column)} = m.{pk}
                  AND pa.{quote(participation.get_field("status").column)} = %s
            )
            LIMIT 1
        ) IS NOT NULL
        ORDER BY code
    """  # only table and column names from the models, and a placeholder
    with connection.cursor() as cursor:
        cursor.execute(sql, [ParticipationStatus.APPROVED])
        return [code for (code,) in cursor.fetchall()]


# Results -------------------------------------------------------------------------------


@dataclass
class Results:
    festival: Festival
    merchants_by_kind: list[tuple[str, str, int]]
    merchants_by_category: list[tuple[Category, int]]
    promotions_by_kind: list[tuple[str, str, int]]
    items_checked: int
    items_passed: int
    sales_by_day: list[tuple[date, Decimal, int]]
    parcels: FestivalParcels | None = None  # carriers' parcels per festival day (logistics.selectors)

    @property
    def passed_share(self) -> Decimal | None:
        if not self.items_checked:
            return None
        return (Decimal(self.items_passed) * 100 / self.items_checked).quantize(Decimal("0.1"))

    def as_rows(self) -> list[tuple[str, str, str]]:
        """(section, key, value): the open-data form of every figure (CSV)."""
        rows = [("merchants_by_kind", kind, str(n)) for kind, _label, n in self.merchants_by_kind]
        rows += [("merchants_by_category", c.slug, str(n)) for c, n in self.merchants_by_category]
        rows += [("promotions_by_kind", kind, str(n)) for kind, _label, n in self.promotions_by_kind]
        rows += [("honest_price_check", "items_checked", str(self.items_checked))]
        rows += [("honest_price_check", "items_passed", str(self.items_passed))]
        rows += [("sales_by_day_gmv", day.isoformat(), f"{gmv:.2f}") for day, gmv, _orders in self.sales_by_day]
        rows += [("sales_by_day_orders", day.isoformat(), str(orders)) for day, _gmv, orders in self.sales_by_day]
        for day in self.parcels.days if self.parcels else ():
            rows += [
                ("parcels_by_day_collected", day.date.isoformat(), str(day.collected)),
                ("parcels_by_day_delivered", day.date.isoformat(), str(day.delivered)),
                (
                    "parcels_by_day_rural_share",
                    day.date.isoformat(),
                    "" if day.rural_share is None else str(day.rural_share),
                ),
            ]
        return rows

    def as_json(self) -> dict:
        return {
            "festival": {
                "slug": self.festival.slug,
                "name": self.festival.name,
                "name_en": self.festival.name_en,
                "starts_at": self.festival.starts_at.isoformat(),
                "ends_at": self.festival.ends_at.isoformat(),
                "time_zone": self.festival.time_zone,
            },
            "merchants_by_kind": {kind: n for kind, _label, n in self.merchants_by_kind},
            "merchants_by_category": {c.slug: n for c, n in self.merchants_by_category},
            "promotions_by_kind": {kind: n for kind, _label, n in self.promotions_by_kind},
            "honest_price_check": {"items_checked": self.items_checked, "items_passed": self.items_passed},
            "sales_by_day": [
                {"date": day.isoformat(), "gmv": f"{gmv:.2f}", "orders": orders}
                for day, gmv, orders in self.sales_by_day
            ],
            "parcels_by_day": [
                {
                    "date": day.date.isoformat(),
                    "collected": day.collected,
                    "delivered": day.delivered,
                    "rural_share": None if day.rural_share is None else str(day.rural_share),
                }
                for day in (self.parcels.days if self.parcels else ())
            ],
        }


def festival_results(festival: Festival) -> Results:
    """The figures of a festival counted now from the raw rows; an edition's include its
    sub-festivals' (a merchant in both counts once). Pages read ``published_results``."""
    return _results_from(festival, _counted_figures(festival))


def published_results(festival: Festival, *, now: datetime) -> Results:
    """A closed festival's figures from its snapshot (public.models.ResultsSnapshot),
    counted on first view and recounted when older than ``RESULTS_RECOUNT_AFTER`` while
    late sales reports are still accepted (``LATE_REPORT_DAYS`` after the end); the
    parcels come from the logistics roll-up as they are."""
    snapshot = ResultsSnapshot.objects.filter(festival=festival).first()
    still_open = now - festival.ends_at < timedelta(days=LATE_REPORT_DAYS)
    if snapshot is None or (still_open and now - snapshot.computed_at >= RESULTS_RECOUNT_AFTER):
        figures = _counted_figures(festival)
        try:
            with transaction.atomic():
                ResultsSnapshot.objects.update_or_create(
                    festival=festival, defaults={"figures": figures, "computed_at": now}
                )
        except IntegrityError:  # another request stored the same count first
            pass
        return _results_from(festival, figures)
    return _results_from(festival, snapshot.figures)


def _counted_figures(festival: Festival) -> dict:
    """The counts of ``festival_results`` as plain data (what a snapshot stores)."""
    family = festival_family(festival)
    merchants = Merchant.objects.filter(
        Exists(
            Participation.objects.filter(
                merchant=OuterRef("pk"), status=ParticipationStatus.APPROVED, festival_id__in=family
            )
        )
    )
    per_category: dict[int, set[int]] = {}
    for merchant_id, category_id, parent_id in Participation.objects.filter(
        festival_id__in=family, status=ParticipationStatus.APPROVED
    ).values_list("merchant_id", "categories__id", "categories__parent_id"):
        if category_id is not None:
            per_category.setdefault(parent_id or category_id, set()).add(merchant_id)
    promotions = visible_promotions().filter(festival_id__in=family)
    checks = PromotionItem.objects.filter(promotion__in=promotions, checked_at__isnull=False).aggregate(
        checked=Count("pk"), passed=Count("pk", filter=Q(check_status=CheckStatus.PASS))
    )
    sales = (
        SalesReport.objects.filter(festival_id__in=family)
        .filter(approved_participation("merchant", "festival"))
        .values("date")
        .annotate(gmv=Sum("gmv"), orders=Sum("orders"))
        .order_by("date")
    )
    return {
        "merchants_by_kind": dict(merchants.values_list("kind").annotate(n=Count("pk")).values_list("kind", "n")),
        "merchants_by_category": {str(pk): len(ids) for pk, ids in per_category.items()},
        "promotions_by_kind": dict(promotions.values_list("kind").annotate(n=Count("pk")).values_list("kind", "n")),
        "items_checked": checks["checked"],
        "items_passed": checks["passed"],
        "sales_by_day": [[row["date"].isoformat(), f"{row['gmv']:.2f}", row["orders"]] for row in sales],
    }


def _results_from(festival: Festival, figures: dict) -> Results:
    by_kind, by_category = figures["merchants_by_kind"], figures["merchants_by_category"]
    promotion_kinds = figures["promotions_by_kind"]
    categories = Category.objects.filter(pk__in=[int(pk) for pk in by_category]).order_by("position", "pk")
    return Results(
        festival=festival,
        merchants_by_kind=[(k, label, by_kind[k]) for k, label in MerchantKind.choices if by_kind.get(k)],
        merchants_by_category=[(category, by_category[str(category.pk)]) for category in categories],
        promotions_by_kind=[
            (k, label, promotion_kinds[k]) for k, label in PromotionKind.choices if promotion_kinds.get(k)
        ],
        items_checked=figures["items_checked"],
        items_passed=figures["items_passed"],
        sales_by_day=[(date.fromisoformat(day), Decimal(gmv), orders) for day, gmv, orders in figures["sales_by_day"]],
        parcels=festival_parcels(festival),
    )


def grouped(promotions) -> OrderedDict:
    groups: OrderedDict = OrderedDict()
    for promotion in promotions:
        groups.setdefault(promotion.status, []).append(promotion)
    return groups


def now() -> datetime:
    return timezone.now()


def sold_publicly(product_ids) -> bool:
    """Whether any of the products is an item of a promotion the public may see (approved,
    live or ended): only then can a price recorded for it change a public page."""
    return PromotionItem.objects.filter(
        product_id__in=product_ids, promotion__in=Promotion.objects.public().order_by()
    ).exists()
