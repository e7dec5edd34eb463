"""The editions the demo replays through the services: the 2020 festival, the current
edition opening in a few days and a special session running at the seeding moment."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import ROUND_UP, Decimal
from typing import TYPE_CHECKING

from django.utils import timezone

from festival import services as festival_services
from festival.models import Festival
from merchants import services as merchant_services
from merchants.models import Certificate, CertificateStatus, MerchantKind, PricePoint, PriceSource, SalesReport
from promotions import pricing
from promotions import services as promotion_services
from promotions.clock import tick
from promotions.models import Promotion, PromotionKind
from promotions.results import roll_up_festival

from . import data as demo_data
from .logistics import add_coverage, add_parcel_reports
from .plan import (
    AMOUNT_OFF_PERCENT,
    CURRENT_LENGTH_DAYS,
    CURRENT_OPENS_IN_DAYS,
    DAILY_PRICE_HOUR,
    DEEPEST_DEMO_DISCOUNT,
    FEN,
    HISTORIC_FIRST_DAY,
    HISTORIC_LAST_DAY,
    HISTORIC_SLUG,
    PRICE_HISTORY_DAYS,
    RAISE_DAYS_BEFORE,
    SALES_WEIGHTS,
    SEED,
    SPECIAL_DAYS_LEFT,
    SPECIAL_OPENED_DAYS_AGO,
    TZ,
    UPCOMING_WITHIN_DAYS,
    YUAN,
    chinese_number,
    daily_prices,
    local,
    promo_price,
)

if TYPE_CHECKING:
    from .builder import DemoBuilder


class EditionBuilder:
    """What both editions share: price history, certificates and promotion replay."""

    slug: str

    def __init__(self, demo: DemoBuilder):
        self.demo = demo
        self.rng = random.Random(f"{SEED}-{self.slug}")
        self.price_series: dict[str, list[tuple[datetime, Decimal]]] = {}

    def create_festival(self, **fields):
        festival = Festival(slug=self.slug, **fields)
        festival.full_clean()
        festival.save()
        festival.organisers.set(self.demo.organisers)
        return festival

    def record_history(self, plans, *, first_day, last_day, raise_from, until=None):
        """Daily prices for the plans' products. A price already stored at a moment (a
        festival seeded on an earlier day recorded it) is kept and read into the series,
        so the promotion prices below are computed from what the database holds."""
        product_ids = [self.demo.products[product.sku].pk for plan in plans for product in plan.products]
        stored = {
            (product_id, moment): price
            for product_id, moment, price in PricePoint.objects.filter(
                product_id__in=product_ids,
                recorded_at__gte=local(first_day),
                recorded_at__lt=local(last_day + timedelta(days=1)),
            ).values_list("product_id", "recorded_at", "price")
        }
        points = []
        for plan in plans:
            for product in plan.products:
                series = daily_prices(
                    product,
                    self.rng,
                    first_day=first_day,
                    last_day=last_day,
                    raise_from=raise_from if self.slug in product.raised_in else None,
                    until=until,
                )
                product_id = self.demo.products[product.sku].pk
                if stored:
                    series = [(moment, stored.get((product_id, moment), price)) for moment, price in series]
                self.price_series[product.sku] = series
                points += [
                    PricePoint(product_id=product_id, price=price, recorded_at=moment, source=PriceSource.DEMO)
                    for moment, price in series
                    if (product_id, moment) not in stored
                ]
        PricePoint.objects.bulk_create(points, batch_size=2000)

    def last_price_moment(self):
        """When the latest daily price up to the seeding moment was recorded: today's at
        DAILY_PRICE_HOUR, or yesterday's when the demo is seeded before that hour."""
        today = timezone.localtime(self.demo.now, TZ).date()
        moment = local(today, DAILY_PRICE_HOUR)
        return moment if moment <= self.demo.now else moment - timedelta(days=1)

    def covered_days(self, first_day, offsets, *, hour):
        """The ``offsets`` (days after ``first_day``) on which a promotion starting at
        ``hour`` still finds a price recorded so far inside the festival's lookback. Seeded
        before DAILY_PRICE_HOUR, the last of them may not: its lookback begins after
        yesterday's price, and today's is not recorded yet (never the first offset)."""
        lookback = timedelta(days=self.festival.price_lookback_days)
        latest = self.last_price_moment()
        covered = [offset for offset in offsets if local(first_day + timedelta(days=offset), hour) - lookback <= latest]
        if not covered:
            raise ValueError(f"no day from {first_day} is covered by the prices recorded up to {latest}")
        return covered

    def lowest_before(self, sku, starts_at, days=30):
        """The lowest list price in the month before ``starts_at`` (stricter than any
        lookback the festival uses), so honest promotions pass whatever the rule."""
        prices = [p for moment, p in self.price_series[sku] if starts_at - timedelta(days=days) <= moment < starts_at]
        return min(prices)

    def normal_price_before_raise(self, sku):
        return self.price_series[sku][0][1]

    def windows(self, festival, first_day, days):
        third = max(days // 3, 1)
        last_day = first_day + timedelta(days=days - 1)
        return {
            "full": (festival.starts_at, festival.ends_at),
            "opening": (local(first_day), festival.end_of_day(first_day + timedelta(days=third - 1))),
            "middle": (local(first_day + timedelta(days=third)), festival.end_of_day(last_day - timedelta(days=third))),
            "closing": (local(last_day - timedelta(days=third - 1)), festival.ends_at),
        }

    def price_before_start(self, sku, starts_at):
        """The last price recorded before ``starts_at``: what a percent or amount off cuts."""
        return pricing.last_price_before(self.demo.products[sku].pk, starts_at)

    def amount_off_for(self, products, starts_at):
        """An amount off realistic for the products: 12–30 % of the cheapest one's price
        just before the start, in whole yuan (rounded up, at least ¥1)."""
        cheapest = min(self.price_before_start(p.sku, starts_at) for p in products)
        share = Decimal(self.rng.randint(*AMOUNT_OFF_PERCENT))
        return max(YUAN, (cheapest * share / 100).quantize(YUAN, rounding=ROUND_UP))

    def promotion_fields(
        self, kind, merchant_name, festival, first_day, days, *, products, early_only=False, window=None
    ):
        """The fields of a promotion of ``kind`` for ``products``. ``early_only``: start in
        the first three days, while the price history recorded so far still covers the
        lookback. ``window``: (starts_at, ends_at) chosen by the caller."""
        rng = self.rng
        title, description = demo_data.PROMOTION_TITLES[kind]
        fields, params = {}, {"brand": merchant_name}
        if window is not None:
            starts_at, ends_at = window
        elif kind in (PromotionKind.FLASH_SALE, PromotionKind.LIVESTREAM):
            hours = (20, 22) if kind == PromotionKind.FLASH_SALE else (19, 23)
            days_open = range(days)
            if early_only:
                days_open = self.covered_days(first_day, range(3), hour=hours[0])
            day = first_day + timedelta(days=days_open[rng.randrange(len(days_open))])
            starts_at, ends_at = local(day, hours[0]), local(day, hours[1])
        else:
            starts_at, ends_at = self.windows(festival, first_day, days)[
                rng.choice(("full", "opening") if early_only else ("full", "full", "opening", "middle", "closing"))
            ]
        rate = None
        if kind == PromotionKind.PERCENT_OFF:
            rate = rng.choice((10, 15, 20, 25, 30))
            fields["percent_off"] = Decimal(rate)
            params["rate"] = f"{(100 - rate) / 10:g}"
        elif kind == PromotionKind.AMOUNT_OFF:
            fields["amount_off"] = self.amount_off_for(products, starts_at)
        elif kind == PromotionKind.THRESHOLD:
            threshold, off = rng.choice(((199, 20), (299, 30), (200, 30), (399, 50), (99, 10)))
            fields.update(threshold_amount=Decimal(threshold), amount_off=Decimal(off))
            params.update(threshold=threshold, off=off)
        elif kind == PromotionKind.COUPON:
            value = rng.choice((5, 10, 20, 30, 50))
            fields.update(coupon_value=Decimal(value), coupon_quantity=rng.choice((1000, 5000, 10000, 20000)))
            if rng.random() < 0.6:
                fields["threshold_amount"] = Decimal(value * 10 - 1)
            params["value"] = value
        elif kind == PromotionKind.FLASH_SALE:
            fields["flash_quantity"] = rng.choice((100, 200, 500, 1000))
        elif kind == PromotionKind.LIVESTREAM:
            fields.update(
                stream_host=rng.choice(demo_data.STREAM_HOSTS),
                stream_url=f"https://live.example.cn/{self.slug}/{rng.randrange(10**6):06d}",
                stream_starts_at=starts_at + timedelta(hours=1),
            )
        fields.update(
            title=title.format(**params)[:200],
            description=description.format(**params),
            kind=kind,
            starts_at=starts_at,
            ends_at=ends_at,
        )
        return fields, rate

    def items_for(self, products, fields, rate, *, trick=False):
        """The items of a promotion. Percent-off and amount-off items declare what the
        promotion really gives off the price just before the start (the price consumers
        pay, which the check compares with the declared one); an item whose real discount
        against the reference would then miss the festival's minimum or exceed
        DEEPEST_DEMO_DISCOUNT (an amount sized to a much cheaper product) is left out of
        the promotion; the cheapest product always fits. Other kinds declare a discount
        off the lowest price of the month before."""
        starts_at, kind = fields["starts_at"], fields["kind"]
        items = []
        for product in products:
            if trick:
                # "cut" from the raised price back to about the old one: the trick the festival forbids
                price = promo_price(self.normal_price_before_raise(product.sku), self.rng.choice((0, 1, 2)))
            elif kind in (PromotionKind.PERCENT_OFF, PromotionKind.AMOUNT_OFF):
                price = self.price_the_promotion_gives(product.sku, fields)
                if not self.fits(product.sku, starts_at, price):
                    continue
            else:
                discount = rate if rate is not None else self.rng.randint(12, 35)
                price = promo_price(self.lowest_before(product.sku, starts_at), discount)
            items.append({"product": self.demo.products[product.sku], "promo_price": price})
        return items

    def price_the_promotion_gives(self, sku, fields):
        offer = pricing.Offer(
            kind=fields["kind"], percent_off=fields.get("percent_off"), amount_off=fields.get("amount_off")
        )
        before = self.price_before_start(sku, fields["starts_at"])
        return pricing.compute_final_price(before, [offer]).final

    def fits(self, sku, starts_at, price):
        """Does ``price`` pass the festival's minimum discount, and stay within
        DEEPEST_DEMO_DISCOUNT, against the product's reference price?"""
        festival = self.festival
        reference = pricing.reference_price(
            self.demo.products[sku].pk, starts_at=starts_at, lookback_days=festival.price_lookback_days
        ).price
        return (
            reference is not None
            and pricing.meets_min_discount(reference, price, festival.min_discount_percent)
            and pricing.real_discount_percent(reference, price) <= DEEPEST_DEMO_DISCOUNT
        )

    def run_clock(self, live_actions=(), *, until=None):
        """Tick the clock at every promotion boundary of the festival (up to ``until``,
        and at ``until`` itself), with the merchants' and reviewers' mid-festival
        actions in between."""
        reviewer, rng = self.demo.reviewer, self.rng
        promotions = Promotion.objects.filter(festival=self.festival)
        boundaries = set(promotions.values_list("starts_at", flat=True)) | set(
            promotions.values_list("ends_at", flat=True)
        )
        actions = defaultdict(list)
        for moment, fate, pk in live_actions:
            actions[moment].append((fate, pk))
        # The opening moment too, so the festival is running before its first promotion starts.
        moments = boundaries | set(actions) | {self.festival.starts_at}
        if until is not None:
            moments = {moment for moment in moments if moment <= until} | {until}
        for moment in sorted(moments):
            tick(now=moment)
            for fate, pk in actions.get(moment, ()):
                promotion = Promotion.objects.get(pk=pk)
                if fate == "withdrawn_live":
                    promotion_services.withdraw_promotion(promotion, note="直播间库存售罄，提前结束。", now=moment)
                else:
                    promotion_services.cancel_promotion(
                        promotion, by=reviewer, reason=rng.choice(CANCEL_REASONS), now=moment
                    )

    def certify(self, merchant, kind, *, number, valid_from, valid_until, added_at, verified_at=None, issuer=None):
        certificate = Certificate.objects.filter(merchant=merchant, kind=kind, number=number).first()
        if certificate is not None:
            return certificate
        certificate = merchant_services.add_certificate(
            merchant,
            now=added_at,
            kind=kind,
            number=number,
            issuer=issuer or demo_data.CERTIFICATE_ISSUERS[kind],
            valid_from=valid_from,
            valid_until=valid_until,
        )
        if verified_at is not None:
            certificate = merchant_services.verify_certificate(certificate, by=self.demo.reviewer, now=verified_at)
        return certificate

    def certificate_number(self, kind, batch_year):
        rng = self.rng
        if kind == "green_food":
            return f"GF{rng.randrange(10**12):012d}"
        if kind == "organic":
            return f"{rng.randrange(10**17):017d}"
        if kind == "geographical_indication":
            return f"AGI{rng.randrange(10**5):05d}"
        if kind == "time_honoured":
            return f"中华老字号-{batch_year}-{rng.randrange(1, 1200):04d}"
        return f"WGH-{batch_year % 100:02d}-{rng.randrange(10**5):05d}"


REVIEW_NOTES = (
    "请在活动说明中写明优惠规则和适用商品范围。",
    "主图与商品不符，请更换后重新提交。",
    "请补充活动库存数量，避免超卖。",
    "活动价需与商品详情页一致，请核对后重新提交。",
)
TRICK_NOTE = (
    "经核查，该商品活动前约两周提价约三成，再以“优惠”名义恢复原价，属先涨价后降价，请按原价核定优惠后重新提交。"
)
CANCEL_REASONS = (
    "消费者投诉活动规则与页面宣传不符，经核实予以取消。",
    "商家未按承诺保障库存，取消本次活动。",
)
WITHDRAW_NOTES = ("库存不足，主动撤回。", "活动方案调整，撤回重报。", "")


class HistoricEdition(EditionBuilder):
    """The 2nd edition, 2020-04-28 to 2020-05-10, replayed from registration to close."""

    slug = HISTORIC_SLUG

    # Fates other than a clean "ended"; each also proves one path through the table.
    FATES = {
        "withdrawn_draft": 2,
        "withdrawn_submitted": 2,
        "withdrawn_approved": 2,
        "withdrawn_live": 3,
        "cancelled_submitted": 2,
        "cancelled_approved": 2,
        "cancelled_live": 2,
        "changes_requested": 4,
        "withdrawn_changes_requested": 1,
        "draft": 3,
        "resubmitted": 6,
    }
    TRICK_MERCHANTS = 5

    def build(self):
        demo, rng = self.demo, self.rng
        first_day, last_day = HISTORIC_FIRST_DAY, HISTORIC_LAST_DAY
        festival = Festival(time_zone="Asia/Shanghai")
        festival = self.create_festival(
            name="第二届双品网购节",
            name_en="2020 Double Product Online Shopping Festival",
            edition=2,
            description=(
                "2020年4月28日至5月10日，商务部、工业和信息化部、国家邮政局、中国消费者协会联合举办第二届"
                "“双品网购节”，109家电商平台和企业参与，推动品牌、品质消费，承诺真降价、不套路。"
            ),
            registration_opens_at=local(date(2020, 4, 3)),
            registration_closes_at=festival.end_of_day(date(2020, 4, 20)),
            submission_deadline=festival.end_of_day(date(2020, 4, 24)),
            starts_at=local(first_day),
            ends_at=festival.end_of_day(last_day),
        )
        self.festival = festival
        festival_services.advance_festivals(now=festival.registration_opens_at)

        # Some merchants raised prices two weeks before the festival, then "cut" them.
        candidates = [
            p for p in demo.plans if p.kind in (MerchantKind.BRAND_ENTERPRISE, MerchantKind.VERTICAL_PLATFORM)
        ]
        self.trick_merchants = {p.index for p in rng.sample(candidates, self.TRICK_MERCHANTS)}
        for plan in demo.plans:
            if plan.index in self.trick_merchants:
                plan.products[0].raised_in.add(self.slug)
        self.record_history(
            demo.plans,
            first_day=first_day - timedelta(days=PRICE_HISTORY_DAYS),
            last_day=last_day,
            raise_from=first_day - timedelta(days=RAISE_DAYS_BEFORE),
        )
        self.add_certificates()
        self.add_participations()
        self.add_promotions()
        festival_services.advance_festivals(now=festival.ends_at + timedelta(seconds=1))
        self.add_sales_reports()
        add_parcel_reports(festival, self.demo.carriers)  # demo/logistics.py: seven carriers, 73 days
        add_coverage(festival)
        # The nightly roll-up only revisits recent festivals, so 2020's days are rolled up here.
        roll_up_festival(festival, now=festival.ends_at + timedelta(days=2))

    def add_certificates(self):
        rng = self.rng
        first_rejected = True
        for plan in self.demo.plans:
            if not plan.certificate_kind:
                continue
            merchant, kind = self.demo.merchants[plan.index], plan.certificate_kind
            added_at = local(date(2020, 3, 23) + timedelta(days=rng.randrange(6)), 9 + rng.randrange(8))
            if first_rejected and kind == "green_food":
                # A blurred scan with a mistyped number, rejected, then the right one filed.
                first_rejected = False
                wrong = self.certify(
                    merchant,
                    kind,
                    number=self.certificate_number(kind, 2019),
                    valid_from=date(2019, 6, 1),
                    valid_until=date(2022, 5, 31),
                    added_at=added_at - timedelta(days=3),
                )
                if wrong.status == CertificateStatus.PENDING:
                    merchant_services.reject_certificate(
                        wrong,
                        by=self.demo.reviewer,
                        reason="扫描件模糊，证书编号与中国绿色食品发展中心登记不符，请重新上传。",
                        now=added_at - timedelta(days=2),
                    )
            if kind == "time_honoured":
                valid_from, valid_until = rng.choice((date(2006, 12, 1), date(2011, 3, 1))), date(2035, 12, 31)
            elif kind == "geographical_indication":
                valid_from, valid_until = date(2012 + rng.randrange(6), 1, 1), date(2035, 12, 31)
            elif kind == "organic":
                valid_from = date(2019, 9, 1) + timedelta(days=rng.randrange(90))
                valid_until = valid_from + timedelta(days=364)
            else:
                valid_from = date(2018, 9, 1) + timedelta(days=rng.randrange(300))
                valid_until = valid_from.replace(year=valid_from.year + 3) - timedelta(days=1)
            self.certify(
                merchant,
                kind,
                number=self.certificate_number(kind, valid_from.year),
                valid_from=valid_from,
                valid_until=valid_until,
                added_at=added_at,
                verified_at=local(date(2020, 4, 1), 10) + timedelta(hours=rng.randrange(30)),
            )

    def add_participations(self):
        rng, festival, reviewer = self.rng, self.festival, self.demo.reviewer
        rejected_first = {p.index for p in rng.sample(self.demo.plans, 2)}
        for plan in self.demo.plans:
            merchant = self.demo.merchants[plan.index]
            categories = [self.demo.categories[slug] for slug in plan.categories]
            applied_at = local(date(2020, 4, 3) + timedelta(days=rng.randrange(8)), 8 + rng.randrange(10))
            participation = merchant_services.apply_to_festival(
                merchant, festival, categories=categories, now=applied_at
            )
            decided_at = applied_at + timedelta(days=1, hours=rng.randrange(24))
            if plan.index in rejected_first:
                merchant_services.reject_participation(
                    participation,
                    by=reviewer,
                    reason="营业执照扫描件不清晰，请补充材料后再次申请。",
                    now=decided_at,
                )
                applied_at = decided_at + timedelta(days=1)
                participation = merchant_services.apply_to_festival(
                    merchant, festival, categories=categories, now=applied_at
                )
                decided_at = applied_at + timedelta(days=1)
            merchant_services.approve_participation(participation, by=reviewer, now=decided_at)

    def plan_promotions(self):
        """(plan, products, fate) for every promotion: one to three per merchant, each
        product in at most one promotion (so no two price cuts overlap on an item)."""
        rng, entries = self.rng, []
        for plan in self.demo.plans:
            products = list(plan.products)
            if plan.index in self.trick_merchants:
                entries.append((plan, [products.pop(0)], "trick"))
            big = plan.kind in (MerchantKind.COMPREHENSIVE_PLATFORM, MerchantKind.VERTICAL_PLATFORM)
            count = 2 if big or rng.random() < 0.3 else 1
            rng.shuffle(products)
            for n in range(count):
                chunk = products[n::count][:2]
                if chunk:
                    entries.append((plan, chunk, "ended"))
        honest = [i for i, entry in enumerate(entries) if entry[2] == "ended"]
        chosen = rng.sample(honest, sum(self.FATES.values()))
        fates = [fate for fate, count in self.FATES.items() for _ in range(count)]
        for position, fate in zip(chosen, fates, strict=True):
            plan, products, _ended = entries[position]
            entries[position] = (plan, products, fate)
        return entries

    def add_promotions(self):
        rng, festival, demo = self.rng, self.festival, self.demo
        reviewer = demo.reviewer
        days = (HISTORIC_LAST_DAY - HISTORIC_FIRST_DAY).days + 1
        kinds = list(PromotionKind.values)
        live_actions = []  # (moment, action, promotion)
        for n, (plan, products, fate) in enumerate(self.plan_promotions()):
            kind = kinds[n % len(kinds)]
            merchant = demo.merchants[plan.index]
            fields, rate = self.promotion_fields(kind, plan.name, festival, HISTORIC_FIRST_DAY, days, products=products)
            created_at = local(date(2020, 4, 10) + timedelta(days=rng.randrange(5)), 9 + rng.randrange(9))
            items = self.items_for(products, fields, rate, trick=fate == "trick")
            categories = {self.demo.categories[p.category] for p in products}
            promotion = promotion_services.create_promotion(
                merchant=merchant, festival=festival, items=items, categories=categories, now=created_at, **fields
            )
            submitted_at = created_at + timedelta(days=2, hours=rng.randrange(12))
            reviewed_at = submitted_at + timedelta(days=2, hours=rng.randrange(12))
            if fate == "draft":
                continue
            if fate == "withdrawn_draft":
                promotion_services.withdraw_promotion(promotion, note=rng.choice(WITHDRAW_NOTES), now=submitted_at)
                continue
            if fate == "trick":
                try:
                    promotion = promotion_services.submit_promotion(promotion, now=submitted_at)
                except promotion_services.SubmissionRefused:
                    continue  # the honest-price check caught it: it stays a draft with the reasons stored
                promotion_services.request_changes(promotion, by=reviewer, note=TRICK_NOTE, now=reviewed_at)
                continue
            promotion = promotion_services.submit_promotion(promotion, now=submitted_at)
            if fate == "withdrawn_submitted":
                promotion_services.withdraw_promotion(promotion, note=rng.choice(WITHDRAW_NOTES), now=reviewed_at)
                continue
            if fate == "cancelled_submitted":
                promotion_services.cancel_promotion(
                    promotion, by=reviewer, reason=rng.choice(CANCEL_REASONS), now=reviewed_at
                )
                continue
            if fate in ("changes_requested", "withdrawn_changes_requested", "resubmitted"):
                promotion = promotion_services.request_changes(
                    promotion, by=reviewer, note=rng.choice(REVIEW_NOTES), now=reviewed_at
                )
                if fate == "withdrawn_changes_requested":
                    promotion_services.withdraw_promotion(
                        promotion, note="活动方案调整，撤回重报。", now=reviewed_at + timedelta(days=1)
                    )
                if fate != "resubmitted":
                    continue
                promotion = promotion_services.update_promotion(
                    promotion, description=promotion.description + "（已按审核意见补充活动规则与库存说明）"
                )
                promotion = promotion_services.submit_promotion(promotion, now=reviewed_at + timedelta(days=1))
                reviewed_at += timedelta(days=2)
            promotion = promotion_services.approve_promotion(promotion, by=reviewer, now=reviewed_at)
            before_start = local(date(2020, 4, 27), 10 + rng.randrange(8))
            if fate == "withdrawn_approved":
                promotion_services.withdraw_promotion(promotion, note=rng.choice(WITHDRAW_NOTES), now=before_start)
            elif fate == "cancelled_approved":
                promotion_services.cancel_promotion(
                    promotion, by=reviewer, reason=rng.choice(CANCEL_REASONS), now=before_start
                )
            elif fate in ("withdrawn_live", "cancelled_live"):
                midway = promotion.starts_at + (promotion.ends_at - promotion.starts_at) / 2
                live_actions.append((midway, fate, promotion.pk))
        self.run_clock(live_actions)

    def add_sales_reports(self):
        """Daily sales per merchant, shaped like the real festival: a peak on the
        first day and over the May Day holiday; the total is about ¥182.51 bn."""
        rng, festival = self.rng, self.festival
        weights = SALES_WEIGHTS
        order_values = {MerchantKind.TOURISM: 600, MerchantKind.COMPREHENSIVE_PLATFORM: 160}
        share = {p.index: weights[p.kind] * Decimal(rng.uniform(0.6, 1.4)).quantize(FEN) for p in self.demo.plans}
        total_share = sum(share.values())
        days = [HISTORIC_FIRST_DAY + timedelta(days=n) for n in range(13)]
        day_weight = {d: Decimal("1.6") if d.day in (28, 1, 2) and d.month in (4, 5) else Decimal("1") for d in days}
        total_days = sum(day_weight.values())
        total = Decimal("182510000000")
        reports = []
        for plan in self.demo.plans:
            for day in days:
                gmv = (total * share[plan.index] / total_share * day_weight[day] / total_days).quantize(FEN)
                reports.append(
                    SalesReport(
                        merchant=self.demo.merchants[plan.index],
                        festival=festival,
                        date=day,
                        gmv=gmv,
                        orders=int(gmv / order_values.get(plan.kind, 120)),
                        reported_at=festival.end_of_day(day) + timedelta(hours=2),
                    )
                )
        SalesReport.objects.bulk_create(reports, batch_size=2000)


class CurrentEdition(EditionBuilder):
    """This year's edition: registration open, window opening in a few days."""

    def __init__(self, demo):
        self.now = demo.now
        self.today = timezone.localtime(self.now, TZ).date()
        self.first_day = self.today + timedelta(days=CURRENT_OPENS_IN_DAYS)
        self.year = self.first_day.year
        self.slug = str(self.year) if self.year != 2020 else f"{self.year}-demo"
        super().__init__(demo)
        # The demo merchant login: a small-and-beautiful brand with products and a draft.
        self.demo_merchant_index = next(
            p.index for p in demo.plans if p.kind == MerchantKind.BRAND_ENTERPRISE and not p.certificate_kind
        )

    def ago(self, **delta):
        return self.now - timedelta(**delta)

    def participants(self):
        """Every other merchant takes part again, the demo merchant among them."""
        return [p for p in self.demo.plans if p.index % 2 == 1 or p.index == self.demo_merchant_index]

    def build(self):
        rng = self.rng
        edition = self.year - 2018
        festival = Festival(time_zone="Asia/Shanghai")
        last_day = self.first_day + timedelta(days=CURRENT_LENGTH_DAYS - 1)
        deadline = festival.end_of_day(self.today + timedelta(days=2))
        festival = self.festival = self.create_festival(
            name=f"第{chinese_number(edition)}届双品网购节",
            name_en=f"{self.year} Double Product Online Shopping Festival",
            edition=edition,
            description="品牌好物，品质生活。真降价、不套路：每件商品标明基准价与实际折扣。",
            registration_opens_at=self.ago(days=20),
            registration_closes_at=deadline,
            submission_deadline=deadline,
            starts_at=local(self.first_day),
            ends_at=festival.end_of_day(last_day),
        )
        festival_services.advance_festivals(now=self.now)

        taking_part = self.participants()
        candidates = [p for p in taking_part if p.kind == MerchantKind.BRAND_ENTERPRISE and not p.certificate_kind]
        self.trick_merchants = {p.index for p in rng.sample(candidates[1:], 2)}
        for plan in taking_part:
            if plan.index in self.trick_merchants:
                plan.products[0].raised_in.add(self.slug)
        self.record_history(
            taking_part,
            first_day=self.first_day - timedelta(days=PRICE_HISTORY_DAYS),
            last_day=self.today,
            raise_from=self.first_day - timedelta(days=RAISE_DAYS_BEFORE),
            until=self.now,
        )
        self.renew_certificates(taking_part)
        approved = self.add_participations(taking_part)
        self.add_promotions(approved)

    def renew_certificates(self, plans):
        rng = self.rng
        renewing = [p for p in plans if p.certificate_kind and p.certificate_kind != "time_honoured"]
        for plan in renewing:
            kind = plan.certificate_kind
            valid_from = self.today - timedelta(days=100 + rng.randrange(200))
            valid_until = valid_from + timedelta(days=364 if kind == "organic" else 3 * 365)
            if kind == "geographical_indication":
                valid_until = date(valid_from.year + 10, 12, 31)
            self.certify(
                self.demo.merchants[plan.index],
                kind,
                number=self.certificate_number(kind, valid_from.year),
                valid_from=valid_from,
                valid_until=valid_until,
                added_at=self.ago(days=30, hours=rng.randrange(24)),
                verified_at=self.ago(days=27, hours=rng.randrange(24)),
            )
        # New uploads waiting for a reviewer.
        for plan in renewing[:2]:
            kind = plan.certificate_kind
            self.certify(
                self.demo.merchants[plan.index],
                kind,
                number=self.certificate_number(kind, self.today.year),
                valid_from=self.today,
                valid_until=self.today + timedelta(days=364 if kind == "organic" else 3 * 365),
                added_at=self.ago(days=2, hours=rng.randrange(24)),
            )

    def add_participations(self, plans):
        rng, festival, reviewer = self.rng, self.festival, self.demo.reviewer
        others = [p for p in plans if p.index != self.demo_merchant_index]
        undecided = {p.index for p in rng.sample(others, 5)}
        rejected = rng.choice([p for p in others if p.index not in undecided]).index
        withdrawn = rng.choice([p for p in others if p.index not in undecided | {rejected}]).index
        approved = []
        for n, plan in enumerate(plans):
            merchant = self.demo.merchants[plan.index]
            applied_at = self.ago(days=19) + timedelta(hours=3 * n + rng.randrange(3))
            participation = merchant_services.apply_to_festival(
                merchant,
                festival,
                categories=[self.demo.categories[slug] for slug in plan.categories],
                now=applied_at,
            )
            decided_at = applied_at + timedelta(days=1, hours=rng.randrange(24))
            if plan.index in undecided:
                continue
            if plan.index == rejected:
                merchant_services.reject_participation(
                    participation, by=reviewer, reason="所报类目与主营业务不符，请调整后再申请。", now=decided_at
                )
                continue
            participation = merchant_services.approve_participation(participation, by=reviewer, now=decided_at)
            if plan.index == withdrawn:
                merchant_services.withdraw_participation(
                    participation, note="企业经营调整，退出本届活动。", now=self.ago(days=3)
                )
                continue
            approved.append(plan)
        return approved

    def add_promotions(self, plans):
        rng, festival, demo = self.rng, self.festival, self.demo
        reviewer = demo.reviewer
        kinds = list(PromotionKind.values)
        fates = (
            ["draft"] * 6
            + ["changes_requested"] * 4
            + ["withdrawn"] * 2
            + ["cancelled"]
            + ["approved", "submitted"] * len(plans)
        )
        ordinary = [p for p in plans if p.index not in self.trick_merchants and p.index != self.demo_merchant_index]
        rng.shuffle(ordinary)
        entries = [(plan, plan.products[:2], fate) for plan, fate in zip(ordinary, fates, strict=False)]
        entries += [(p, p.products[:1], "trick") for p in plans if p.index in self.trick_merchants]
        mine = next(p for p in plans if p.index == self.demo_merchant_index)
        entries += [(mine, mine.products[:2], "draft"), (mine, mine.products[2:], "approved")]
        for n, (plan, products, fate) in enumerate(entries):
            kind = kinds[n % len(kinds)]
            merchant = demo.merchants[plan.index]
            fields, rate = self.promotion_fields(
                kind, plan.name, festival, self.first_day, CURRENT_LENGTH_DAYS, products=products, early_only=True
            )
            by = None
            if plan.index == self.demo_merchant_index:
                by = demo.ensure_user("merchant", first_name="商家")
            created_at = self.ago(days=6 if fate != "draft" else 1, hours=rng.randrange(24))
            promotion = promotion_services.create_promotion(
                merchant=merchant,
                festival=festival,
                by=by,
                items=self.items_for(products, fields, rate, trick=fate == "trick"),
                categories={self.demo.categories[p.category] for p in products},
                now=created_at,
                **fields,
            )
            if fate == "draft":
                continue
            submitted_at = self.ago(days=3, hours=rng.randrange(24))
            try:
                promotion = promotion_services.submit_promotion(promotion, by=by, now=submitted_at)
            except promotion_services.SubmissionRefused:
                if fate == "trick":
                    continue  # the honest-price check refused it: a draft with the reasons stored
                raise
            reviewed_at = self.ago(hours=2 + rng.randrange(40))
            if fate == "changes_requested":
                promotion_services.request_changes(
                    promotion, by=reviewer, note=rng.choice(REVIEW_NOTES), now=reviewed_at
                )
            elif fate == "approved":
                promotion_services.approve_promotion(promotion, by=reviewer, now=reviewed_at)
            elif fate == "withdrawn":
                promotion_services.withdraw_promotion(
                    promotion, by=by, note=rng.choice(WITHDRAW_NOTES), now=reviewed_at
                )
            elif fate == "cancelled":
                promotion_services.cancel_promotion(
                    promotion, by=reviewer, reason=rng.choice(CANCEL_REASONS), now=reviewed_at
                )


class RunningSpecial(EditionBuilder):
    """A short special session running at the seeding moment, so the public pages
    have live promotions with their honest-price badges: it opened a few days ago,
    some promotions already ended, most are live now (every kind, several
    categories), some are approved to start later, and sales are reported for the
    days so far. Replayed like 2020: decided before the window, then the clock."""

    # How many participants come from each main category.
    PARTICIPANTS = {
        "small-and-beautiful": 7,
        "time-honoured": 3,
        "pollution-free": 1,
        "green-food": 1,
        "organic": 1,
        "geographical-indication": 1,
        "catering": 3,
        "tourism": 2,
        "foreign-trade": 2,
        "silk-road": 2,
    }

    def __init__(self, demo, *, busy):
        self.now = demo.now
        self.busy = busy  # merchants taking part in the current edition
        self.today = timezone.localtime(self.now, TZ).date()
        self.first_day = self.today - timedelta(days=SPECIAL_OPENED_DAYS_AGO)
        self.last_day = self.today + timedelta(days=SPECIAL_DAYS_LEFT)
        month = self.first_day.month
        _months, season, self.season_name, self.season_name_en = next(
            entry for entry in demo_data.SPECIAL_SEASONS if month in entry[0]
        )
        # A winter runs into the next year; it keeps the year it started in.
        self.year = self.first_day.year - (1 if season == "winter" and month <= 2 else 0)
        self.slug = f"{season}-special-{self.year}"
        super().__init__(demo)

    def build(self):
        first_day, last_day = self.first_day, self.last_day
        festival = Festival(time_zone="Asia/Shanghai")
        festival = self.festival = self.create_festival(
            name=f"双品网购节·{self.season_name}",
            name_en=f"Double Product Festival — {self.season_name_en} {self.year}",
            description=demo_data.SPECIAL_DESCRIPTION.format(
                season=self.season_name, days=(last_day - first_day).days + 1, lookback=festival.price_lookback_days
            ),
            registration_opens_at=local(first_day - timedelta(days=27)),
            registration_closes_at=festival.end_of_day(first_day - timedelta(days=12)),
            submission_deadline=festival.end_of_day(first_day - timedelta(days=5)),
            starts_at=local(first_day),
            ends_at=festival.end_of_day(last_day),
        )
        festival_services.advance_festivals(now=festival.registration_opens_at)
        plans = self.choose_participants()
        self.record_history(
            plans,
            first_day=first_day - timedelta(days=PRICE_HISTORY_DAYS),
            last_day=self.today,
            raise_from=None,
            until=self.now,
        )
        self.renew_certificates(plans)
        self.add_participations(plans)
        self.add_promotions(plans)
        self.run_clock(until=self.now)
        self.add_sales_reports(plans)
        roll_up_festival(festival, now=self.now)

    def choose_participants(self):
        free = [p for p in self.demo.plans if p.index not in self.busy]
        chosen = []
        for category, count in self.PARTICIPANTS.items():
            candidates = [p for p in free if p.products[0].category == category]
            chosen += self.rng.sample(candidates, min(count, len(candidates)))
        return sorted(chosen, key=lambda p: p.index)

    def renew_certificates(self, plans):
        """Produce certificates run one to three years: merchants renewed theirs before applying.
        (Time-honoured and geographical-indication certificates from 2020 are still valid.)"""
        rng, opens = self.rng, self.festival.registration_opens_at
        for plan in plans:
            kind = plan.certificate_kind
            if not kind or kind in ("time_honoured", "geographical_indication"):
                continue
            valid_from = self.first_day - timedelta(days=60 + rng.randrange(200))
            self.certify(
                self.demo.merchants[plan.index],
                kind,
                number=self.certificate_number(kind, valid_from.year),
                valid_from=valid_from,
                valid_until=valid_from + timedelta(days=364 if kind == "organic" else 3 * 365),
                added_at=opens - timedelta(days=5, hours=rng.randrange(24)),
                verified_at=opens - timedelta(days=2, hours=rng.randrange(24)),
            )

    def add_participations(self, plans):
        rng, festival, reviewer = self.rng, self.festival, self.demo.reviewer
        for n, plan in enumerate(plans):
            applied_at = festival.registration_opens_at + timedelta(days=1 + n % 7, hours=9 + rng.randrange(9))
            participation = merchant_services.apply_to_festival(
                self.demo.merchants[plan.index],
                festival,
                categories=[self.demo.categories[slug] for slug in plan.categories],
                now=applied_at,
            )
            merchant_services.approve_participation(
                participation, by=reviewer, now=applied_at + timedelta(days=1, hours=rng.randrange(24))
            )

    def windows(self, kind, when):
        """A (starts_at, ends_at) that is ``when`` ("ended", "live", "upcoming") at the seeding moment.
        Upcoming ones start within the price lookback, so the prices recorded so far cover it."""
        rng, festival, today = self.rng, self.festival, self.today
        if kind in (PromotionKind.FLASH_SALE, PromotionKind.LIVESTREAM):
            if when == "live":
                # Started on the hour before the seeding, running into the next day or evening.
                hour = self.now.astimezone(TZ).replace(minute=0, second=0, microsecond=0)
                length = 22 if kind == PromotionKind.FLASH_SALE else 6
                return hour - timedelta(hours=1), hour + timedelta(hours=length - 1)
            hours = (20, 22) if kind == PromotionKind.FLASH_SALE else (19, 23)
            if when == "ended":
                day = self.first_day + timedelta(days=rng.randrange(SPECIAL_OPENED_DAYS_AGO))
            else:
                offsets = self.covered_days(today, range(1, 1 + UPCOMING_WITHIN_DAYS), hour=hours[0])
                day = today + timedelta(days=offsets[rng.randrange(len(offsets))])
            return local(day, hours[0]), local(day, hours[1])
        choices = {
            "ended": [
                (local(self.first_day), festival.end_of_day(self.first_day + timedelta(days=1))),
                (local(self.first_day), festival.end_of_day(today - timedelta(days=1))),
            ],
            "live": [
                (festival.starts_at, festival.ends_at),
                (festival.starts_at, festival.end_of_day(today + timedelta(days=3))),
                (local(today - timedelta(days=1)), festival.ends_at),
            ],
            "upcoming": [
                (local(today + timedelta(days=2)), festival.end_of_day(today + timedelta(days=5))),
                (local(today + timedelta(days=UPCOMING_WITHIN_DAYS)), festival.ends_at),
            ],
        }
        return rng.choice(choices[when])

    def add_promotions(self, plans):
        """Per merchant: one live promotion of two products, then (most of the time)
        one that already ended and one approved to start later, a product each, so
        no product is in two promotions and every item passes the check."""
        rng, festival, demo = self.rng, self.festival, self.demo
        reviewer, kinds = demo.reviewer, list(PromotionKind.values)
        entries = []
        for plan in plans:
            entries.append((plan, plan.products[:2], "live"))
            if rng.random() < 0.7:
                entries.append((plan, plan.products[2:3], "ended"))
            if rng.random() < 0.7:
                entries.append((plan, plan.products[3:4], "upcoming"))
        seen = defaultdict(int)  # rotate kinds within each fate, so every fate has every kind
        days = (self.last_day - self.first_day).days + 1
        for plan, products, when in entries:
            kind = kinds[seen[when] % len(kinds)]
            seen[when] += 1
            fields, rate = self.promotion_fields(
                kind, plan.name, festival, self.first_day, days, products=products, window=self.windows(kind, when)
            )
            created_at = local(self.first_day - timedelta(days=14 + rng.randrange(3)), 9 + rng.randrange(9))
            promotion = promotion_services.create_promotion(
                merchant=demo.merchants[plan.index],
                festival=festival,
                items=self.items_for(products, fields, rate),
                categories={demo.categories[p.category] for p in products},
                now=created_at,
                **fields,
            )
            submitted_at = created_at + timedelta(days=2, hours=rng.randrange(24))
            promotion = promotion_services.submit_promotion(promotion, now=submitted_at)
            reviewed_at = submitted_at + timedelta(days=2, hours=rng.randrange(24))
            promotion_services.approve_promotion(promotion, by=reviewer, now=reviewed_at)

    def add_sales_reports(self, plans):
        """Each participant's sales for every day of the window already reported
        (two hours after the day ends, in the festival's time zone)."""
        rng, festival = self.rng, self.festival
        reports, day = [], self.first_day
        while festival.end_of_day(day) + timedelta(hours=2) <= self.now:
            for plan in plans:
                gmv = (SALES_WEIGHTS[plan.kind] * Decimal(rng.uniform(0.7, 1.3)) * 150_000).quantize(FEN)
                reports.append(
                    SalesReport(
                        merchant=self.demo.merchants[plan.index],
                        festival=festival,
                        date=day,
                        gmv=gmv,
                        orders=int(gmv / 150),
                        reported_at=festival.end_of_day(day) + timedelta(hours=2),
                    )
                )
            day += timedelta(days=1)
        SalesReport.objects.bulk_create(reports)
