"""Stored checks: on submit, for the reviewer, and kept current when prices or dates change."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.events import publish_on_commit
from merchants import services as merchant_services
from merchants.models import PriceSource
from promotions import pricing, services
from promotions.models import CheckStatus, PromotionItem, PromotionKind, PromotionStatus, ReferenceSource
from tests.factories import PromotionItemFactory, ReviewerFactory
from tests.promotions.pricing_helpers import START, days_before, festival, item, price

pytestmark = pytest.mark.django_db

NOW = START - timedelta(days=10)


def test_submit_is_refused_with_a_reason_per_failing_item():
    good = item("80.00", kind=PromotionKind.FLASH_SALE, percent_off=None, flash_quantity=10)
    promotion = good.promotion
    bad = PromotionItemFactory(promotion=promotion, promo_price=Decimal("99.00"))
    for it in (good, bad):
        price(it.product, "100.00", days_before(3))

    with pytest.raises(services.SubmissionRefused) as refused:
        services.submit_promotion(promotion, now=NOW)

    assert refused.value.details == {
        bad.product.sku: ["¥99.00 is only 1.00% below the reference price ¥100.00; at least 5% is required."]
    }
    promotion.refresh_from_db()
    bad.refresh_from_db()
    assert promotion.status == PromotionStatus.DRAFT
    assert (bad.check_status, bad.reference_price, bad.real_discount_percent) == (
        CheckStatus.FAIL,
        Decimal("100.00"),
        Decimal("1.00"),
    )


def test_warnings_go_to_the_reviewer_who_may_approve():
    it = item("120.00")
    price(it.product, "100.00", days_before(40))
    price(it.product, "150.00", days_before(10))

    promotion = services.submit_promotion(it.promotion, now=NOW)

    it.refresh_from_db()
    assert promotion.status == PromotionStatus.SUBMITTED
    assert (it.check_status, it.reference_source, it.reference_price) == (
        CheckStatus.WARNING,
        ReferenceSource.FALLBACK,
        Decimal("150.00"),
    )
    assert [reason.split(":")[0] for reason in it.check_reasons] == [
        "No price was recorded in the 7 days before the start; the last earlier price ¥150.00 is used.",
        "Possible raise-then-cut",
    ]
    assert services.approve_promotion(promotion, by=ReviewerFactory()).status == PromotionStatus.APPROVED


def test_recording_a_lower_price_rechecks_a_submitted_promotion(django_capture_on_commit_callbacks):
    it = item("80.00")
    price(it.product, "100.00", days_before(3))
    services.submit_promotion(it.promotion, now=NOW)

    with django_capture_on_commit_callbacks(execute=True):
        merchant_services.record_price(it.product, price=Decimal("82.00"), recorded_at=days_before(2))

    it.refresh_from_db()
    assert (it.check_status, it.reference_price, it.real_discount_percent) == (
        CheckStatus.FAIL,
        Decimal("82.00"),
        Decimal("2.44"),
    )


def test_recording_prices_in_bulk_rechecks_drafts_and_changes_requested(django_capture_on_commit_callbacks):
    fest = festival()
    draft = item("80.00", fest=fest)
    returned = item("80.00", fest=fest, status="changes_requested")
    rows = [(it.product, Decimal("100.00"), days_before(2)) for it in (draft, returned)]

    with django_capture_on_commit_callbacks(execute=True):
        merchant_services.record_prices(rows, source=PriceSource.CSV)

    for it in (draft, returned):
        it.refresh_from_db()
        assert (it.check_status, it.reference_price) == (CheckStatus.PASS, Decimal("100.00"))


@pytest.mark.parametrize("status", ["approved", "live", "ended", "withdrawn"])
def test_decided_promotions_keep_their_stored_check(status, django_capture_on_commit_callbacks):
    it = item("80.00", status=status)

    with django_capture_on_commit_callbacks(execute=True):
        merchant_services.record_price(it.product, price=Decimal("82.00"), recorded_at=days_before(2))

    it.refresh_from_db()
    assert (it.check_status, it.checked_at) == ("", None)


def test_prices_recorded_event_is_published_after_commit(django_capture_on_commit_callbacks):
    it = item()

    with django_capture_on_commit_callbacks() as callbacks:
        merchant_services.record_price(it.product, price=Decimal("100.00"), recorded_at=days_before(2))

    it.refresh_from_db()
    assert len(callbacks) == 1 and it.checked_at is None  # nothing re-checked before the commit


def test_other_events_do_not_recheck(django_capture_on_commit_callbacks):
    it = item()

    with django_capture_on_commit_callbacks(execute=True):
        publish_on_commit("promotion.approved", promotion_id=it.promotion_id, product_ids=[it.product_id])

    it.refresh_from_db()
    assert it.checked_at is None


def test_moving_the_start_rechecks_against_the_new_window():
    it = item("80.00")
    price(it.product, "100.00", days_before(3))
    price(it.product, "79.00", START + timedelta(days=1))  # before the new start
    services.refresh_item_checks(it.promotion, now=NOW)

    services.update_promotion(it.promotion, starts_at=START + timedelta(days=2), ends_at=START + timedelta(days=4))

    it.refresh_from_db()
    assert (it.check_status, it.reference_price) == (CheckStatus.FAIL, Decimal("79.00"))


def test_refresh_stores_every_field_and_the_time():
    it = item("80.00")
    price(it.product, "100.00", days_before(3))

    services.refresh_item_checks(it.promotion, now=NOW)

    stored = PromotionItem.objects.get(pk=it.pk)
    assert (
        stored.check_status,
        stored.reference_price,
        stored.reference_source,
        stored.real_discount_percent,
        stored.check_reasons,
        stored.checked_at,
    ) == (CheckStatus.PASS, Decimal("100.00"), ReferenceSource.LOOKBACK, Decimal("20.00"), [], NOW)


def _refresh_queries(count):
    fest = festival()
    items = [item("80.00", fest=fest) for _ in range(count)]
    for it in items:
        price(it.product, "100.00", days_before(3))
    with CaptureQueriesContext(connection) as queries:
        checks = services.refresh_checks_for_items(
            PromotionItem.objects.filter(pk__in=[it.pk for it in items]), now=NOW
        )
    assert [c.status for c in checks] == [CheckStatus.PASS] * count
    return len(queries.captured_queries)


def test_refreshing_many_items_takes_as_many_queries_as_refreshing_few():
    assert _refresh_queries(2) == _refresh_queries(7)


# The public badge -----------------------------------------------------------------------


def test_badge_reads_the_stored_check():
    it = item("80.00")
    price(it.product, "100.00", days_before(3))
    services.refresh_item_checks(it.promotion, now=NOW)
    it.refresh_from_db()

    badge = pricing.honest_price_badge(it)

    assert badge.text == "7-day low ¥100.00 → now ¥80.00 · 20% off"
    assert (badge.reference_price, badge.price, badge.discount_percent, badge.source) == (
        Decimal("100.00"),
        Decimal("80.00"),
        Decimal("20.00"),
        ReferenceSource.LOOKBACK,
    )


def test_badge_is_computed_when_nothing_is_stored():
    it = item("87.50", fest=festival(price_lookback_days=1))
    price(it.product, "100.00", days_before(0, hours=2))

    assert pricing.honest_price_badge(it).text == "1-day low ¥100.00 → now ¥87.50 · 13% off"


def test_badge_names_a_fallback_price_for_what_it_is():
    it = item("80.00")
    price(it.product, "100.00", days_before(10))

    assert pricing.honest_price_badge(it).text == (
        "No price in the last 7 days; last earlier price ¥100.00 → now ¥80.00 · 20% off"
    )


@pytest.mark.parametrize("history", [[], [("80.00", 3)], [("70.00", 3)]])
def test_no_badge_without_history_or_without_a_real_discount(history):
    it = item("80.00")
    for amount, days in history:
        price(it.product, amount, days_before(days))

    assert pricing.honest_price_badge(it) is None
