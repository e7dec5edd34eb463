"""The site's URLs plus the baseline of bench/public.py: plain views that run one
hand-written query and return the same HTML as our page (captured once).

Each query reads everything its page shows, the way one would write it by
hand for PostgreSQL (CTEs, JSON built in the database): the list reads the
festival, the category choices, the count of visible promotions (up to the list's
count limit, as the page counts) and the 24
cards with their first three shown items (product name, prices, stored check);
the home reads the featured festival and its organisers, the categories with
their live counts, the certified merchants, the "live now" and "starting soon"
cards with their items, and the other editions. bench/public.py checks the
rows they return against the page's own selectors before it measures anything.
"""

from django.db import connection
from django.http import HttpResponse
from django.urls import include, path

from public.selectors import LIST_COUNT_LIMIT

BASELINE_HTML: dict[str, bytes] = {}

VISIBLE_PROMOTION = """
    p.status IN ('approved', 'live', 'ended')
    AND EXISTS (SELECT 1 FROM merchants_participation pa
                WHERE pa.merchant_id = p.merchant_id AND pa.festival_id = p.festival_id AND pa.status = 'approved')
"""

# A card: the promotion's shown fields, its merchant, and its first three shown items.
CARD_COLUMNS = """
    p.id, p.title, p.kind, p.status, p.starts_at, p.ends_at, p.banner, p.banner_thumbnail,
    p.percent_off, p.amount_off, p.threshold_amount, p.coupon_value, p.coupon_quantity,
    p.flash_quantity, p.stream_host, p.merchant_id, m.name AS merchant_name
"""
CARD_ITEMS = """
    (SELECT json_agg(i ORDER BY i.id) FROM (
        SELECT it.id, pr.name, it.promo_price::text, it.check_status, it.reference_price::text,
               it.reference_source, it.checked_at
        FROM promotions_promotionitem it JOIN merchants_product pr ON pr.id = it.product_id
        WHERE it.promotion_id = c.id AND it.check_status <> 'fail'
        ORDER BY it.id LIMIT 3) i)
"""

LIST_SQL = f"""
SELECT (SELECT row_to_json(f) FROM (
            SELECT id, name, name_en, slug, time_zone, starts_at, ends_at, price_lookback_days
            FROM festival_festival WHERE slug = %(slug)s) f),
       (SELECT json_agg(json_build_object('slug', k.slug, 'name', k.name, 'name_en', k.name_en)
                        ORDER BY k.position, k.id)
        FROM festival_category k WHERE k.parent_id IS NULL),
       c.id,
       (SELECT count(*) FROM (
            SELECT 1 FROM promotions_promotion p JOIN festival_festival f ON f.id = p.festival_id
            WHERE f.slug = %(slug)s AND {VISIBLE_PROMOTION} LIMIT %(count_limit)s) counted),
       row_to_json(c), {CARD_ITEMS}
FROM (SELECT {CARD_COLUMNS}
      FROM promotions_promotion p
      JOIN festival_festival f ON f.id = p.festival_id
      JOIN merchants_merchant m ON m.id = p.merchant_id
      WHERE f.slug = %(slug)s AND {VISIBLE_PROMOTION}
      ORDER BY p.starts_at, p.id
      LIMIT %(limit)s) c
ORDER BY c.starts_at, c.id
"""

HOME_SQL = f"""
WITH featured AS (
    SELECT id, name, name_en, slug, description, time_zone, starts_at, ends_at, status, price_lookback_days
    FROM festival_festival
    ORDER BY CASE WHEN starts_at <= %(now)s AND ends_at > %(now)s THEN 0 WHEN starts_at > %(now)s THEN 1 ELSE 2 END,
             CASE WHEN ends_at > %(now)s THEN starts_at END, starts_at DESC
    LIMIT 1
), live AS NOT MATERIALIZED (
    SELECT p.id FROM promotions_promotion p
    WHERE p.festival_id = (SELECT id FROM featured) AND {VISIBLE_PROMOTION}
      AND p.status = 'live' AND p.starts_at <= %(now)s AND p.ends_at > %(now)s
), shown_merchant AS NOT MATERIALIZED (
    SELECT m.id, m.name FROM merchants_merchant m
    WHERE EXISTS (SELECT 1 FROM merchants_participation pa
                  WHERE pa.merchant_id = m.id AND pa.festival_id = (SELECT id FROM featured) AND pa.status = 'approved')
)
SELECT row_to_json(f),
    (SELECT json_agg(json_build_object('name', o.name, 'name_en', o.name_en) ORDER BY o.id)
     FROM festival_festival_organisers fo JOIN festival_organiser o ON o.id = fo.organiser_id
     WHERE fo.festival_id = f.id),
    (SELECT json_agg(json_build_object('slug', k.slug, 'name', k.name, 'name_en', k.name_en,
                                       'live', coalesce(l.live, 0)) ORDER BY k.position, k.id)
     FROM festival_category k
     LEFT JOIN (SELECT coalesce(kk.parent_id, kk.id) AS category_id, count(DISTINCT pk.promotion_id) AS live
                FROM promotions_promotion_categories pk JOIN festival_category kk ON kk.id = pk.category_id
                WHERE pk.promotion_id IN (SELECT id FROM live) GROUP BY 1) l ON l.category_id = k.id
     WHERE k.parent_id IS NULL),
    (SELECT json_agg(t) FROM (
        SELECT sm.id, sm.name FROM shown_merchant sm
        WHERE EXISTS (SELECT 1 FROM merchants_certificate ce WHERE ce.merchant_id = sm.id AND ce.status = 'verified'
                      AND ce.kind = 'time_honoured')
        ORDER BY sm.name, sm.id LIMIT 12) t),
    (SELECT json_agg(t) FROM (
        SELECT sm.id, sm.name FROM shown_merchant sm
        WHERE EXISTS (SELECT 1 FROM merchants_certificate ce WHERE ce.merchant_id = sm.id AND ce.status = 'verified'
                      AND ce.kind IN ('green_food', 'organic', 'geographical_indication', 'pollution_free'))
        ORDER BY sm.name, sm.id LIMIT 12) t),
    (SELECT json_agg(json_build_object('card', row_to_json(c), 'items', {CARD_ITEMS}) ORDER BY c.ends_at, c.id)
     FROM (SELECT {CARD_COLUMNS} FROM promotions_promotion p JOIN merchants_merchant m ON m.id = p.merchant_id
           WHERE p.festival_id = f.id AND {VISIBLE_PROMOTION}
             AND p.status = 'live' AND p.starts_at <= %(now)s AND p.ends_at > %(now)s
           ORDER BY p.ends_at, p.id LIMIT %(limit)s) c),
    (SELECT json_agg(json_build_object('card', row_to_json(c), 'items', {CARD_ITEMS}) ORDER BY c.starts_at, c.id)
     FROM (SELECT {CARD_COLUMNS} FROM promotions_promotion p JOIN merchants_merchant m ON m.id = p.merchant_id
           WHERE p.festival_id = f.id AND {VISIBLE_PROMOTION} AND p.status = 'approved' AND p.starts_at > %(now)s
           ORDER BY p.starts_at, p.id LIMIT %(limit)s) c),
    (SELECT json_agg(json_build_object('slug', e.slug, 'name', e.name, 'name_en', e.name_en, 'starts_at', e.starts_at,
                                       'ends_at', e.ends_at, 'time_zone', e.time_zone) ORDER BY e.starts_at DESC)
     FROM festival_festival e WHERE e.starts_at <= %(now)s AND e.status <> 'planned' AND e.id <> f.id)
FROM featured f
"""


def list_rows(slug, limit=24):
    with connection.cursor() as cursor:
        cursor.execute(LIST_SQL, {"slug": slug, "limit": limit, "count_limit": LIST_COUNT_LIMIT + 1})
        return cursor.fetchall()


def home_row(now, limit=8):
    with connection.cursor() as cursor:
        cursor.execute(HOME_SQL, {"now": now, "limit": limit})
        return cursor.fetchone()


def _baseline(name, read):
    def view(request, slug):
        from django.utils import timezone

        read(slug, timezone.now())
        return HttpResponse(BASELINE_HTML[name])

    return view


urlpatterns = [
    path("bench/baseline/home/<slug:slug>/", _baseline("home", lambda slug, now: home_row(now))),
    path("bench/baseline/promotions/<slug:slug>/", _baseline("promotions", lambda slug, now: list_rows(slug))),
    path("", include("festival.urls")),
]
# As festival.urls: Django's own 500 view renders 500.html without a request, which public/base.html needs.
handler500 = "public.views.server_error"
