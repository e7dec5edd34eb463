"""The site's URLs plus the benchmark's baseline: a plain Django view answering
GET /api/v1/promotions/?festival=…&page_size=… with the same JSON from one
hand-written PostgreSQL query."""

import json
import zoneinfo
from urllib.parse import urlencode

from django.conf import settings
from django.db import connection
from django.http import HttpResponse
from django.urls import include, path

from promotions.models import KIND_FIELDS, PUBLIC_STATUSES, fields_for_kind

ZONE = zoneinfo.ZoneInfo(settings.TIME_ZONE)
STATUSES = sorted(PUBLIC_STATUSES)
COLUMNS = [
    "id",
    "festival",
    "merchant",
    "merchant_name",
    "title",
    "description",
    "kind",
    "starts_at",
    "ends_at",
    "categories",
    "status",
    "percent_off",
    "amount_off",
    "threshold_amount",
    "coupon_value",
    "coupon_quantity",
    "flash_quantity",
    "stream_host",
    "stream_url",
    "stream_starts_at",
    "items",
    "submitted_at",
    "created_at",
    "updated_at",
]
# The best hand-written form: the page's ids first (an index scan of LIMIT + OFFSET rows,
# nothing else computed for the rows OFFSET skips), then one row per promotion with its
# categories and items gathered by index lookups for those ids only.
SQL = """
WITH page AS MATERIALIZED (
  SELECT p.id, p.starts_at
  FROM promotions_promotion p
  JOIN festival_festival f ON f.id = p.festival_id
  WHERE f.slug = %(slug)s AND p.status = ANY(%(statuses)s)
  ORDER BY p.starts_at, p.id
  LIMIT %(limit)s OFFSET %(offset)s
)
SELECT
  (SELECT count(*) FROM promotions_promotion c JOIN festival_festival cf ON cf.id = c.festival_id
    WHERE cf.slug = %(slug)s AND c.status = ANY(%(statuses)s)) AS total,
  p.id, f.slug, p.merchant_id, m.name, p.title, p.description, p.kind, p.starts_at, p.ends_at,
  ARRAY(SELECT c.slug FROM promotions_promotion_categories pc JOIN festival_category c ON c.id = pc.category_id
        WHERE pc.promotion_id = p.id ORDER BY c.position, c.id),
  p.status, p.percent_off::text, p.amount_off::text, p.threshold_amount::text, p.coupon_value::text,
  p.coupon_quantity, p.flash_quantity, p.stream_host, p.stream_url, p.stream_starts_at,
  COALESCE((SELECT json_agg(json_build_object(
        'product', i.product_id, 'sku', pr.sku, 'promo_price', i.promo_price::text,
        'reference_price', i.reference_price::text, 'reference_source', NULLIF(i.reference_source, ''),
        'real_discount_percent', i.real_discount_percent::text, 'check_status', NULLIF(i.check_status, ''),
        'check_reasons', i.check_reasons) ORDER BY i.id)
     FROM promotions_promotionitem i JOIN merchants_product pr ON pr.id = i.product_id
     WHERE i.promotion_id = p.id), '[]'::json),
  p.submitted_at, p.created_at, p.updated_at
FROM page
JOIN promotions_promotion p ON p.id = page.id
JOIN festival_festival f ON f.id = p.festival_id
JOIN merchants_merchant m ON m.id = p.merchant_id
ORDER BY page.starts_at, page.id
"""
MOMENTS = {"starts_at", "ends_at", "stream_starts_at", "submitted_at", "created_at", "updated_at"}


def _moment(value):
    return value.astimezone(ZONE).isoformat() if value is not None else None


def _link(request, page, size, slug):
    # As DRF writes them: parameters in sorted order, and no page parameter for page 1.
    query = {"festival": slug, "page": page, "page_size": size} if page > 1 else {"festival": slug, "page_size": size}
    return request.build_absolute_uri(request.path + "?" + urlencode(query))


def baseline_promotions(request):
    slug = request.GET.get("festival", "")
    size = min(int(request.GET.get("page_size", 20)), 100)
    page = int(request.GET.get("page", 1))
    with connection.cursor() as cursor:
        cursor.execute(SQL, {"slug": slug, "statuses": STATUSES, "limit": size, "offset": (page - 1) * size})
        rows = cursor.fetchall()
    total = rows[0][0] if rows else 0
    results = []
    for row in rows:
        promotion = dict(zip(COLUMNS, row[1:], strict=True))
        for name in MOMENTS:
            promotion[name] = _moment(promotion[name])
        for name in set(KIND_FIELDS) - set(fields_for_kind(promotion["kind"])):
            del promotion[name]
        results.append(promotion)
    body = {
        "count": total,
        "next": _link(request, page + 1, size, slug) if page * size < total else None,
        "previous": _link(request, page - 1, size, slug) if page > 1 else None,
        "results": results,
    }
    return HttpResponse(json.dumps(body, ensure_ascii=False, separators=(",", ":")), content_type="application/json")


urlpatterns = [
    path("bench/baseline/promotions/", baseline_promotions),
    path("", include("festival.urls")),
]
# As festival.urls: Django's own 500 view renders 500.html without a request, which public/base.html needs.
handler500 = "public.views.server_error"
