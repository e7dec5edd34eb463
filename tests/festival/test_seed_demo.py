"""seed_demo: the 2020 festival as the issue describes it, a current edition, a special
session running now (live promotions on the public pages), logins, idempotence.

The demo is seeded once for this module (it takes seconds) inside a transaction
that is rolled back afterwards; each test runs in a savepoint inside it.
"""

from collections import Counter
from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection, transaction
from django.test import override_settings
from django.utils import timezone

from demo.builder import demo_counts, seed_demo
from demo.plan import DEMO_PASSWORD, plan_merchants
from festival.categories import CATEGORY_SLUGS
from festival.models import Festival, FestivalStatus
from merchants.models import (
    Certificate,
    CertificateStatus,
    Merchant,
    MerchantKind,
    Participation,
    ParticipationStatus,
    PriceSource,
)
from merchants.services import category_refusals
from merchants.uscc import is_valid_uscc
from promotions.models import Promotion, PromotionEvent, PromotionKind, PromotionStatus
from tests import clock

pytestmark = pytest.mark.django_db

S = PromotionStatus


# The demo is seeded, and every test below runs, at each of the instants that exposed
# time-of-day and date bugs (the demo's daily prices are recorded at 10:00 in Beijing;
# a seeding before that hour once gave the next edition no lookback).
clock_at = clock.at_each_instant()


@pytest.fixture(scope="module")
def demo(clock_at, django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            now = clock_at
            hashers = ["django.contrib.auth.hashers.MD5PasswordHasher"]
            with override_settings(PASSWORD_HASHERS=hashers), time_machine.travel(now, tick=False):
                result = seed_demo(now=now)
            result.now = now
            result.callbacks = len(connection.run_on_commit)
            yield result
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture
def edition_2020(demo):
    return Festival.objects.get(slug="2020")


@pytest.fixture
def current(demo):
    return Festival.objects.get(slug=demo.editions["current"])


@pytest.fixture
def running(demo):
    return Festival.objects.get(slug=demo.editions["running"])


# The 2020 festival -------------------------------------------------------------------------


def test_2020_festival_window_in_shanghai_time(edition_2020):
    festival = edition_2020

    assert (festival.edition, festival.status, festival.time_zone) == (2, FestivalStatus.CLOSED, "Asia/Shanghai")
    assert f"{festival.local(festival.starts_at):%Y-%m-%d %H:%M:%S}" == "2020-04-28 00:00:00"
    assert f"{festival.local(festival.ends_at):%Y-%m-%d %H:%M:%S}" == "2020-05-10 23:59:59"
    assert festival.registration_opens_at < festival.registration_closes_at <= festival.submission_deadline
    assert festival.submission_deadline < festival.starts_at
    assert list(festival.events.values_list("to_status", flat=True)) == ["registration", "running", "closed"]


def test_2020_festival_has_its_four_organisers(edition_2020):
    organisers = {(o.name, o.name_en) for o in edition_2020.organisers.all()}

    assert organisers == {
        ("商务部", "Ministry of Commerce"),
        ("工业和信息化部", "Ministry of Industry and Information Technology"),
        ("国家邮政局", "State Post Bureau"),
        ("中国消费者协会", "China Consumers Association"),
    }


def test_category_tree(demo):
    from festival.models import Category

    categories = Category.objects.filter(slug__in=CATEGORY_SLUGS)

    assert categories.count() == 11
    assert categories.get(slug="organic").parent.slug == "certified-produce"


def test_109_merchants_with_approved_participations(edition_2020):
    participations = Participation.objects.filter(festival=edition_2020)

    assert participations.count() == 109
    assert set(participations.values_list("status", flat=True)) == {ParticipationStatus.APPROVED}
    assert Merchant.objects.count() == 109


def test_every_merchant_kind_takes_part(edition_2020):
    kinds = Counter(Merchant.objects.filter(participations__festival=edition_2020).values_list("kind", flat=True))

    assert set(kinds) == set(MerchantKind.values)


def test_chinese_merchants_have_valid_usccs_and_partners_come_from_several_countries(demo):
    assert all(is_valid_uscc(code) for code in Merchant.objects.exclude(uscc=None).values_list("uscc", flat=True))
    assert not Merchant.objects.filter(country="CN", uscc=None).exists()
    partners = Merchant.objects.filter(kind=MerchantKind.SILK_ROAD)
    assert partners.values("country").distinct().count() >= 4
    assert partners.filter(uscc=None).exists()
    assert not partners.filter(country="CN").exists()
    assert not Merchant.objects.exclude(uscc_override_reason="").exists()


def test_names_are_distinct(demo):
    names = list(Merchant.objects.values_list("name", flat=True))

    assert len(names) == len(set(names))


def test_certified_categories_are_backed_by_verified_certificates(edition_2020):
    claims = Participation.objects.filter(festival=edition_2020, categories__required_certificate_kind__gt="")
    kinds = set(
        Merchant.objects.filter(participations__in=claims).values_list(
            "participations__categories__required_certificate_kind", flat=True
        )
    ) - {""}

    assert kinds == {"time_honoured", "pollution_free", "green_food", "organic", "geographical_indication"}
    for participation in claims.distinct().select_related("merchant", "festival"):
        assert category_refusals(participation.merchant, edition_2020, participation.categories.all()) == {}
    verified = Certificate.objects.filter(status=CertificateStatus.VERIFIED)
    assert all(c.covers(edition_2020) for c in verified.filter(valid_until__lt="2021-01-01"))
    assert Certificate.objects.filter(status=CertificateStatus.REJECTED).exists()


def test_products_have_weeks_of_daily_history_before_the_festival(edition_2020):
    promotion = Promotion.objects.filter(festival=edition_2020, status=S.ENDED).first()
    product = promotion.items.first().product
    before = product.price_points.filter(recorded_at__lt=edition_2020.starts_at)

    assert before.count() >= 35
    assert set(product.price_points.values_list("source", flat=True)) == {PriceSource.DEMO}
    days = [edition_2020.local(p.recorded_at).date() for p in before]
    assert len(set(days)) == len(days)  # daily


def test_some_prices_were_raised_before_the_festival_then_cut(edition_2020):
    start = edition_2020.starts_at
    raised = []
    for promotion in Promotion.objects.filter(festival=edition_2020).prefetch_related("items__product"):
        for item in promotion.items.all():
            points = item.product.price_points
            month_before = points.filter(recorded_at__lt=start - timedelta(days=25)).last().price
            week_before = points.filter(recorded_at__lt=start).last().price
            if week_before > month_before * 5 / 4 and item.promo_price <= month_before:
                raised.append(promotion)

    assert len(raised) >= 3
    assert {p.status for p in raised} <= {S.CHANGES_REQUESTED, S.DRAFT}  # caught, never approved


def test_2020_promotions_of_every_kind(edition_2020):
    kinds = set(Promotion.objects.filter(festival=edition_2020).values_list("kind", flat=True))

    assert kinds == set(PromotionKind.values)


def test_consumer_reports_in_every_status_with_their_evidence(demo):
    from reports.models import PriceReport, ReportStatus

    reports = list(PriceReport.objects.all())
    assert {r.status for r in reports} == set(ReportStatus.values)
    assert all(r.evidence.get("declared_price") for r in reports)
    assert all(r.decision_note for r in reports if r.is_decided)


def test_every_promotion_status_in_the_demo(demo):
    current = set(Promotion.objects.values_list("status", flat=True))
    reached = set(PromotionEvent.objects.values_list("to_status", flat=True))

    assert current == set(S.values)
    assert reached == set(S.values)


def test_every_legal_promotion_path_is_in_the_2020_record(edition_2020):
    moves = set(
        PromotionEvent.objects.filter(promotion__festival=edition_2020)
        .exclude(from_status="")
        .values_list("from_status", "to_status")
    )

    assert {
        (S.DRAFT, S.SUBMITTED),
        (S.DRAFT, S.WITHDRAWN),
        (S.SUBMITTED, S.APPROVED),
        (S.SUBMITTED, S.CHANGES_REQUESTED),
        (S.SUBMITTED, S.WITHDRAWN),
        (S.SUBMITTED, S.CANCELLED),
        (S.CHANGES_REQUESTED, S.SUBMITTED),
        (S.CHANGES_REQUESTED, S.WITHDRAWN),
        (S.APPROVED, S.LIVE),
        (S.APPROVED, S.WITHDRAWN),
        (S.APPROVED, S.CANCELLED),
        (S.LIVE, S.ENDED),
        (S.LIVE, S.WITHDRAWN),
        (S.LIVE, S.CANCELLED),
    } <= moves


def test_2020_history_is_stamped_in_2020_and_consistent_with_the_clock(edition_2020):
    promotions = Promotion.objects.filter(festival=edition_2020)
    events = PromotionEvent.objects.filter(promotion__festival=edition_2020)

    assert {e.created_at.year for e in events} == {2020}
    assert not promotions.filter(status__in=[S.APPROVED, S.LIVE]).exists()
    assert promotions.filter(status=S.ENDED).count() >= 100
    for promotion in promotions.filter(status=S.ENDED)[:20]:
        stamps = list(promotion.events.values_list("created_at", flat=True))
        assert stamps == sorted(stamps)
        assert promotion.went_live_at == promotion.starts_at
        assert promotion.ended_at == promotion.ends_at
    items = [i for p in promotions.filter(status=S.ENDED) for i in p.items.all()]
    assert {i.check_status for i in items} == {"pass"}
    assert all(i.real_discount_percent >= edition_2020.min_discount_percent for i in items)


def test_2020_sales_reports_add_up_to_the_reported_total(edition_2020):
    from django.db.models import Sum

    total = edition_2020.sales_reports.aggregate(total=Sum("gmv"))["total"]

    assert abs(total - 182_510_000_000) < 1_000_000
    results = edition_2020.daily_results.all()
    assert results.count() == 13
    assert sum(r.gmv for r in results) == total.quantize(Decimal("0.01"))  # SQLite sums in floating point
    assert all(r.merchants_reporting == 109 and r.promotions_live > 0 for r in results)


# The current edition ------------------------------------------------------------------------


def test_current_edition_opens_in_a_few_days(demo, current):
    now = demo.now

    assert current.status == FestivalStatus.REGISTRATION
    assert current.registration_opens_at < now < current.submission_deadline < current.starts_at
    assert timedelta(days=3) <= current.starts_at - now <= timedelta(days=4)
    assert current.local(current.ends_at).date() - current.local(current.starts_at).date() == timedelta(days=13)
    assert current.slug == str(current.local(current.starts_at).year)


def test_current_edition_gives_everyone_work(demo, current):
    participations = Counter(current.participations.values_list("status", flat=True))
    promotions = Counter(current.promotions.values_list("status", flat=True))

    assert participations[ParticipationStatus.APPROVED] >= 30
    assert participations[ParticipationStatus.APPLIED] >= 3
    assert {S.DRAFT, S.SUBMITTED, S.APPROVED, S.CHANGES_REQUESTED} <= set(promotions)
    assert promotions[S.APPROVED] >= 10 and promotions[S.SUBMITTED] >= 10
    assert Certificate.objects.filter(status=CertificateStatus.PENDING).exists()


def test_current_prices_run_up_to_now(demo, current):
    promotion = current.promotions.filter(status=S.APPROVED).first()
    product = promotion.items.first().product
    latest = product.price_points.order_by("recorded_at").last()

    assert demo.now - timedelta(days=1) <= latest.recorded_at <= demo.now
    assert product.price_points.filter(recorded_at__gte=demo.now - timedelta(days=30)).count() >= 29
    assert {i.check_status for i in promotion.items.all()} == {"pass"}


def test_current_promotions_are_inside_the_window_and_approved_ones_await_the_clock(demo, current):
    approved = current.promotions.filter(status=S.APPROVED)

    assert all(current.window_contains(p.starts_at, p.ends_at) for p in current.promotions.all())
    assert all(p.starts_at > demo.now for p in approved)


# The special session running now -----------------------------------------------------------


def test_a_special_session_is_running_at_the_seeding_moment(demo, running, current):
    now = demo.now

    assert running.status == FestivalStatus.RUNNING
    assert running.starts_at + timedelta(days=2) <= now <= running.ends_at - timedelta(days=9)
    assert running.registration_closes_at <= running.submission_deadline < running.starts_at
    assert list(running.events.values_list("to_status", flat=True)) == ["registration", "running"]
    assert running.opened_at == running.starts_at
    assert set(Festival.objects.filter(starts_at__lte=now, ends_at__gt=now)) == {running}
    assert current.starts_at > now  # the current edition still opens in a few days


def test_running_special_has_approved_participants_claiming_only_covered_categories(running, current):
    participations = running.participations.select_related("merchant").prefetch_related("categories")

    assert 20 <= participations.count() <= 30
    assert {p.status for p in participations} == {ParticipationStatus.APPROVED}
    assert {c.required_certificate_kind for p in participations for c in p.categories.all()} >= {
        "time_honoured",
        "organic",
        "green_food",
        "pollution_free",
        "geographical_indication",
    }
    for participation in participations:
        assert category_refusals(participation.merchant, running, participation.categories.all()) == {}
    # Nobody is in both: no product is in two festivals' promotions at once.
    assert not current.participations.filter(merchant__in=[p.merchant for p in participations]).exists()


def test_running_special_has_live_promotions_of_every_kind_whose_items_pass(demo, running):
    live = running.promotions.filter(status=S.LIVE).prefetch_related("items", "categories")
    items = [item for promotion in live for item in promotion.items.all()]

    assert live.count() >= 20
    assert set(live.values_list("kind", flat=True)) == set(PromotionKind.values)
    assert len({c.slug for p in live for c in p.categories.all()}) >= 6
    assert all(p.starts_at <= demo.now < p.ends_at and p.went_live_at == p.starts_at for p in live)
    assert {i.check_status for i in items} == {"pass"}
    assert {i.reference_source for i in items} == {"lookback"}
    assert all(running.min_discount_percent < i.real_discount_percent <= 40 for i in items)
    assert all(i.promo_price < i.reference_price for i in items)


def test_running_special_has_ended_and_upcoming_promotions(demo, running):
    ended = running.promotions.filter(status=S.ENDED)
    upcoming = running.promotions.filter(status=S.APPROVED)

    assert ended.count() >= 5 and upcoming.count() >= 5
    assert all(p.went_live_at == p.starts_at and p.ended_at == p.ends_at <= demo.now for p in ended)
    assert all(demo.now < p.starts_at for p in upcoming)
    assert {i.check_status for p in upcoming for i in p.items.all()} == {"pass"}
    assert set(running.promotions.values_list("status", flat=True)) == {S.LIVE, S.ENDED, S.APPROVED}


def test_running_special_history_is_replayed_before_the_window_then_by_the_clock(running):
    for promotion in running.promotions.prefetch_related("events"):
        events = list(promotion.events.all())
        moves = [e.to_status for e in events]
        assert moves[:3] == [S.DRAFT, S.SUBMITTED, S.APPROVED]
        assert events[2].created_at < running.starts_at  # approved before the window opened
        assert events[1].created_at <= running.submission_deadline
        assert [e.created_at for e in events] == sorted(e.created_at for e in events)


def test_running_special_prices_and_sales_run_up_to_now(demo, running):
    product = running.promotions.filter(status=S.LIVE).first().items.first().product
    latest = product.price_points.order_by("recorded_at").last()
    today = running.local(demo.now).date()
    reports = running.sales_reports.all()
    days = sorted(set(reports.values_list("date", flat=True)))

    assert demo.now - timedelta(days=1) <= latest.recorded_at <= demo.now
    assert product.price_points.filter(recorded_at__gte=running.starts_at - timedelta(days=30)).count() >= 30
    assert 2 <= len(days) <= 3 and days[0] == running.local(running.starts_at).date() and days[-1] < today
    assert reports.count() == len(days) * running.participations.count()
    assert all(r.reported_at <= demo.now for r in reports)
    assert running.daily_results.filter(date__in=days, promotions_live__gt=0, gmv__gt=0).count() == len(days)


def test_the_clock_has_nothing_due_after_seeding(demo):
    from festival.services import advance_festivals
    from promotions.services import end_due_promotions, start_due_promotions

    assert advance_festivals(now=demo.now) == []
    assert start_due_promotions(now=demo.now) == 0
    assert end_due_promotions(now=demo.now) == 0
    assert not Promotion.objects.filter(status=S.APPROVED, starts_at__lte=demo.now).exists()


def test_public_home_page_shows_the_running_specials_live_promotions_with_badges(running, client):
    from promotions.pricing import honest_price_badge

    live = list(running.promotions.filter(status=S.LIVE, ends_at__gt=timezone.now()).prefetch_related("items"))
    shown = sorted(live, key=lambda p: (p.ends_at, p.pk))[:8]

    response = client.get("/")
    listing = client.get(f"/festivals/{running.slug}/promotions/", {"sort": "start"})
    promotion = shown[0]
    page = client.get(f"/promotions/{promotion.pk}/").content.decode()

    html = response.content.decode()
    assert response.status_code == 200 and listing.status_code == 200
    assert response.context["festival"] == running
    assert [p.pk for p in response.context["live_now"]] == [p.pk for p in shown]
    assert all(p.title in html for p in shown)
    badges = [b for b in (honest_price_badge(item) for item in promotion.items.all()) if b]
    assert page.count('class="honest-badge') == len(badges)
    assert all(badge.source == "lookback" and badge.text in page for badge in badges)
    assert f"in the {running.price_lookback_days} days before" in html


def test_admin_dashboard_and_merchant_portal_still_work(demo, running, client):
    User = get_user_model()
    client.force_login(User.objects.get(username="organiser"))
    dashboard = client.get("/admin/promotions/promotion/dashboard/")
    client.force_login(User.objects.get(username="merchant"))
    portal = client.get("/merchant/")

    assert dashboard.status_code == 200 and dashboard.context["festival"] == running
    assert portal.status_code == 200


# Logins ----------------------------------------------------------------------------------


def test_demo_logins(demo, current):
    User = get_user_model()
    users = {u.username: u for u in User.objects.filter(username__in=["organiser", "reviewer", "viewer", "merchant"])}

    assert all(u.check_password(DEMO_PASSWORD) for u in users.values())
    assert users["organiser"].is_superuser and users["organiser"].is_staff
    assert users["reviewer"].is_staff and not users["reviewer"].is_superuser
    assert users["reviewer"].has_perms(
        ["promotions.review_promotion", "merchants.review_participation", "merchants.verify_certificate"]
    )
    assert users["viewer"].is_staff and not users["viewer"].has_perm("promotions.review_promotion")
    membership = users["merchant"].membership
    merchant = membership.merchant
    assert membership.role == "owner"
    assert merchant.participations.get(festival=current).status == ParticipationStatus.APPROVED
    assert merchant.products.exists()
    assert merchant.promotions.filter(festival=current, status=S.DRAFT, created_by=users["merchant"]).exists()
    assert not merchant.participations.filter(festival__slug=demo.editions["running"]).exists()
    assert [login for login, _role in demo.logins] == [
        "organiser",
        "reviewer",
        "viewer",
        "merchant",
        "association",
        "bureau",
        "zhejiang",
        "sichuan",
    ]
    assert "109 merchants and 436 products" in demo.created
    bureau = User.objects.get(username="bureau")
    assert bureau.is_staff and bureau.has_perm("logistics.add_parcelreport")
    assert not bureau.has_perm("promotions.view_promotion") and not bureau.has_perm("reports.view_pricereport")


def test_2020_has_seven_carriers_reporting_every_province_with_a_festival_lift(edition_2020):
    from festival.models import DailyResult
    from logistics.dashboard import logistics_dashboard
    from logistics.models import Carrier, Coverage, ParcelReport
    from logistics.periods import reporting_period

    period = reporting_period(edition_2020)
    reports = ParcelReport.objects.filter(date__range=(period.first, period.last))
    dashboard = logistics_dashboard(edition_2020)

    assert Carrier.objects.count() == 7
    assert len(period) == 73
    assert reports.count() == 7 * 31 * 73 - 31  # one carrier missed one baseline day
    assert reports.values("province").distinct().count() == 31
    assert [(gap.carrier.code, len(gap.days)) for gap in dashboard.gaps] == [("JD", 1)]
    assert Decimal("1.15") < dashboard.lift < Decimal("1.4")
    assert Decimal("10") < dashboard.festival_rural_share < Decimal("20")
    assert 180_000_000 < dashboard.baseline_per_day < 230_000_000  # "more than 200 million a day" in the festival
    assert dashboard.festival_per_day > 200_000_000
    assert dashboard.provinces[0].province.code == "440000"  # Guangdong collects the most
    days = DailyResult.objects.filter(festival=edition_2020)
    assert days.count() == 13 and not days.filter(parcels_collected__isnull=True).exists()
    assert set(days.values_list("carriers_reporting", flat=True)) == {7}
    assert Coverage.objects.values("province").distinct().count() == 31


def test_two_provincial_sub_festivals_with_their_reviewers_and_work_in_several_statuses(demo, current):
    from festival.models import TeamMembership
    from promotions.selectors import visible_promotions

    User = get_user_model()
    subs = {f.slug: f for f in Festival.objects.filter(parent=current).prefetch_related("organisers")}
    teams = {
        (m.user.username, m.organiser.name, m.role)
        for m in TeamMembership.objects.select_related("user", "organiser").exclude(user__username="association")
    }
    zhejiang, sichuan = User.objects.get(username="zhejiang"), User.objects.get(username="sichuan")

    assert {f.name for f in subs.values()} == {"浙江分会场", "四川分会场"}
    assert {o.name for f in subs.values() for o in f.organisers.all()} == {"浙江省商务厅", "四川省商务厅"}
    assert teams == {
        ("organiser", "商务部", "admin"),
        ("reviewer", "商务部", "reviewer"),
        ("viewer", "商务部", "viewer"),
        ("zhejiang", "浙江省商务厅", "reviewer"),
        ("sichuan", "四川省商务厅", "reviewer"),
        ("bureau", "国家邮政局", "post_bureau"),
    }
    assert zhejiang.check_password(DEMO_PASSWORD) and sichuan.check_password(DEMO_PASSWORD)
    for festival in subs.values():
        festival.full_clean()  # inside the edition's window, rules no looser
        statuses = set(Promotion.objects.filter(festival=festival).values_list("status", flat=True))
        assert len(statuses) >= 3, (festival.slug, statuses)
        assert festival.participations.values("status").distinct().count() >= 2
    zj_seen = set(visible_promotions(zhejiang).values_list("festival__slug", flat=True))
    national = set(visible_promotions(User.objects.get(username="reviewer")).values_list("festival__slug", flat=True))
    assert zj_seen == {f.slug for f in subs.values() if f.name == "浙江分会场"}
    assert set(subs) <= national


# Idempotence and determinism ---------------------------------------------------------------------


def test_seeding_publishes_no_events(demo):
    assert demo.callbacks == 0


def test_seed_demo_twice_changes_nothing(demo):
    before = demo_counts()
    out = StringIO()

    call_command("seed_demo", stdout=out)

    assert demo_counts() == before
    assert "nothing changed" in out.getvalue()
    assert DEMO_PASSWORD in out.getvalue() and "merchant" in out.getvalue()


def test_quiet_prints_nothing(demo):
    out = StringIO()

    call_command("seed_demo", "--quiet", stdout=out)

    assert out.getvalue() == ""


def test_plan_is_deterministic(demo):
    first, second = plan_merchants(), plan_merchants()

    assert [(p.name, p.uscc, [x.sku for x in p.products]) for p in first] == [
        (p.name, p.uscc, [x.sku for x in p.products]) for p in second
    ]
    stored = dict(Merchant.objects.values_list("name", "uscc"))
    assert {p.name: p.uscc for p in first} == stored


def test_a_later_run_adds_that_years_editions_and_leaves_2020_alone(demo, edition_2020):
    counts_2020 = (edition_2020.participations.count(), edition_2020.promotions.count(), Merchant.objects.count())

    result = seed_demo(now=demo.now + timedelta(days=400))

    current = result.editions["current"]
    assert result.created == [
        f"festival {current}",
        f"festival {result.editions['running']}",
        f"sub-festival {current}-zhejiang",
        f"sub-festival {current}-sichuan",
    ]
    # 2020, then each run's edition, running special and two sub-festivals (浙江, 四川).
    assert Festival.objects.count() == 1 + 4 + 4
    assert Festival.objects.filter(parent__slug=current).count() == 2
    assert (edition_2020.participations.count(), edition_2020.promotions.count(), Merchant.objects.count()) == (
        counts_2020
    )


def test_a_run_weeks_later_reuses_the_prices_already_recorded_and_leaves_nothing_due(demo, current):
    from demo.builder import DemoBuilder
    from demo.editions import CurrentEdition

    later = demo.now + timedelta(days=35)
    # Seeded in November or December, five weeks later is the next year's edition, whose
    # price history overlaps this one's; seeded earlier in the year it is this same edition.
    next_slug = CurrentEdition(DemoBuilder(now=later)).slug

    with time_machine.travel(later, tick=False):
        result = seed_demo(now=later)

    festival = Festival.objects.get(slug=result.editions["current"])
    assert festival.slug == next_slug
    if next_slug == current.slug:
        assert result.created == []
        items = [i for p in festival.promotions.exclude(status=S.DRAFT) for i in p.items.all()]
        assert items and "fail" not in {i.check_status for i in items}
    else:
        assert result.created == [
            f"festival {next_slug}",
            f"sub-festival {next_slug}-zhejiang",
            f"sub-festival {next_slug}-sichuan",
        ]
        items = [i for p in festival.promotions.filter(status=S.APPROVED) for i in p.items.all()]
        assert items and {i.check_status for i in items} == {"pass"}
    assert not Promotion.objects.filter(status__in=[S.APPROVED, S.LIVE], ends_at__lte=later).exists()
    assert not Promotion.objects.filter(status=S.APPROVED, starts_at__lte=later).exists()
    assert Festival.objects.get(slug=demo.editions["running"]).status == FestivalStatus.CLOSED


@pytest.mark.parametrize(
    ("seeded_on", "slug"),
    [
        ("2026-11-27", "winter-special-2026"),
        ("2027-01-20", "winter-special-2026"),  # a winter keeps the year it started in
        ("2027-04-10", "spring-special-2027"),
        ("2027-07-10", "summer-special-2027"),
        ("2027-09-10", "autumn-special-2027"),
    ],
)
def test_the_running_special_is_named_after_its_season(seeded_on, slug):
    from datetime import datetime

    from demo.builder import DemoBuilder
    from demo.editions import RunningSpecial
    from demo.plan import TZ

    now = datetime.fromisoformat(f"{seeded_on}T12:00:00").replace(tzinfo=TZ)

    assert RunningSpecial(DemoBuilder(now=now), busy=set()).slug == slug


@pytest.mark.parametrize(
    "url",
    [
        "/admin/merchants/merchant/",
        "/admin/merchants/participation/",
        "/admin/merchants/certificate/",
        "/admin/merchants/product/",
        "/admin/promotions/promotion/",
        "/admin/promotions/promotion/?status__exact=submitted",
        "/admin/promotions/promotion/dashboard/",
    ],
)
def test_admin_pages_make_a_bounded_number_of_queries_on_the_demo_data(
    demo, client, url, django_assert_max_num_queries
):
    client.force_login(get_user_model().objects.get(username="organiser"))
    client.get(url)  # warm per-process caches (content types, sites)

    # 5 to 11 today; an N+1 over the 109 merchants or their promotions would be far above
    with django_assert_max_num_queries(15):
        response = client.get(url)

    assert response.status_code == 200
