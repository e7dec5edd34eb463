"""Helpers for the admin tests: users in the organisers' roles, and a logged-in client."""

from django.contrib.auth.models import Group, Permission
from django.test import Client

from festival.roles import ORGANISER_ADMIN, REVIEWER, VIEWER, role_permissions
from tests.factories import MembershipFactory, UserFactory

ROLES = (ORGANISER_ADMIN, REVIEWER, VIEWER)


def role_group(name):
    """The role's group; rebuilt from festival.roles if a transactional test flushed it."""
    group, created = Group.objects.get_or_create(name=name)
    if created:
        group.permissions.set(role_permissions(Permission, name))
    return group


ROLE_OF_GROUP = {
    "Organiser admin": "admin",
    "Reviewer": "reviewer",
    "Viewer": "viewer",
    "Consumer association": "association",
    "Post bureau": "post_bureau",
}


def staff_user(role, organiser=None, **kwargs):
    """A staff user with the role (a group name) in the national organisers' team (or ``organiser``'s)."""
    from tests.factories import join_team

    user = UserFactory(is_staff=True, **kwargs)
    role_group(role)
    return join_team(user, ROLE_OF_GROUP[role], organiser)


def merchant_user(**kwargs):
    return MembershipFactory(**kwargs).user


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def populate_festival(festival, merchants, *, start=0):
    """``merchants`` participating merchants of varied kinds, each with a
    claimed category, a certificate, a product, a promotion (statuses and
    kinds rotate) with a checked item, and a day of reported sales."""
    from decimal import Decimal

    from django.utils import timezone

    from festival.models import Category
    from merchants.models import MerchantKind, ParticipationStatus
    from promotions.models import CheckStatus, PromotionStatus
    from tests.factories import (
        CategoryFactory,
        CertificateFactory,
        MerchantFactory,
        ParticipationFactory,
        PromotionFactory,
        PromotionItemFactory,
        SalesReportFactory,
    )

    kinds = MerchantKind.values
    categories = list(Category.objects.all()[:3]) or [CategoryFactory() for _ in range(3)]
    statuses = [PromotionStatus.SUBMITTED, PromotionStatus.APPROVED, PromotionStatus.LIVE, PromotionStatus.DRAFT]
    checks = [CheckStatus.PASS, CheckStatus.WARNING, CheckStatus.PASS, CheckStatus.FAIL]
    days = (festival.ends_at - festival.starts_at).days
    for n in range(start, start + merchants):
        merchant = MerchantFactory(kind=kinds[n % len(kinds)])
        ParticipationFactory(
            merchant=merchant,
            festival=festival,
            status=ParticipationStatus.APPROVED if n % 5 else ParticipationStatus.APPLIED,
            categories=[categories[n % len(categories)]],
        )
        CertificateFactory(merchant=merchant, status="pending" if n % 2 else "verified")
        promotion = PromotionFactory(
            merchant=merchant,
            festival=festival,
            status=statuses[n % len(statuses)],
            submitted_at=timezone.now(),
            starts_at=festival.starts_at + timezone.timedelta(days=n % max(days - 2, 1)),
        )
        PromotionItemFactory(promotion=promotion, check_status=checks[n % len(checks)], check_reasons=["reason"])
        SalesReportFactory(
            merchant=merchant,
            festival=festival,
            date=festival.local(festival.starts_at).date() + timezone.timedelta(days=n % days),
            gmv=Decimal("1000.50"),
        )
