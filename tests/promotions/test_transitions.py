"""Every legal and every illegal promotion status change, from ALLOWED_TRANSITIONS.

First the one transition path itself (core.workflow.transition with the
promotion table), then each service that moves a promotion: it does exactly
what the table allows and refuses the rest without changing anything.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.db import transaction

from core.workflow import TransitionNotAllowed, transition
from promotions import services
from promotions.models import ALLOWED_TRANSITIONS, Promotion, PromotionEvent, PromotionStatus
from tests.factories import PricePointFactory, PromotionFactory, PromotionItemFactory, ReviewerFactory, UserFactory

pytestmark = pytest.mark.django_db

S = PromotionStatus
PAIRS = [(a, b) for a in S.values for b in S.values if a != b]
LEGAL = sorted((a, b) for a, targets in ALLOWED_TRANSITIONS.items() for b in targets)
ILLEGAL = [pair for pair in PAIRS if pair not in LEGAL]


def sources_of(target):
    return {a for a, targets in ALLOWED_TRANSITIONS.items() if target in targets}


def test_the_table_has_terminal_statuses_only_where_the_spec_says():
    assert set(S.values) - set(ALLOWED_TRANSITIONS) == {S.ENDED, S.WITHDRAWN, S.CANCELLED}
    assert len(LEGAL) + len(ILLEGAL) == len(S.values) * (len(S.values) - 1)


@pytest.mark.parametrize("from_status, to_status", LEGAL)
def test_legal_transition_records_who_when_from_to_and_why(from_status, to_status):
    promotion = PromotionFactory(status=from_status)
    actor = ReviewerFactory()
    moment = promotion.festival.starts_at - timedelta(days=1)

    with transaction.atomic():
        moved = transition(
            promotion,
            to_status,
            allowed=ALLOWED_TRANSITIONS,
            event_model=PromotionEvent,
            event_fk="promotion",
            by=actor,
            note="because",
            at=moment,
        )

    promotion.refresh_from_db()
    assert moved.status == promotion.status == to_status
    event = promotion.events.get()
    assert (event.from_status, event.to_status, event.actor, event.note, event.created_at) == (
        from_status,
        to_status,
        actor,
        "because",
        moment,
    )


@pytest.mark.parametrize("from_status, to_status", ILLEGAL)
def test_illegal_transition_raises_and_changes_nothing(from_status, to_status):
    promotion = PromotionFactory(status=from_status)
    updated_at = promotion.updated_at

    with pytest.raises(TransitionNotAllowed) as excinfo, transaction.atomic():
        transition(
            promotion,
            to_status,
            allowed=ALLOWED_TRANSITIONS,
            event_model=PromotionEvent,
            event_fk="promotion",
            by=ReviewerFactory(),
        )

    promotion.refresh_from_db()
    assert (promotion.status, promotion.updated_at) == (from_status, updated_at)
    assert not promotion.events.exists()
    assert (excinfo.value.current, excinfo.value.target) == (from_status, to_status)
    assert "Cannot change promotion" in excinfo.value.message


def test_transition_checks_the_rows_current_status_not_the_callers_copy():
    promotion = PromotionFactory(submitted=True)
    stale = Promotion.objects.get(pk=promotion.pk)
    services.approve_promotion(promotion, by=ReviewerFactory())

    with pytest.raises(TransitionNotAllowed):
        services.request_changes(stale, by=ReviewerFactory(), note="too late")

    assert Promotion.objects.get(pk=promotion.pk).status == S.APPROVED


# The services, one per target status -----------------------------------------------------


def assert_moved(promotion, from_status, to_status, *, actor=None, note=None):
    promotion.refresh_from_db()
    assert promotion.status == to_status
    event = promotion.events.get()
    assert (event.from_status, event.to_status) == (from_status, to_status)
    if actor is not None:
        assert event.actor == actor
    if note is not None:
        assert event.note == note


def assert_refused(promotion, from_status):
    promotion.refresh_from_db()
    assert promotion.status == from_status
    assert not promotion.events.exists()


@pytest.mark.parametrize("from_status", S.values)
def test_approve_promotion_from_every_status(from_status):
    promotion = PromotionFactory(status=from_status)
    reviewer = ReviewerFactory()

    if from_status == S.APPROVED:  # a repeated click is answered calmly
        services.approve_promotion(promotion, by=reviewer)
        assert_refused(promotion, from_status)
    elif from_status in sources_of(S.APPROVED):
        services.approve_promotion(promotion, by=reviewer, note="ok")
        assert_moved(promotion, from_status, S.APPROVED, actor=reviewer, note="ok")
        assert (promotion.reviewed_by, promotion.review_note) == (reviewer, "ok")
    else:
        with pytest.raises(TransitionNotAllowed):
            services.approve_promotion(promotion, by=reviewer)
        assert_refused(promotion, from_status)


@pytest.mark.parametrize("from_status", S.values)
def test_request_changes_from_every_status(from_status):
    promotion = PromotionFactory(status=from_status)
    reviewer = ReviewerFactory()

    if from_status in sources_of(S.CHANGES_REQUESTED):
        services.request_changes(promotion, by=reviewer, note=" Fix the banner. ")
        assert_moved(promotion, from_status, S.CHANGES_REQUESTED, actor=reviewer, note="Fix the banner.")
        assert promotion.review_note == "Fix the banner."
    else:
        with pytest.raises(TransitionNotAllowed):
            services.request_changes(promotion, by=reviewer, note="Fix the banner.")
        assert_refused(promotion, from_status)


@pytest.mark.parametrize("from_status", S.values)
def test_cancel_promotion_from_every_status(from_status):
    promotion = PromotionFactory(status=from_status)
    reviewer = ReviewerFactory()

    if from_status in sources_of(S.CANCELLED):
        services.cancel_promotion(promotion, by=reviewer, reason="Complaints")
        assert_moved(promotion, from_status, S.CANCELLED, actor=reviewer, note="Complaints")
        assert (promotion.ended_at is not None) == (from_status == S.LIVE)
    else:
        with pytest.raises(TransitionNotAllowed):
            services.cancel_promotion(promotion, by=reviewer, reason="Complaints")
        assert_refused(promotion, from_status)


@pytest.mark.parametrize("from_status", S.values)
def test_withdraw_promotion_from_every_status(from_status):
    promotion = PromotionFactory(status=from_status)
    merchant_user = UserFactory()

    if from_status == S.WITHDRAWN:
        services.withdraw_promotion(promotion, by=merchant_user)
        assert_refused(promotion, from_status)
    elif from_status in sources_of(S.WITHDRAWN):
        services.withdraw_promotion(promotion, by=merchant_user, note="Sold out")
        assert_moved(promotion, from_status, S.WITHDRAWN, actor=merchant_user, note="Sold out")
        assert (promotion.ended_at is not None) == (from_status == S.LIVE)
    else:
        with pytest.raises(TransitionNotAllowed):
            services.withdraw_promotion(promotion, by=merchant_user)
        assert_refused(promotion, from_status)


@pytest.mark.parametrize("from_status", S.values)
def test_submit_promotion_from_every_status(from_status):
    item = PromotionItemFactory(promotion__status=from_status, promo_price=Decimal("80.00"))
    promotion = item.promotion
    PricePointFactory(
        product=item.product, price=Decimal("100.00"), recorded_at=promotion.starts_at - timedelta(days=2)
    )

    if from_status == S.SUBMITTED:
        services.submit_promotion(promotion)
        assert_refused(promotion, from_status)
    elif from_status in sources_of(S.SUBMITTED):
        services.submit_promotion(promotion)
        assert_moved(promotion, from_status, S.SUBMITTED)
        assert promotion.submitted_at is not None
        item.refresh_from_db()
        assert (item.check_status, item.reference_price, item.real_discount_percent) == (
            "pass",
            Decimal("100.00"),
            Decimal("20.00"),
        )
    else:
        with pytest.raises(TransitionNotAllowed):
            services.submit_promotion(promotion)
        assert_refused(promotion, from_status)


@pytest.mark.parametrize("from_status", S.values)
def test_clock_starts_only_approved_promotions(from_status):
    promotion = PromotionFactory(status=from_status)
    inside = promotion.starts_at + timedelta(hours=1)

    moved = services.start_due_promotions(now=inside)

    if from_status == S.APPROVED:
        assert S.LIVE in ALLOWED_TRANSITIONS[from_status]
        assert moved == 1
        assert_moved(promotion, from_status, S.LIVE)
        assert promotion.went_live_at == inside
    else:
        assert moved == 0
        assert_refused(promotion, from_status)


@pytest.mark.parametrize("from_status", S.values)
def test_clock_ends_approved_and_live_promotions(from_status):
    promotion = PromotionFactory(status=from_status)
    after = promotion.ends_at

    moved = services.end_due_promotions(now=after)

    if from_status in (S.APPROVED, S.LIVE):
        assert from_status in sources_of(S.ENDED)
        assert moved == 1
        assert_moved(promotion, from_status, S.ENDED)
        assert promotion.ended_at == after
    else:
        assert moved == 0
        assert_refused(promotion, from_status)


def test_clock_moves_nothing_twice():
    promotion = PromotionFactory(approved=True)
    inside = promotion.starts_at + timedelta(minutes=1)

    first = services.start_due_promotions(now=inside)
    second = services.start_due_promotions(now=inside + timedelta(minutes=1))

    assert (first, second) == (1, 0)
    assert promotion.events.count() == 1


@pytest.mark.parametrize("who", ["merchant user", "staff without permission", "inactive reviewer"])
@pytest.mark.parametrize("action", ["approve", "request_changes", "cancel"])
def test_only_active_reviewers_decide(who, action):
    promotion = PromotionFactory(submitted=True)
    user = {
        "merchant user": lambda: UserFactory(),
        "staff without permission": lambda: UserFactory(is_staff=True),
        "inactive reviewer": lambda: ReviewerFactory(is_active=False),
    }[who]()
    call = {
        "approve": lambda: services.approve_promotion(promotion, by=user),
        "request_changes": lambda: services.request_changes(promotion, by=user, note="n"),
        "cancel": lambda: services.cancel_promotion(promotion, by=user, reason="r"),
    }[action]

    with pytest.raises(PermissionDenied):
        call()

    assert_refused(promotion, S.SUBMITTED)


@pytest.mark.parametrize(
    "call",
    [
        lambda p, r: services.request_changes(p, by=r, note="  "),
        lambda p, r: services.cancel_promotion(p, by=r, reason=""),
    ],
    ids=["request_changes without note", "cancel without reason"],
)
def test_decisions_that_need_a_reason(call):
    promotion = PromotionFactory(submitted=True)

    with pytest.raises(services.PromotionError):
        call(promotion, ReviewerFactory())

    assert_refused(promotion, S.SUBMITTED)


def test_services_stamp_the_given_moment():
    promotion = PromotionFactory(submitted=True)
    moment = promotion.festival.starts_at - timedelta(days=3)

    services.approve_promotion(promotion, by=ReviewerFactory(), now=moment)

    promotion.refresh_from_db()
    assert promotion.reviewed_at == promotion.events.get().created_at == moment
