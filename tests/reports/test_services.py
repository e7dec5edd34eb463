"""The report's state machine, the frozen evidence and the proposed finding."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from core.workflow import TransitionNotAllowed
from reports import services
from reports.models import Finding, PriceReport, ReportEvent, ReportStatus
from tests.factories import PricePointFactory, PriceReportFactory, PromotionItemFactory

from .helpers import association_user, live_item, reviewer_user

pytestmark = pytest.mark.django_db
S = ReportStatus


def _file(item, **overrides):
    fields = {
        "item": item,
        "reason": "not_higher_before",
        "seen_price": Decimal("80.00"),
        "seen_at": timezone.now() - timedelta(hours=1),
        "description": "Same price as last week.",
        "email": "",
        "ip": "203.0.113.9",
    }
    fields.update(overrides)
    return services.file_report(**fields)


def test_filing_stores_a_random_code_the_evidence_and_a_received_event():
    item = live_item(prices=[("100.00", 20), ("120.00", 3)])
    report, merged = _file(item)
    assert not merged
    assert len(report.code) >= 20 and report.status == S.RECEIVED
    assert report.ip_hash and "203.0.113.9" not in report.ip_hash
    assert report.evidence["reference_price"] == "120.00"
    assert report.evidence["declared_price"] == "80.00"
    assert report.evidence["seen_matches_declared"] is True
    assert [p["price"] for p in report.evidence["price_points"]] == ["100.00", "120.00"]
    assert list(report.events.values_list("from_status", "to_status")) == [("", S.RECEIVED)]
    other, _ = _file(item, email="b@example.com")
    assert other.code != report.code


def test_a_price_recorded_after_the_report_does_not_change_its_evidence():
    item = live_item(prices=[("100.00", 20)])
    report, _ = _file(item)
    before = report.evidence
    PricePointFactory(
        product=item.product, price=Decimal("50.00"), recorded_at=item.promotion.starts_at - timedelta(days=1)
    )
    PricePointFactory(product=item.product, price=Decimal("70.00"), recorded_at=timezone.now())
    report.refresh_from_db()
    assert report.evidence == before
    assert report.evidence["reference_price"] == "100.00"
    assert len(report.evidence["price_points"]) == 1


def test_a_seen_price_above_the_declared_one_is_supported():
    report, _ = _file(live_item(), reason="checkout_differs", seen_price=Decimal("95.00"))
    assert report.proposed_finding == Finding.SUPPORTED
    assert report.evidence["seen_matches_declared"] is False


def test_a_raise_then_cut_is_supported_even_when_the_check_missed_it():
    # 80 long before, raised to 100 just before the lookback: a raise-then-cut.
    item = live_item(prices=[("80.00", 25), ("100.00", 6)], promo_price="85.00")
    report, _ = _file(item, reason="raised_before", seen_price=Decimal("85.00"))
    assert report.evidence["raised"] is True
    assert report.proposed_finding == Finding.SUPPORTED


def test_a_clean_history_contradicts_a_not_higher_before_report():
    report, _ = _file(live_item(prices=[("100.00", 3)]))
    assert report.evidence["check_status"] == "pass"
    assert report.proposed_finding == Finding.CONTRADICTED


def test_no_history_is_not_decidable():
    report, _ = _file(live_item(prices=[]))
    assert report.proposed_finding == Finding.UNDECIDABLE


def test_same_item_and_email_within_a_day_is_merged():
    item = live_item()
    first, _ = _file(item, email="Ann@Example.com")
    second, merged = _file(item, email="ann@example.com")
    assert merged and second.pk == first.pk and second.merged_count == 1
    assert PriceReport.objects.count() == 1
    _later, merged = _file(item, email="ann@example.com", now=timezone.now() + timedelta(days=1, minutes=1))
    assert not merged and PriceReport.objects.count() == 2


def test_only_public_promotions_items_can_be_reported():
    draft_item = PromotionItemFactory()
    with pytest.raises(services.ReportError) as error:
        _file(draft_item)
    assert error.value.code == "not_public"
    assert PriceReport.objects.count() == 0


def test_a_future_sighting_or_non_positive_price_is_refused_and_nothing_saved():
    item = live_item()
    with pytest.raises(services.ReportError):
        _file(item, seen_at=timezone.now() + timedelta(minutes=5))
    with pytest.raises(services.ReportError):
        _file(item, seen_price=Decimal("0"))
    assert PriceReport.objects.count() == 0


def test_decisions_follow_the_transition_table_with_a_required_note():
    association = association_user()
    report = PriceReportFactory()
    with pytest.raises(services.ReportError):
        services.decide_report(report, by=association, upheld=True, note="  ")
    report = services.start_review(report, by=association)
    assert report.status == S.UNDER_REVIEW
    report = services.decide_report(report, by=association, upheld=True, note="Raised before.", warn_merchant=True)
    assert (report.status, report.merchant_warned, report.decision_note) == (S.UPHELD, True, "Raised before.")
    assert report.decided_by == association and report.decided_at is not None
    with pytest.raises(TransitionNotAllowed):
        services.decide_report(report, by=association, upheld=False, note="Changed my mind")
    with pytest.raises(TransitionNotAllowed):
        services.start_review(report, by=association)
    assert list(ReportEvent.objects.filter(report=report).values_list("to_status", flat=True)) == [
        S.UNDER_REVIEW,
        S.UPHELD,
    ]


def test_deciding_a_received_report_records_the_review_step():
    report = services.decide_report(PriceReportFactory(), by=association_user(), upheld=False, note="Price was fine.")
    assert report.status == S.DISMISSED
    assert list(report.events.values_list("from_status", "to_status")) == [
        (S.RECEIVED, S.UNDER_REVIEW),
        (S.UNDER_REVIEW, S.DISMISSED),
    ]


def test_a_dismissal_cannot_warn_or_request_cancellation():
    with pytest.raises(services.ReportError):
        services.decide_report(
            PriceReportFactory(), by=association_user(), upheld=False, note="x", request_cancellation=True
        )


def test_reviewers_cannot_decide_reports():
    report = PriceReportFactory()
    with pytest.raises(services.ReportError):
        services.decide_report(report, by=reviewer_user(), upheld=True, note="x")
    report.refresh_from_db()
    assert report.status == S.RECEIVED


def test_the_merchant_answers_once_and_only_before_the_decision():
    report = PriceReportFactory()
    services.answer_report(report, merchant=report.merchant, note="Our price was 100 all month.")
    with pytest.raises(services.ReportError):
        services.answer_report(report, merchant=report.merchant, note="Again")
    decided = PriceReportFactory(upheld=True)
    with pytest.raises(services.ReportError):
        services.answer_report(decided, merchant=decided.merchant, note="Late")
    other = PriceReportFactory()
    with pytest.raises(services.ReportError):
        services.answer_report(other, merchant=report.merchant, note="Not mine")
