"""The evidence frozen with a report: what the honest-price engine knows about
the item at the moment of filing, as plain JSON, and the finding it suggests.

The snapshot is computed once (``snapshot``) and stored; nothing reads the
price history for a report again, so later price edits cannot change it.
"""

from __future__ import annotations

from decimal import Decimal

from merchants.models import PricePoint
from promotions import pricing
from promotions.models import CheckStatus, ReferenceSource

from .models import Finding, ReportReason

# At most this many price points are kept (the newest), so a product with a
# price recorded every minute does not make a megabyte of JSON.
MAX_POINTS = 200


def _money(value) -> str | None:
    return None if value is None else str(pricing.to_fen(value))


def snapshot(item, *, seen_price: Decimal, now) -> dict:
    """Everything the association needs to judge a report about ``item``."""
    promotion = item.promotion
    festival = promotion.festival
    lookback_start, start = pricing.lookback_window(promotion.starts_at, festival.price_lookback_days)
    raise_start = pricing.raise_window_start(
        promotion.starts_at, lookback_days=festival.price_lookback_days, raise_days=festival.raise_lookback_days
    )
    check = pricing.check_item(item)
    points = list(
        PricePoint.objects.filter(product_id=item.product_id, recorded_at__gte=raise_start, recorded_at__lte=now)
        .order_by("-recorded_at")
        .values_list("recorded_at", "price")[:MAX_POINTS]
    )
    points.reverse()
    declared = item.promo_price
    seen = pricing.to_fen(seen_price)
    matches = declared is not None and abs(seen - pricing.to_fen(declared)) <= pricing.ONE_FEN
    return {
        "taken_at": now.isoformat(),
        "promotion": {
            "id": promotion.pk,
            "title": promotion.title,
            "kind": promotion.kind,
            "status": promotion.status,
            "starts_at": promotion.starts_at.isoformat(),
            "ends_at": promotion.ends_at.isoformat(),
        },
        "item": {"id": item.pk, "product": item.product.name, "sku": item.product.sku},
        "lookback_days": festival.price_lookback_days,
        "raise_days": festival.raise_lookback_days,
        "windows": {
            "raise_start": raise_start.isoformat(),
            "lookback_start": lookback_start.isoformat(),
            "start": start.isoformat(),
        },
        "price_points": [
            {
                "at": at.isoformat(),
                "price": _money(price),
                "window": "lookback" if lookback_start <= at < start else ("raise" if at < start else "after_start"),
            }
            for at, price in points
        ],
        "reference_price": _money(check.reference.price),
        "reference_source": check.reference.source,
        "earlier_level": _money(check.earlier_level),
        "raised": check.raised,
        "real_discount_percent": None if check.real_discount_percent is None else str(check.real_discount_percent),
        "check_status": check.status,
        "check_reasons": [str(reason) for reason in check.reasons],
        "declared_price": _money(declared),
        "seen_price": _money(seen),
        "seen_matches_declared": matches,
    }


def propose_finding(evidence: dict, reason: str) -> str:
    """Supported, contradicted or not decidable from the records (a suggestion; people decide)."""
    seen = Decimal(evidence["seen_price"])
    declared = Decimal(evidence["declared_price"]) if evidence.get("declared_price") else None
    if declared is not None and seen > declared + pricing.ONE_FEN:
        return Finding.SUPPORTED  # consumers paid more than the declared promotional price
    if reason in (ReportReason.NOT_HIGHER_BEFORE, ReportReason.RAISED_BEFORE):
        if evidence["raised"] or evidence["check_status"] == CheckStatus.FAIL:
            return Finding.SUPPORTED
        if evidence["reference_source"] == ReferenceSource.NONE:
            return Finding.UNDECIDABLE
        return Finding.CONTRADICTED
    if reason == ReportReason.CHECKOUT_DIFFERS and declared is not None:
        return Finding.CONTRADICTED  # the seen price is the declared one (or lower)
    if evidence["raised"]:
        return Finding.SUPPORTED  # the history shows a raise-then-cut whatever the reason given
    return Finding.UNDECIDABLE
