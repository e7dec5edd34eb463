"""Demo teams and sub-festivals (issue 14): the national organisers' team (the existing
logins), and two sub-festivals of the current edition — 浙江分会场 run by 浙江省商务厅 and
四川分会场 run by 四川省商务厅 — each with its reviewer login, merchants of its province,
participations and promotions in several statuses, all replayed through the services.
Created once; a rerun changes nothing."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from django.utils import timezone

from core.workflow import DomainError
from festival import services as festival_services
from festival.models import Festival, Organiser, Province, TeamMembership, TeamRole
from merchants import services as merchant_services
from merchants.models import Participation
from promotions import services as promotion_services
from promotions.models import PromotionKind

from .editions import REVIEW_NOTES, EditionBuilder
from .plan import CURRENT_LENGTH_DAYS, PRICE_HISTORY_DAYS, RAISE_DAYS_BEFORE, TZ

if TYPE_CHECKING:
    from .builder import DemoBuilder

NATIONAL_ORGANISER = "商务部"  # the lead organiser: its team is the national organisers' team
NATIONAL_TEAM = (("organiser", TeamRole.ADMIN), ("reviewer", TeamRole.REVIEWER), ("viewer", TeamRole.VIEWER))
ASSOCIATION_ORGANISER = "中国消费者协会"

# (slug suffix, name, English name, organiser, its English name, province, login, login's first name, stricter rules)
SUB_FESTIVALS = (
    (
        "zhejiang",
        "浙江分会场",
        "Zhejiang sub-festival",
        "浙江省商务厅",
        "Zhejiang Provincial Department of Commerce",
        "330000",
        "zhejiang",
        "浙江审核员",
        {"min_discount_percent": Decimal("10.00")},
    ),
    (
        "sichuan",
        "四川分会场",
        "Sichuan sub-festival",
        "四川省商务厅",
        "Sichuan Provincial Department of Commerce",
        "510000",
        "sichuan",
        "四川审核员",
        {"price_lookback_days": 14},
    ),
)
# What happens to the promotions each approved merchant files, in turn.
FATES = ("submitted", "approved", "draft", "changes_requested", "submitted", "approved")
KINDS = (PromotionKind.THRESHOLD, PromotionKind.FLASH_SALE, PromotionKind.COUPON, PromotionKind.LIVESTREAM)
MERCHANTS_PER_SUB_FESTIVAL = 5


def ensure_team(user, organiser, role):
    TeamMembership.objects.get_or_create(user=user, organiser=organiser, defaults={"role": role})


def ensure_national_team(demo: DemoBuilder) -> None:
    """The existing logins keep their reach: they join the national organisers' team."""
    from django.contrib.auth import get_user_model

    users = {u.username: u for u in get_user_model().objects.filter(username__in=[n for n, _r in NATIONAL_TEAM])}
    national = Organiser.objects.get(name=NATIONAL_ORGANISER)
    for username, role in NATIONAL_TEAM:
        if username in users:
            ensure_team(users[username], national, role)


def add_sub_festivals(demo: DemoBuilder, current_slug: str, *, busy_festival_slugs) -> None:
    parent = Festival.objects.get(slug=current_slug)
    busy = set(
        Participation.objects.filter(festival__slug__in=busy_festival_slugs).values_list("merchant_id", flat=True)
    )
    for spec in SUB_FESTIVALS:
        builder = SubFestival(demo, parent, spec, busy=busy)
        reviewer = builder.ensure_team()
        if not Festival.objects.filter(slug=builder.slug).exists():
            builder.build(reviewer)
            demo.result.created.append(f"sub-festival {builder.slug}")
        demo.result.logins.append((builder.username, f"reviewer of {builder.organiser_name}'s {builder.name}: /admin/"))


class SubFestival(EditionBuilder):
    def __init__(self, demo, parent: Festival, spec, *, busy):
        (suffix, self.name, self.name_en, self.organiser_name, self.organiser_name_en, self.province_code,
         self.username, self.first_name, self.rules) = spec  # fmt: skip
        self.slug = f"{parent.slug}-{suffix}"
        self.parent, self.busy = parent, busy
        self.now = demo.now
        self.today = timezone.localtime(self.now, TZ).date()
        super().__init__(demo)

    def ensure_team(self):
        self.organiser, _created = Organiser.objects.get_or_create(
            name=self.organiser_name,
            defaults={
                "name_en": self.organiser_name_en,
                "short_name": self.organiser_name,
                "province": Province.objects.get(code=self.province_code),
            },
        )
        reviewer = self.demo.ensure_user(self.username, first_name=self.first_name, is_staff=True)
        ensure_team(reviewer, self.organiser, TeamRole.REVIEWER)
        return reviewer

    def participants(self):
        prefix = self.province_code[:2]
        demo_merchant = self.demo.merchants.get(getattr(self.demo, "demo_merchant_index", -1))
        plans = [
            p
            for p in self.demo.plans
            if p.uscc
            and p.uscc[2:4] == prefix
            and self.demo.merchants[p.index].pk not in self.busy
            and self.demo.merchants[p.index] is not demo_merchant
            and len(p.products) >= 4
            and not p.certificate_kind  # no certificate to renew for a category that needs one
        ]
        return plans[:MERCHANTS_PER_SUB_FESTIVAL]

    def build(self, reviewer):
        parent = self.parent
        first_day = parent.local(parent.starts_at).date()
        last_day = parent.local(parent.ends_at).date() - timedelta(days=2)  # inside the edition's window
        festival = Festival(
            slug=self.slug,
            name=self.name,
            name_en=self.name_en,
            parent=parent,
            description=f"{self.organiser_name}主办的{parent.name}{self.name}：本省企业，更严的价格规则。",
            time_zone=parent.time_zone,
            registration_opens_at=parent.registration_opens_at,
            registration_closes_at=parent.registration_closes_at,
            submission_deadline=parent.submission_deadline,
            starts_at=parent.starts_at,
            ends_at=parent.end_of_day(last_day),
            price_lookback_days=max(parent.price_lookback_days, self.rules.get("price_lookback_days", 0)),
            min_discount_percent=max(parent.min_discount_percent, self.rules.get("min_discount_percent", Decimal(0))),
            raise_lookback_days=parent.raise_lookback_days,
            raise_tolerance_percent=parent.raise_tolerance_percent,
            stacking_order=parent.stacking_order,
            stackable_kinds=parent.stackable_kinds,
        )
        festival.full_clean()
        festival.save()
        festival.organisers.set([self.organiser])
        self.festival = festival
        festival_services.advance_festivals(now=self.now)
        plans = self.participants()
        self.record_history(
            plans,
            first_day=first_day - timedelta(days=PRICE_HISTORY_DAYS),
            last_day=self.today,
            raise_from=first_day - timedelta(days=RAISE_DAYS_BEFORE),
            until=self.now,
        )
        approved = self.add_participations(plans, reviewer)
        self.add_promotions(approved, reviewer, first_day, (last_day - first_day).days + 1)

    def add_participations(self, plans, reviewer):
        """The first applies and waits; with four or more, the second is rejected; the rest are approved."""
        approved = []
        for n, plan in enumerate(plans):
            merchant = self.demo.merchants[plan.index]
            applied_at = self.now - timedelta(days=10, hours=-3 * n)
            try:
                participation = merchant_services.apply_to_festival(
                    merchant, self.festival, categories=[self.demo.categories[plan.categories[0]]], now=applied_at
                )
            except DomainError:
                continue
            if n == 0:
                continue
            decided_at = applied_at + timedelta(days=1)
            if n == 1 and len(plans) >= 4:
                merchant_services.reject_participation(
                    participation, by=reviewer, reason="请补充本省注册地址证明后再申请。", now=decided_at
                )
                continue
            merchant_services.approve_participation(participation, by=reviewer, now=decided_at)
            approved.append(plan)
        return approved

    def add_promotions(self, plans, reviewer, first_day, days):
        rng, festival, n = self.rng, self.festival, 0
        for plan in plans:
            merchant = self.demo.merchants[plan.index]
            # Products the edition's promotions leave alone (they file products[:2] there).
            for product in plan.products[2:4]:
                kind, fate = KINDS[n % len(KINDS)], FATES[n % len(FATES)]
                n += 1
                fields, rate = self.promotion_fields(
                    kind, plan.name, festival, first_day, min(days, CURRENT_LENGTH_DAYS), products=[product],
                    early_only=True,
                )  # fmt: skip
                items = self.items_for([product], fields, rate)
                if not items:
                    continue
                promotion = promotion_services.create_promotion(
                    merchant=merchant,
                    festival=festival,
                    by=None,
                    items=items,
                    categories={self.demo.categories[product.category]},
                    now=self.now - timedelta(days=5, hours=rng.randrange(24)),
                    **fields,
                )
                if fate == "draft":
                    continue
                try:
                    promotion = promotion_services.submit_promotion(
                        promotion, by=None, now=self.now - timedelta(days=3, hours=rng.randrange(24))
                    )
                except promotion_services.SubmissionRefused:
                    continue  # left a draft with the check's reasons
                reviewed_at = self.now - timedelta(hours=2 + rng.randrange(30))
                if fate == "approved":
                    promotion_services.approve_promotion(promotion, by=reviewer, now=reviewed_at)
                elif fate == "changes_requested":
                    promotion_services.request_changes(
                        promotion, by=reviewer, note=rng.choice(REVIEW_NOTES), now=reviewed_at
                    )
