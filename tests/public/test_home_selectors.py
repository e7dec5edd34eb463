"""The home page's reads: live counts per top-level category, certified merchants of
several groups in one query, and the featured edition's sub-festivals from one read."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from festival.models import CertificateKind
from merchants.models import Participation, ParticipationStatus
from public import selectors
from public.views import HOME_CERTIFICATES
from tests.factories import CategoryFactory, CertificateFactory, FestivalFactory, MerchantFactory, ParticipationFactory
from tests.public.conftest import live_item

pytestmark = pytest.mark.django_db


def _counts(festival):
    return {row.category.slug: row.count for row in selectors.category_counts(festival)}


def test_category_counts_count_a_promotion_once_for_its_top_level_category(running_festival):
    food = CategoryFactory(slug="food", position=1)
    tea = CategoryFactory(slug="food-tea", parent=food)
    rice = CategoryFactory(slug="food-rice", parent=food)
    CategoryFactory(slug="home", position=2)
    in_two_children = live_item(running_festival, title="Tea and rice", category=tea).promotion
    in_two_children.categories.add(rice)
    in_parent_and_child = live_item(running_festival, title="Food and tea", category=food).promotion
    in_parent_and_child.categories.add(tea)
    live_item(running_festival, title="Rice", category=rice)

    assert _counts(running_festival) == {"food": 3, "home": 0}  # top-level only, in their order


@pytest.mark.parametrize(
    "hide",
    [
        *[f"status:{status}" for status in ["draft", "submitted", "changes_requested", "withdrawn", "cancelled"]],
        "status:approved",  # public, but not live yet
        "status:ended",  # public, but no longer live
        *[f"participation:{status}" for status in ["applied", "rejected", "withdrawn"]],
        "other festival",
    ],
)
def test_category_counts_count_only_visible_live_promotions_of_the_festival(running_festival, hide):
    food = CategoryFactory(slug="food")
    tea = CategoryFactory(slug="food-tea", parent=food)
    live_item(running_festival, title="Shown", category=tea)
    what, _sep, status = hide.partition(":")
    if what == "status":
        live_item(running_festival, title="Hidden", category=tea, status=status)
    elif what == "participation":
        hidden = live_item(running_festival, title="Hidden", category=tea).promotion
        participation = Participation.objects.get(merchant=hidden.merchant_id)
        participation.status = status  # as an organiser's form saves it (the decisions go through transition())
        participation.save()
    else:
        other = FestivalFactory(starts_at=running_festival.starts_at, ends_at=running_festival.ends_at, slug="other")
        live_item(other, title="Hidden", category=tea)

    assert _counts(running_festival) == {"food": 1}


def _certified(festival, name, *kinds, participation=ParticipationStatus.APPROVED, verified=True):
    merchant = MerchantFactory(name=name)
    ParticipationFactory(merchant=merchant, festival=festival, status=participation)
    for n, kind in enumerate(kinds):
        CertificateFactory(merchant=merchant, kind=kind, verified=verified, number=f"{name}-{n}")
    return merchant


def test_certified_merchants_reads_each_group_as_merchants_with_certificates_does(running_festival):
    other = FestivalFactory(slug="other")
    for n in range(14):
        _certified(running_festival, f"老字号 {n:02}", CertificateKind.TIME_HONOURED)
    _certified(running_festival, "Both 两者", CertificateKind.TIME_HONOURED, CertificateKind.ORGANIC)
    _certified(running_festival, "Organic 有机", CertificateKind.ORGANIC)
    _certified(running_festival, "Green 绿色", CertificateKind.GREEN_FOOD)
    _certified(running_festival, "Pending 待审", CertificateKind.ORGANIC, verified=False)
    _certified(running_festival, "Applied 申请", CertificateKind.ORGANIC, participation=ParticipationStatus.APPLIED)
    _certified(running_festival, "Rejected 驳回", CertificateKind.ORGANIC, participation=ParticipationStatus.REJECTED)
    _certified(other, "Elsewhere 别处", CertificateKind.ORGANIC, CertificateKind.TIME_HONOURED)

    with CaptureQueriesContext(connection) as queries:
        found = selectors.certified_merchants(running_festival, HOME_CERTIFICATES)

    assert len(queries) == 1
    expected = {
        name: selectors.merchants_with_certificates(running_festival, kinds)
        for name, kinds in HOME_CERTIFICATES.items()
    }
    assert {name: [(m.pk, m.name) for m in merchants] for name, merchants in found.items()} == {
        name: [(m.pk, m.name) for m in merchants] for name, merchants in expected.items()
    }
    assert [m.name for m in found["time_honoured"]] == ["Both 两者", *[f"老字号 {n:02}" for n in range(11)]]
    assert [m.name for m in found["certified_produce"]] == ["Both 两者", "Green 绿色", "Organic 有机"]


def test_home_festivals_reads_the_featured_editions_sub_festivals_in_their_order(running_festival):
    def sub(edition, slug, hours):
        return FestivalFactory(
            slug=slug,
            parent=edition,
            registration_opens_at=edition.registration_opens_at,
            registration_closes_at=edition.registration_closes_at,
            submission_deadline=edition.submission_deadline,
            starts_at=edition.starts_at + timedelta(hours=hours),
            ends_at=edition.ends_at,
            status=edition.status,
        )

    later = sub(running_festival, "zj", 2)
    sooner = sub(running_festival, "gd", 1)
    old = FestivalFactory(
        slug="old",
        registration_opens_at=running_festival.registration_opens_at - timedelta(days=400),
        registration_closes_at=running_festival.registration_closes_at - timedelta(days=400),
        submission_deadline=running_festival.submission_deadline - timedelta(days=400),
        starts_at=running_festival.starts_at - timedelta(days=400),
        ends_at=running_festival.ends_at - timedelta(days=400),
        status="closed",
    )
    sub(old, "old-zj", 1)

    featured, editions, sub_festivals = selectors.home_festivals(now=timezone.now())

    assert (featured, editions, sub_festivals) == (running_festival, [old], [sooner, later])
    assert sub_festivals == selectors.sub_festivals(running_festival)


def test_category_counts_read_the_roll_up_not_the_promotions(running_festival):
    food = CategoryFactory(slug="food")
    for n in range(3):
        live_item(running_festival, title=f"Live {n}", category=food)

    with CaptureQueriesContext(connection) as queries:
        counts = _counts(running_festival)

    assert counts == {"food": 3}
    assert len(queries) == 2  # the roll-up's rows, the categories
    assert not [q["sql"] for q in queries if "promotions_promotion" in q["sql"]]
