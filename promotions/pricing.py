"""The honest price engine: reference prices, real discounts and item checks.

One module used by the admin, the merchant forms, the API and the public pages.
"""

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Min
from django.utils import timezone
from django.utils.translation import gettext as _

from merchants.models import PricePoint

from .models import CheckStatus, PromotionItem, ReferenceSource

FEN = Decimal("0.01")
HUNDRED = Decimal("100")


@dataclass(frozen=True)
class Reference:
    price: Decimal | None
    source: str


@dataclass
class ItemCheck:
    item: PromotionItem
    reference: Reference
    real_discount_percent: Decimal | None
    status: str
    reasons: list[str] = field(default_factory=list)


def reference_price(product_id, *, starts_at, lookback_days) -> Reference:
    """Lowest price in the ``lookback_days`` before ``starts_at``; else the last price before; else none."""
    window_start = starts_at - timedelta(days=lookback_days)
    prices = PricePoint.objects.filter(product_id=product_id, recorded_at__lt=starts_at)
    lowest = prices.filter(recorded_at__gte=window_start).aggregate(lowest=Min("price"))["lowest"]
    if lowest is not None:
        return Reference(lowest, ReferenceSource.LOOKBACK)
    last = prices.order_by("-recorded_at").values_list("price", flat=True).first()
    if last is not None:
        return Reference(last, ReferenceSource.FALLBACK)
    return Reference(None, ReferenceSource.NONE)


def real_discount_percent(reference: Decimal, promo_price: Decimal) -> Decimal:
    return ((reference - promo_price) / reference * HUNDRED).quantize(FEN, rounding=ROUND_HALF_UP)


def check_item(item: PromotionItem) -> ItemCheck:
    promotion = item.promotion
    festival = promotion.festival
    reference = reference_price(
        item.product_id, starts_at=promotion.starts_at, lookback_days=festival.price_lookback_days
    )
    reasons: list[str] = []
    status = CheckStatus.PASS
    discount = None
    if item.promo_price is None or item.promo_price <= 0:
        status = CheckStatus.FAIL
        reasons.append(_("The promotional price must be greater than zero."))
    if reference.price is None:
        if status != CheckStatus.FAIL:
            status = CheckStatus.WARNING
        reasons.append(_("No price was recorded before the promotion starts, so the discount cannot be checked."))
    else:
        if reference.source == ReferenceSource.FALLBACK:
            status = CheckStatus.WARNING if status == CheckStatus.PASS else status
            reasons.append(
                _("No price in the %(days)d days before the start; the last earlier price ¥%(price)s is used.")
                % {"days": festival.price_lookback_days, "price": reference.price}
            )
        if item.promo_price and item.promo_price > 0:
            discount = real_discount_percent(reference.price, item.promo_price)
            if discount < festival.min_discount_percent:
                status = CheckStatus.FAIL
                reasons.append(
                    _(
                        "¥%(promo)s is only %(discount)s%% below the reference price ¥%(reference)s; at least %(min)s%% is required."
                    )
                    % {
                        "promo": item.promo_price,
                        "discount": discount,
                        "reference": reference.price,
                        "min": festival.min_discount_percent,
                    }
                )
    return ItemCheck(item, reference, discount, status, reasons)


def refresh_item_checks(promotion, *, now=None) -> list[ItemCheck]:
    """Recompute and store the check of every item of ``promotion``."""
    now = now or timezone.now()
    items = list(promotion.items.select_related("product", "promotion__festival"))
    checks = [check_item(item) for item in items]
    for check in checks:
        check.item.check_status = check.status
        check.item.reference_price = check.reference.price
        check.item.reference_source = check.reference.source
        check.item.real_discount_percent = check.real_discount_percent
        check.item.check_reasons = check.reasons
        check.item.checked_at = now
    PromotionItem.objects.bulk_update(
        items,
        ["check_status", "reference_price", "reference_source", "real_discount_percent", "check_reasons", "checked_at"],
    )
    return checks
