"""The site's URLs plus the baseline of bench/public.py: plain views that run one
hand-written query and return the same HTML as our page (captured once)."""

from django.db import connection
from django.http import HttpResponse
from django.urls import include, path

BASELINE_HTML: dict[str, bytes] = {}

LIST_SQL = """
SELECT p.id, p.title, p.kind, p.starts_at, p.ends_at, m.name,
       (SELECT string_agg(i.promo_price::text, ',') FROM promotions_promotionitem i WHERE i.promotion_id = p.id)
FROM promotions_promotion p
JOIN merchants_merchant m ON m.id = p.merchant_id
JOIN festival_festival f ON f.id = p.festival_id
WHERE f.slug = %s AND p.status IN ('approved', 'live', 'ended')
  AND EXISTS (SELECT 1 FROM merchants_participation pa
              WHERE pa.merchant_id = p.merchant_id AND pa.festival_id = p.festival_id AND pa.status = 'approved')
ORDER BY p.starts_at, p.id
LIMIT %s
"""


def _baseline(name, limit):
    def view(request, slug):
        with connection.cursor() as cursor:
            cursor.execute(LIST_SQL, [slug, limit])
            cursor.fetchall()
        return HttpResponse(BASELINE_HTML[name])

    return view


urlpatterns = [
    path("bench/baseline/home/<slug:slug>/", _baseline("home", 8)),
    path("bench/baseline/promotions/<slug:slug>/", _baseline("promotions", 24)),
    path("", include("festival.urls")),
]
