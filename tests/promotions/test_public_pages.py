from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from promotions.models import CheckStatus, ReferenceSource
from tests.factories import CategoryFactory, FestivalFactory, PromotionFactory, PromotionItemFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def running_festival():
    now = timezone.now()
    return FestivalFactory(
        name="Double Product 2026",
        registration_opens_at=now - timedelta(days=30),
        registration_closes_at=now - timedelta(days=10),
        submission_deadline=now - timedelta(days=9),
        starts_at=now - timedelta(days=2),
        ends_at=now + timedelta(days=5),
        status="running",
    )


def _live_item(festival, *, category=None, title="Tea week", **item_fields):
    promotion = PromotionFactory(
        festival=festival,
        title=title,
        live=True,
        starts_at=festival.starts_at + timedelta(hours=1),
        ends_at=festival.ends_at - timedelta(hours=1),
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
    fields.update(item_fields)
    return PromotionItemFactory(promotion=promotion, **fields)


def test_home_shows_the_running_festival_and_its_live_promotions_with_the_honest_badge(client, running_festival):
    _live_item(running_festival)

    response = client.get(reverse("public:index"))

    page = response.content.decode()
    assert response.status_code == 200
    assert "Double Product 2026" in page and "Tea week" in page
    assert "Lowest price in the 7 days before: ¥100.00, now ¥80.00, 20% off" in page


def test_the_badge_uses_the_festivals_lookback_days(client, running_festival):
    running_festival.price_lookback_days = 30
    running_festival.save()
    _live_item(running_festival)

    page = client.get(reverse("public:index")).content.decode()

    assert "Lowest price in the 30 days before" in page


def test_a_fallback_reference_is_labelled_as_the_last_price(client, running_festival):
    _live_item(running_festival, reference_source=ReferenceSource.FALLBACK, check_status=CheckStatus.WARNING)

    page = client.get(reverse("public:index")).content.decode()

    assert "Last price before the 7 days before: ¥100.00, now ¥80.00, 20% off" in page


def test_an_item_without_a_reference_gets_no_badge(client, running_festival):
    _live_item(
        running_festival, reference_price=None, real_discount_percent=None, reference_source=ReferenceSource.NONE
    )

    page = client.get(reverse("public:index")).content.decode()

    assert "Tea week" in page and "honest-badge" not in page


def test_drafts_submitted_and_withdrawn_promotions_are_never_public(client, running_festival):
    for status in ("draft", "submitted", "changes_requested", "withdrawn", "cancelled"):
        PromotionFactory(
            festival=running_festival, title=f"Hidden {status}", **({status: True} if status != "draft" else {})
        )
    _live_item(running_festival)

    page = client.get(reverse("public:index")).content.decode()

    assert "Hidden" not in page


def test_promotions_are_grouped_and_filtered_by_category(client, running_festival):
    brands = CategoryFactory(name="Time-honoured brands", name_en="Time-honoured brands", slug="brands", position=1)
    produce = CategoryFactory(name="Certified produce", name_en="Certified produce", slug="produce", position=2)
    _live_item(running_festival, category=brands, title="Old brand sale")
    _live_item(running_festival, category=produce, title="Green rice sale")

    everything = client.get(reverse("public:festival", args=[running_festival.slug]))
    filtered = client.get(reverse("public:festival", args=[running_festival.slug]), {"category": "produce"})

    assert [c.name for c in everything.context["groups"]] == ["Time-honoured brands", "Certified produce"]
    assert "Green rice sale" in filtered.content.decode() and "Old brand sale" not in filtered.content.decode()


def test_an_unknown_category_is_404(client, running_festival):
    response = client.get(reverse("public:festival", args=[running_festival.slug]), {"category": "nope"})

    assert response.status_code == 404


def test_an_item_never_checked_gets_no_badge(client, running_festival):
    _live_item(running_festival, checked_at=None)

    page = client.get(reverse("public:index")).content.decode()

    assert "Tea week" in page and "honest-badge" not in page


def test_a_public_promotion_page_and_a_draft_is_404(client, running_festival):
    item = _live_item(running_festival)
    draft = PromotionFactory(festival=running_festival)

    shown = client.get(reverse("public:promotion", args=[item.promotion.pk]))
    hidden = client.get(reverse("public:promotion", args=[draft.pk]))

    assert shown.status_code == 200 and "20% off" in shown.content.decode()
    assert hidden.status_code == 404


def test_home_without_any_festival_says_so(client):
    response = client.get(reverse("public:index"))

    assert response.status_code == 200
    assert "No festival has been announced yet." in response.content.decode()


def test_before_the_festival_approved_promotions_are_previewed(client):
    festival = FestivalFactory()
    PromotionFactory(festival=festival, title="Coming soon", approved=True)

    page = client.get(reverse("public:index")).content.decode()

    assert "Coming soon" in page


def test_the_home_page_is_served_in_chinese_by_default(client, settings, running_festival):
    settings.LANGUAGE_CODE = "zh-hans"
    _live_item(running_festival)

    page = client.get(reverse("public:index"), HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()

    assert 'lang="zh-hans"' in page
    assert "前7天最低价 ¥100.00，现价 ¥80.00，便宜 20%" in page
