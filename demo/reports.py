"""Demo consumer reports: an association login and a few reports in every
status on public promotions, filed and decided through the services (so each
carries its frozen evidence and history). Created once; a rerun changes nothing."""

from datetime import timedelta
from decimal import Decimal

from festival.models import Organiser, TeamRole
from promotions.models import Promotion, PromotionItem
from reports import services
from reports.models import PriceReport

# (reason, seen price relative to the declared one, email, outcome)
PLAN = [
    ("checkout_differs", Decimal("12.00"), "zhang.wei@example.cn", "upheld"),
    ("raised_before", Decimal("0"), "", "dismissed"),
    ("not_higher_before", Decimal("0"), "li.na@example.cn", "under_review"),
    ("terms_not_honoured", Decimal("0"), "", "received"),
    ("other", Decimal("5.00"), "wang.fang@example.cn", "received"),
]


def add_reports(builder) -> None:
    association = builder.ensure_user("association", first_name="消协", is_staff=True)
    # The association's role in its own organiser's team (中国消费者协会 co-organises the editions).
    from .teams import ASSOCIATION_ORGANISER, ensure_team

    ensure_team(association, Organiser.objects.get(name=ASSOCIATION_ORGANISER), TeamRole.ASSOCIATION)
    association = type(association).objects.get(pk=association.pk)  # fresh permission cache
    builder.result.logins.append(("association", "consumer association staff: /admin/reports/pricereport/"))
    if PriceReport.objects.exists():
        return
    now = builder.now
    promotions = Promotion.objects.public().filter(starts_at__lte=now).order_by("-starts_at", "pk")[: len(PLAN)]
    items = [
        PromotionItem.objects.filter(promotion=p).select_related("product").order_by("pk").first() for p in promotions
    ]
    items = [item for item in items if item is not None]
    for index, ((reason, extra, email, outcome), item) in enumerate(zip(PLAN, items, strict=False)):
        filed = now - timedelta(days=len(PLAN) - index, hours=3)
        report, _merged = services.file_report(
            item=item,
            reason=reason,
            seen_price=item.promo_price + extra,
            seen_at=filed - timedelta(hours=2),
            description="结算时价格与页面不一致。" if extra else "活动前价格并不比现在高。",
            email=email,
            ip=f"198.51.100.{index + 1}",
            now=filed,
        )
        decided = filed + timedelta(hours=20)
        if outcome == "under_review":
            services.start_review(report, by=association, now=decided)
        elif outcome in ("upheld", "dismissed"):
            services.decide_report(
                report,
                by=association,
                upheld=outcome == "upheld",
                note="记录显示结算价高于申报的活动价。" if outcome == "upheld" else "记录显示此前价格确实更高。",
                warn_merchant=outcome == "upheld",
                now=decided,
            )
    if items:
        builder.result.created.append(f"{len(items)} consumer reports")
