from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from promotions.models import CheckStatus, ReferenceSource
from tests.factories import FestivalFactory, PromotionFactory, PromotionItemFactory


@pytest.fixture(autouse=True)
def _own_cache(settings):
    """Each test gets an empty in-memory page cache (and no promotion cards kept in the process)."""
    settings.PUBLIC_PAGE_CACHE_SECONDS = 300
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "public-tests"}
    }
    from django.core.cache import cache

    from public.cards import RECENT

    cache.clear()
    RECENT.clear()
    yield
    cache.clear()
    RECENT.clear()


@pytest.fixture
def running_festival():
    now = timezone.now()
    return FestivalFactory(
        name="双品网购节 2026",
        name_en="Double Product 2026",
        slug="dp-2026",
        registration_opens_at=now - timedelta(days=30),
        registration_closes_at=now - timedelta(days=10),
        submission_deadline=now - timedelta(days=9),
        starts_at=now - timedelta(days=2),
        ends_at=now + timedelta(days=5),
        status="running",
    )


@pytest.fixture
def closed_festival():
    now = timezone.now()
    return FestivalFactory(
        name="双品网购节 2020",
        name_en="Double Product 2020",
        slug="dp-2020",
        registration_opens_at=now - timedelta(days=400),
        registration_closes_at=now - timedelta(days=380),
        submission_deadline=now - timedelta(days=379),
        starts_at=now - timedelta(days=370),
        ends_at=now - timedelta(days=360),
        status="closed",
    )


def live_item(festival, *, category=None, title="Tea week", status="live", merchant=None, product=None, **item_fields):
    promotion_fields = {"merchant": merchant} if merchant else {}
    if status != "draft":
        promotion_fields[status] = True
    promotion = PromotionFactory(
        festival=festival,
        title=title,
        starts_at=festival.starts_at + timedelta(hours=1),
        ends_at=festival.ends_at - timedelta(hours=1),
        **promotion_fields,
    )
    if category:
        promotion.categories.add(category)
    fields = {
        "promo_price": Decimal("80.00"),
        "check_status": CheckStatus.PASS,
        "reference_price": Decimal("100.00"),
        "reference_source": ReferenceSource.LOOKBACK,
        "real_discount_percent": Decimal("20.00"),
        "checked_at": timezone.now(),
    }
    if product is not None:
        fields["product"] = product
    fields.update(item_fields)
    return PromotionItemFactory(promotion=promotion, **fields)


def fresh_get(client, url, data=None, **extra):
    """GET a page rendered now (not from the page cache), so its context can be read."""
    from django.core.cache import cache

    cache.clear()
    return client.get(url, data, **extra)


@pytest.fixture
def no_page_cache(settings):
    """Every request renders its page (a page-cache miss); the card cache stays on."""
    settings.PUBLIC_PAGE_CACHE_SECONDS = 0
    settings.PUBLIC_CARD_CACHE_SECONDS = 300
