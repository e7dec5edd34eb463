"""Shared set-up for the reports tests: a running festival with a live, reportable item and its price history."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from festival.roles import CONSUMER_ASSOCIATION, REVIEWER, VIEWER
from tests.admin_support import role_group
from tests.factories import (
    FestivalFactory,
    MembershipFactory,
    PricePointFactory,
    PromotionFactory,
    PromotionItemFactory,
    UserFactory,
)


def running_festival():
    now = timezone.now()
    return FestivalFactory(
        registration_opens_at=now - timedelta(days=30),
        registration_closes_at=now - timedelta(days=10),
        submission_deadline=now - timedelta(days=9),
        starts_at=now - timedelta(days=2),
        ends_at=now + timedelta(days=5),
        status="running",
    )


def live_item(festival=None, *, prices=(("100.00", 20),), promo_price="80.00", **promotion_fields):
    """A live promotion's item; ``prices`` are (price, days before the promotion's start) points."""
    festival = festival or running_festival()
    fields = {
        "festival": festival,
        "live": True,
        "starts_at": festival.starts_at + timedelta(hours=1),
        "ends_at": festival.ends_at - timedelta(hours=1),
        **promotion_fields,
    }
    promotion = PromotionFactory(**fields)
    item = PromotionItemFactory(promotion=promotion, promo_price=Decimal(promo_price))
    for price, days in prices:
        PricePointFactory(
            product=item.product, price=Decimal(price), recorded_at=promotion.starts_at - timedelta(days=days)
        )
    return item


def staff_in(group_name, username=None):
    """A staff user with the group's role in the national organisers' team (tests/factories.py)."""
    from tests.admin_support import ROLE_OF_GROUP
    from tests.factories import join_team

    user = UserFactory(username=username or group_name.lower().replace(" ", "-"), is_staff=True)
    role_group(group_name)
    return join_team(user, ROLE_OF_GROUP[group_name])


def association_user():
    return staff_in(CONSUMER_ASSOCIATION, "association")


def reviewer_user():
    return staff_in(REVIEWER, "reviewer")


def viewer_user():
    return staff_in(VIEWER, "viewer")


def merchant_user(merchant, username="merchant-owner"):
    return MembershipFactory(merchant=merchant, user=UserFactory(username=username)).user
