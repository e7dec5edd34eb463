"""Reads of the partner API: what each caller may see, prefetched so lists make
a fixed number of queries whatever the page size."""

from collections import Counter, defaultdict
from decimal import Decimal
from types import SimpleNamespace

from django.db import connection
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, Sum

from festival.models import Category, DailyResult, Festival
from logistics import selectors as logistics_selectors
from logistics.periods import festival_period
from merchants.models import Merchant, Participation, ParticipationStatus, PricePoint, Product, SalesReport
from promotions.models import KIND_FIELDS, PUBLIC_STATUS_ORDER, Promotion, PromotionItem
from promotions.selectors import visible_promotions as staff_visible_promotions


def festivals():
    return Festival.objects.select_related("parent").prefetch_related("organisers")


def category_tree() -> list[dict]:
    """The whole tree from one query: root nodes, each with nested ``children``."""
    nodes = {}
    children = defaultdict(list)
    for category in Category.objects.select_related("parent").order_by("position", "pk"):
        nodes[category.pk] = {
            "slug": category.slug,
            "name": category.name,
            "name_en": category.name_en,
            "parent": category.parent.slug if category.parent_id else None,
            "required_certificate_kind": category.required_certificate_kind,
            "children": children[category.pk],
        }
        children[category.parent_id].append(nodes[category.pk])
    return children[None]


def approved_merchants():
    approved = Participation.objects.filter(status=ParticipationStatus.APPROVED)
    return (
        Merchant.objects.filter(Exists(approved.filter(merchant=OuterRef("pk"))))
        .prefetch_related(
            Prefetch(
                "participations",
                # What MerchantSerializer shows of them: the festivals' slugs and the categories'.
                # Every column would be some 25 timestamps a merchant, each parsed in Python.
                queryset=approved.select_related("festival")
                .only("merchant_id", "festival__slug")
                .prefetch_related(Prefetch("categories", queryset=Category.objects.only("pk", "slug"))),
                to_attr="approved_participations",
            )
        )
        .order_by("name", "pk")
    )


def promotions_for_listing(queryset):
    """Only the columns the output needs: the list sorts tens of thousands of rows."""
    return queryset.defer(
        *(f"festival__{name}" for name in FESTIVAL_COLUMNS_NOT_SHOWN),
        *(f"merchant__{name}" for name in MERCHANT_COLUMNS_NOT_SHOWN),
        *PROMOTION_COLUMNS_NOT_SHOWN,
    )


class ListedPromotion:
    """A promotion of a list page as the columns the API shows: ``festival.slug`` and
    ``merchant.name`` read as on a model instance (the serializer takes either), without
    building a promotion, a festival and a merchant instance for each of 100 rows."""

    def __init__(self, row: dict):
        self.festival = SimpleNamespace(slug=row.pop("festival_slug"))
        self.merchant = SimpleNamespace(name=row.pop("merchant_name"))
        self.__dict__.update(row)

    @property
    def pk(self):
        return self.id


LISTED_COLUMNS = (
    "id",
    "merchant_id",
    "title",
    "description",
    "kind",
    "starts_at",
    "ends_at",
    "status",
    *KIND_FIELDS,
    "submitted_at",
    "created_at",
    "updated_at",
)


def listed_promotions(queryset):
    """``queryset`` (filtered and ordered) as rows of the listed columns: wrap each in
    ``ListedPromotion`` once paginated."""
    return queryset.values(*LISTED_COLUMNS, festival_slug=F("festival__slug"), merchant_name=F("merchant__name"))


FESTIVAL_COLUMNS_NOT_SHOWN = [f.attname for f in Festival._meta.concrete_fields if f.attname not in {"id", "slug"}]
MERCHANT_COLUMNS_NOT_SHOWN = [f.attname for f in Merchant._meta.concrete_fields if f.attname not in {"id", "name"}]
PROMOTION_COLUMNS_NOT_SHOWN = [
    "search_document",  # the public search's text (title, merchant and every item name): never output
    "banner",
    "banner_thumbnail",
    "reviewed_at",
    "reviewed_by_id",
    "review_note",
    "went_live_at",
    "ended_at",
    "created_by_id",
]


def visible_promotions(actor):
    """The public sees approved, live and ended promotions; a merchant also its
    own in every status; an organiser (a reviewer's session, an organiser's key) also
    every status of its teams' festivals (promotions.selectors.visible_promotions).
    Without categories and items: ``attach_promotion_details`` adds them to the
    promotions once fetched."""
    visible = Q(status__in=PUBLIC_STATUS_ORDER)
    if actor.merchant is not None:
        visible |= Q(merchant=actor.merchant)
    if actor.is_organiser:
        visible |= Q(pk__in=staff_visible_promotions(actor.team).values("pk"))
    queryset = Promotion.objects.filter(visible)
    return queryset.select_related("festival", "merchant").order_by("starts_at", "pk")


# Promotions' categories and items, as plain values: for a page of 100 promotions with
# several items each, building model instances through prefetch_related cost more
# than the whole page's SQL (bench/api_load.py).
PAGE_CATEGORY_SLUGS = "page_category_slugs"
PAGE_ITEMS = "page_items"
CENT = Decimal("0.01")
ITEM_ROW_FIELDS = (
    "promotion_id",
    "product_id",
    "product__sku",
    "promo_price",
    "reference_price",
    "reference_source",
    "real_discount_percent",
    "check_status",
    "check_reasons",
)


def cents(value):
    """As DRF's DecimalField(decimal_places=2, coerce_to_string=True) shows it."""
    return None if value is None else f"{value.quantize(CENT):f}"


def item_output(row) -> dict:
    """An item as the API shows it, from a row of ``ITEM_ROW_FIELDS``."""
    _promotion, product, sku, promo_price, reference_price, source, discount, check_status, reasons = row
    return {
        "product": product,
        "sku": sku,
        "promo_price": cents(promo_price),
        "reference_price": cents(reference_price),
        "reference_source": source or None,
        "real_discount_percent": cents(discount),
        "check_status": check_status or None,
        "check_reasons": [str(reason) for reason in reasons or ()],
    }


def attach_promotion_details(promotions) -> None:
    """Give each promotion its category slugs (in the categories' order) and its items as
    the API shows them (in item order) in two queries, whatever the number of promotions."""
    by_id = {promotion.pk: promotion for promotion in promotions}
    for promotion in promotions:
        setattr(promotion, PAGE_CATEGORY_SLUGS, [])
        setattr(promotion, PAGE_ITEMS, [])
    if not by_id:
        return
    links = (
        Promotion.categories.through.objects.filter(promotion_id__in=by_id)
        .order_by("category__position", "category_id")
        .values_list("promotion_id", "category__slug")
    )
    for promotion_id, slug in links:
        getattr(by_id[promotion_id], PAGE_CATEGORY_SLUGS).append(slug)
    if connection.vendor == "postgresql":
        # PostgreSQL writes each promotion's items as the API shows them (one JSON array a
        # promotion): a third of the list's time went into converting and formatting
        # item rows one value at a time. items_output_by_promotion_portable is the reference.
        with connection.cursor() as cursor:
            cursor.execute(ITEMS_OUTPUT_SQL, [list(by_id)])
            for promotion_id, items in cursor.fetchall():
                setattr(by_id[promotion_id], PAGE_ITEMS, items)
        return
    for promotion_id, items in items_output_by_promotion_portable(list(by_id)).items():
        setattr(by_id[promotion_id], PAGE_ITEMS, items)


def items_output_by_promotion_portable(promotion_ids) -> dict[int, list[dict]]:
    """Each promotion's items as the API shows them, built in Python (any database)."""
    items = defaultdict(list)
    rows = PromotionItem.objects.filter(promotion_id__in=promotion_ids).order_by("pk").values_list(*ITEM_ROW_FIELDS)
    for row in rows:
        items[row[0]].append(item_output(row))
    return dict(items)


def _column(model, name) -> str:
    return model._meta.get_field(name).column


def _item_json_sql(item: str, product: str) -> str:
    """One item as the API shows it (item_output), written by PostgreSQL: ``item`` and
    ``product`` are the aliases of the item and product tables in the query around it."""
    return f"""json_build_object(
    'product', {item}.{_column(PromotionItem, "product")},
    'sku', {product}.{_column(Product, "sku")},
    'promo_price', {item}.{_column(PromotionItem, "promo_price")}::text,
    'reference_price', {item}.{_column(PromotionItem, "reference_price")}::text,
    'reference_source', NULLIF({item}.{_column(PromotionItem, "reference_source")}, ''),
    'real_discount_percent', {item}.{_column(PromotionItem, "real_discount_percent")}::text,
    'check_status', NULLIF({item}.{_column(PromotionItem, "check_status")}, ''),
    'check_reasons', COALESCE({item}.{_column(PromotionItem, "check_reasons")}, '[]'::jsonb)
  ) ORDER BY {item}.{PromotionItem._meta.pk.column}"""


def _items_with_products_sql(item: str, product: str) -> str:
    """``FROM`` the items joined to their products, aliased ``item`` and ``product``."""
    return (
        f"FROM {PromotionItem._meta.db_table} {item} JOIN {Product._meta.db_table} {product} "
        f"ON {product}.{Product._meta.pk.column} = {item}.{_column(PromotionItem, 'product')}"
    )


def _items_output_sql() -> str:
    promotion = _column(PromotionItem, "promotion")
    return f"""
SELECT i.{promotion}, json_agg({_item_json_sql("i", "p")})
{_items_with_products_sql("i", "p")}
WHERE i.{promotion} = ANY(%s)
GROUP BY i.{promotion}
"""  # nosec B608: table and column names from the models' meta, ids as a parameter


ITEMS_OUTPUT_SQL = _items_output_sql()


def _listed_page_sql() -> str:
    promotion, festival, merchant, category = Promotion._meta, Festival._meta, Merchant._meta, Category._meta
    links = Promotion.categories.through
    columns = ", ".join(f"p.{_column(Promotion, name)} AS {name}" for name in LISTED_COLUMNS)
    return f"""
SELECT {columns},
  f.{_column(Festival, "slug")} AS festival_slug,
  m.{_column(Merchant, "name")} AS merchant_name,
  ARRAY(
    SELECT c.{_column(Category, "slug")}
    FROM {links._meta.db_table} pc JOIN {category.db_table} c ON c.{category.pk.column} = pc.{_column(links, "category")}
    WHERE pc.{_column(links, "promotion")} = p.{promotion.pk.column}
    ORDER BY c.{_column(Category, "position")}, c.{category.pk.column}
  ) AS {PAGE_CATEGORY_SLUGS},
  COALESCE((
    SELECT json_agg({_item_json_sql("i", "pr")})
    {_items_with_products_sql("i", "pr")}
    WHERE i.{_column(PromotionItem, "promotion")} = p.{promotion.pk.column}
  ), '[]'::json) AS {PAGE_ITEMS}
FROM unnest(%s::bigint[]) WITH ORDINALITY AS page(id, position)
JOIN {promotion.db_table} p ON p.{promotion.pk.column} = page.id
JOIN {festival.db_table} f ON f.{festival.pk.column} = p.{_column(Promotion, "festival")}
JOIN {merchant.db_table} m ON m.{merchant.pk.column} = p.{_column(Promotion, "merchant")}
ORDER BY page.position
"""  # nosec B608: table and column names from the models' meta, ids as a parameter


LISTED_PAGE_SQL = _listed_page_sql()


def listed_promotion_ids(queryset):
    """``queryset`` (filtered and ordered) as the ids of its promotions: a list paginates
    these, then reads its page with ``listed_page``."""
    return queryset.values_list("pk", flat=True)


def listed_page(ids) -> list[ListedPromotion]:
    """The promotions of ``ids``, in that order, with their categories and items, as the
    list shows them. On PostgreSQL in one query that writes each promotion's categories
    and items beside its row (what the best hand-written list does, bench/api_load.py);
    elsewhere the rows, then ``attach_promotion_details``. A promotion deleted since its
    id was read is left out."""
    ids = list(ids)
    if not ids:
        return []
    if connection.vendor != "postgresql":
        return listed_page_portable(ids)
    with connection.cursor() as cursor:
        cursor.execute(LISTED_PAGE_SQL, [ids])
        names = [column.name for column in cursor.description]
        return [ListedPromotion(dict(zip(names, row, strict=True))) for row in cursor.fetchall()]


def listed_page_portable(ids) -> list[ListedPromotion]:
    """``listed_page`` on any database: the rows, then their categories and items."""
    rows = {row["id"]: row for row in listed_promotions(Promotion.objects.filter(pk__in=ids)).order_by()}
    page = [ListedPromotion(rows[pk]) for pk in ids if pk in rows]
    attach_promotion_details(page)
    return page


def visible_reports(actor):
    """Consumer reports: a merchant's own, an organiser key's (its teams' festivals), all for a desk-wide key."""
    from reports.models import PriceReport
    from reports.selectors import visible_reports as staff_visible_reports

    reports = PriceReport.objects.select_related("item__product").order_by("-created_at", "-pk")
    if actor.merchant is not None:
        return reports.filter(merchant=actor.merchant)
    if actor.is_desk_wide_key:
        return reports
    if actor.team is not None:
        return staff_visible_reports(actor.team, queryset=reports)
    return reports.none()


def promotion_for_output(pk):
    promotion = Promotion.objects.select_related("festival", "merchant").get(pk=pk)
    attach_promotion_details([promotion])
    return promotion


def own_products(merchant):
    return Product.objects.filter(merchant=merchant).select_related("category").order_by("pk")


def price_points(product):
    return PricePoint.objects.filter(product=product).order_by("-recorded_at", "-pk")


def own_sales_reports(merchant):
    return SalesReport.objects.filter(merchant=merchant).select_related("festival").order_by("festival", "date", "pk")


def own_webhooks(actor):
    from api.models import WebhookSubscription

    if actor.api_key is not None:
        return WebhookSubscription.objects.filter(api_key=actor.api_key)
    if actor.user is not None:
        return WebhookSubscription.objects.filter(owner=actor.user, api_key__isnull=True)
    return WebhookSubscription.objects.none()


def festival_results(festival) -> dict:
    """Participating merchants by kind and category, promotions by status,
    reported sales per day and in total (DailyResult when rolled up, else the reports).
    An edition's results include its sub-festivals' (roll-up; a merchant in both counts once)."""
    family = [festival.pk, *Festival.objects.filter(parent=festival).values_list("pk", flat=True)]
    approved = Participation.objects.filter(festival_id__in=family, status=ParticipationStatus.APPROVED)
    by_kind = dict(
        approved.values_list("merchant__kind").annotate(n=Count("merchant", distinct=True)).order_by("merchant__kind")
    )
    by_category = dict(
        approved.filter(categories__isnull=False)
        .values_list("categories__slug")
        .annotate(n=Count("merchant", distinct=True))
        .order_by("categories__slug")
    )
    by_status = dict(
        Promotion.objects.filter(festival_id__in=family)
        .values_list("status")
        .annotate(n=Count("pk"))
        .order_by("status")
    )
    days = list(
        DailyResult.objects.filter(festival_id__in=family)
        .values("date")
        .annotate(gmv=Sum("gmv"), orders=Sum("orders"))
        .order_by("date")
    )
    source = "daily_results"
    if not days:
        source = "sales_reports"
        days = list(
            SalesReport.objects.filter(festival_id__in=family)
            .values("date")
            .annotate(gmv=Sum("gmv"), orders=Sum("orders"))
            .order_by("date")
        )
    total_gmv = sum((day["gmv"] or Decimal("0") for day in days), Decimal("0"))
    total_orders = sum(day["orders"] or 0 for day in days)
    return {
        "festival": festival.slug,
        "merchants": {"total": sum(Counter(by_kind).values()), "by_kind": by_kind, "by_category": by_category},
        "promotions": {"total": sum(by_status.values()), "by_status": by_status},
        "sales": {"source": source, "by_day": days, "total": {"gmv": total_gmv, "orders": total_orders}},
        "parcels": festival_parcel_results(festival),
    }


def festival_parcel_results(festival) -> dict:
    """Carriers' parcels per festival day with the rural share: the nightly roll-up's
    figures (DailyResult) once it has them, else summed from the reports (one query)."""
    rolled_up = list(
        DailyResult.objects.filter(festival=festival, parcels_collected__isnull=False)
        .order_by("date")
        .values(
            "date",
            "parcels_collected",
            "parcels_delivered",
            "rural_parcels_collected",
            "rural_parcels_delivered",
            "carriers_reporting",
        )
    )
    if rolled_up:
        source = "daily_results"
        days = [
            logistics_selectors.DayTotal(
                row["date"],
                row["parcels_collected"],
                row["parcels_delivered"],
                row["rural_parcels_collected"],
                row["rural_parcels_delivered"],
                carriers_reporting=row["carriers_reporting"],
            )
            for row in rolled_up
        ]
    else:
        source = "parcel_reports"
        days = logistics_selectors.daily_totals(festival_period(festival))
    total = {name: sum(getattr(day, name) for day in days) for name in logistics_selectors.COUNT_FIELDS}
    total["rural_share"] = logistics_selectors.rural_share(
        total["rural_collected"], total["rural_delivered"], total["collected"], total["delivered"]
    )
    return {"source": source, "by_day": [day.as_dict() for day in days], "total": total}


# Organisers' teams (issue 14): the one scoping selector per model (festival/scoping.py).
# An organiser's key belongs to that organiser's team; a merchant's key to whoever sees the
# merchant; a desk-wide key (bound to neither) to the superusers. Webhook subscriptions
# follow their key (or, made in a session, their owner); deliveries and attempts follow
# their subscription.


def visible_api_keys(user, *, perm=None, queryset=None):
    from api.models import ApiKey
    from festival import scoping
    from merchants.selectors import visible_merchants

    queryset = ApiKey.objects.all() if queryset is None else queryset
    ids = scoping.organiser_ids(user, perm)
    if ids is scoping.ALL:
        return queryset
    # The keys of the organisers the user sees (their own, and for a national team its sub-festivals').
    return queryset.filter(
        Q(organiser_id__in=scoping.visible_organisers(user, perm=perm).values("pk"))
        | Q(merchant_id__in=visible_merchants(user, perm=perm).values("pk"))
    )


def visible_webhook_subscriptions(user, *, perm=None, queryset=None):
    from api.models import WebhookSubscription
    from festival import scoping
    from merchants.selectors import visible_merchants

    queryset = WebhookSubscription.objects.all() if queryset is None else queryset
    if scoping.organiser_ids(user, perm) is scoping.ALL:
        return queryset
    merchants = visible_merchants(user, perm=perm).values("pk")
    return queryset.filter(
        Q(api_key_id__in=visible_api_keys(user, perm=perm).values("pk"))
        | Q(api_key__isnull=True, owner_id=getattr(user, "pk", None))
        | Q(api_key__isnull=True, owner__membership__merchant_id__in=merchants)
    )


def visible_webhook_deliveries(user, *, perm=None, queryset=None):
    from api.models import WebhookDelivery
    from festival import scoping

    queryset = WebhookDelivery.objects.all() if queryset is None else queryset
    if scoping.organiser_ids(user, perm) is scoping.ALL:
        return queryset
    return queryset.filter(subscription_id__in=visible_webhook_subscriptions(user, perm=perm).values("pk"))


def visible_webhook_attempts(user, *, perm=None, queryset=None):
    from api.models import WebhookAttempt
    from festival import scoping

    queryset = WebhookAttempt.objects.all() if queryset is None else queryset
    if scoping.organiser_ids(user, perm) is scoping.ALL:
        return queryset
    return queryset.filter(delivery_id__in=visible_webhook_deliveries(user, perm=perm).values("pk"))


def register_scoping():
    from api.models import ApiKey, WebhookAttempt, WebhookDelivery, WebhookSubscription
    from festival import scoping

    scoping.register(ApiKey, visible_api_keys)
    scoping.register(WebhookSubscription, visible_webhook_subscriptions)
    scoping.register(WebhookDelivery, visible_webhook_deliveries)
    scoping.register(WebhookAttempt, visible_webhook_attempts)
