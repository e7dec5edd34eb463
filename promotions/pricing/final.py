"""The final price (到手价): what a consumer really pays once the offers are stacked.

``compute_final_price`` is the arithmetic (pure, on plain ``Offer`` values);
``final_price`` finds the promotions that apply to a product at a moment and
the price they start from (``history.last_price_before``), then stacks them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from festival.models import StackingStep, default_stackable_kinds, default_stacking_order

from ..models import PromotionItem, PromotionKind
from .history import last_price_before, price_in_effect
from .money import FEN, HUNDRED, ONE_FEN, PricingError, format_percent, positive_fen, to_fen
from .rules import BINDING_STATUSES

# Which stacking step each promotion kind takes. Flash sales and livestream
# sessions sell the item at its own promotional price; the other kinds are
# defined by their rule (percent, amount, threshold, coupon).
STEP_FOR_KIND = {
    PromotionKind.FLASH_SALE: StackingStep.ITEM_PRICE,
    PromotionKind.LIVESTREAM: StackingStep.ITEM_PRICE,
    PromotionKind.PERCENT_OFF: StackingStep.PERCENT_OFF,
    PromotionKind.AMOUNT_OFF: StackingStep.AMOUNT_OFF,
    PromotionKind.THRESHOLD: StackingStep.THRESHOLD,
    PromotionKind.COUPON: StackingStep.COUPON,
}


@dataclass(frozen=True)
class Offer:
    """One promotion's offer on one product, in the terms the final price needs."""

    kind: str
    title: str = ""
    promotion_id: int | None = None
    # The item's own promotional price: what a flash sale or livestream sells at; for
    # percent off and amount off the merchant's commitment for the item (see _after_offer).
    item_price: Decimal | None = None
    percent_off: Decimal | None = None
    amount_off: Decimal | None = None  # amount off, or the "get Y off" of a threshold
    threshold: Decimal | None = None  # threshold "spend X", or a coupon's minimum spend
    coupon_value: Decimal | None = None

    @property
    def step(self) -> str:
        return STEP_FOR_KIND[self.kind]

    @classmethod
    def for_item(cls, item: PromotionItem) -> Offer:
        promotion = item.promotion
        return cls(
            kind=promotion.kind,
            title=promotion.title,
            promotion_id=promotion.pk,
            item_price=item.promo_price,
            percent_off=promotion.percent_off,
            amount_off=promotion.amount_off,
            threshold=promotion.threshold_amount,
            coupon_value=promotion.coupon_value,
        )


@dataclass(frozen=True)
class PriceStep:
    step: str
    label: str
    before: Decimal
    after: Decimal
    applied: bool = True
    note: str = ""
    promotion_id: int | None = None

    @property
    def saving(self) -> Decimal:
        return self.before - self.after


@dataclass(frozen=True)
class FinalPrice:
    undiscounted: Decimal
    final: Decimal
    steps: list[PriceStep]

    @property
    def saving(self) -> Decimal:
        return self.undiscounted - self.final

    @property
    def discount_percent(self) -> Decimal:
        return (self.saving / self.undiscounted * HUNDRED).quantize(FEN, rounding=ROUND_HALF_UP)


def _after_offer(offer: Offer, amount: Decimal, explain: bool = True) -> tuple[Decimal, str, str]:
    """(amount after, label, note) of one offer applied to ``amount``; never below one fen, never above ``amount``.

    With ``explain=False`` the label and note are left empty (not translated nor
    formatted): the amount alone, for checks that need only the arithmetic."""
    title = (offer.title or PromotionKind(offer.kind).label) if explain else ""
    note = ""
    if offer.step == StackingStep.ITEM_PRICE:
        price = positive_fen(offer.item_price, what=gettext_lazy("The promotional price"))
        label = _("%(title)s: promotional price ¥%(price)s") % {"title": title, "price": price} if explain else ""
        after = min(amount, price)
        if price >= amount:
            note = _("Not lower than the price so far.") if explain else ""
    elif offer.step == StackingStep.PERCENT_OFF:
        percent = Decimal(offer.percent_off or 0)
        if not 0 < percent < 100:
            raise PricingError(_("A percentage off must be between 0 and 100."), code="percent")
        label = (
            _("%(title)s: %(percent)s%% off") % {"title": title, "percent": format_percent(percent)} if explain else ""
        )
        after = to_fen(amount * (HUNDRED - percent) / HUNDRED)
    elif offer.step == StackingStep.AMOUNT_OFF:
        off = positive_fen(offer.amount_off, what=gettext_lazy("The amount off"))
        label = _("%(title)s: ¥%(amount)s off") % {"title": title, "amount": off} if explain else ""
        after = amount - off
    elif offer.step == StackingStep.THRESHOLD:
        threshold = positive_fen(offer.threshold, what=gettext_lazy("The spend threshold"))
        off = positive_fen(offer.amount_off, what=gettext_lazy("The amount off"))
        label = (
            _("%(title)s: ¥%(off)s off every ¥%(threshold)s") % {"title": title, "off": off, "threshold": threshold}
            if explain
            else ""
        )
        # 满减 counts every full multiple of the threshold ("满200减30": ¥30 off every ¥200),
        # measured on what the earlier steps left.
        times = int((amount / threshold).to_integral_value(rounding=ROUND_DOWN))
        after = amount - off * times
        if times == 0:
            note = _("Spend threshold ¥%(threshold)s not reached.") % {"threshold": threshold} if explain else ""
        elif times > 1:
            note = _("Applied %(times)d times.") % {"times": times} if explain else ""
    elif offer.step == StackingStep.COUPON:
        value = positive_fen(offer.coupon_value, what=gettext_lazy("The coupon's face value"))
        threshold = to_fen(offer.threshold) if offer.threshold is not None else None
        if not explain:
            label = ""
        elif threshold is not None:
            label = _("%(title)s: coupon ¥%(value)s for a spend of ¥%(threshold)s") % {
                "title": title,
                "value": value,
                "threshold": threshold,
            }
        else:
            label = _("%(title)s: coupon ¥%(value)s") % {"title": title, "value": value} if explain else ""
        if threshold is not None and amount < threshold:
            after = amount
            note = _("Spend threshold ¥%(threshold)s not reached.") % {"threshold": threshold} if explain else ""
        else:
            after = amount - value
    else:  # pragma: no cover - STEP_FOR_KIND covers every kind
        raise PricingError(_("Unknown promotion kind."), code="kind")
    if after < ONE_FEN:
        # A payment is at least one fen: offers that would wipe out the price are
        # a configuration mistake, never a free (or negative-priced) item.
        after = ONE_FEN
        note = _("Limited to ¥0.01: the price can never reach zero.") if explain else ""
    if offer.step in (StackingStep.PERCENT_OFF, StackingStep.AMOUNT_OFF) and offer.item_price is not None:
        # The item's own promotional price is the merchant's commitment: a price lower
        # than the terms give is what the item sells for (and what its badge and real
        # discount show); a higher one changes nothing, the terms give more.
        own = positive_fen(offer.item_price, what=gettext_lazy("The promotional price"))
        if own < after:
            if explain:
                note = _("The item's own promotional price ¥%(price)s is lower than the terms give (¥%(given)s).") % {
                    "price": own,
                    "given": after,
                }
            after = own
    return min(after, amount), label, note


def compute_final_price(
    undiscounted,
    offers: Iterable[Offer],
    *,
    stacking_order: Sequence[str] | None = None,
    stackable_kinds: Iterable[str] | None = None,
    explain: bool = True,
) -> FinalPrice:
    """What a consumer really pays for one unit: the offers combined step by step.

    - Steps run in ``stacking_order`` (the festival's setting; default: item
      promotional price, percent off, amount off, threshold 满减, coupon —
      price cuts on the item first, then basket-level offers, so thresholds and
      coupon minimums are measured on the already discounted amount, as shops do).
    - Each step applies to the amount the step before left. A threshold 满减
      takes its amount off once per *full* multiple of the threshold; a coupon
      applies once when its minimum spend is reached.
    - Within one step, offers of kinds in ``stackable_kinds`` all apply, one
      after the other (in the given order); of the others only the best one
      applies (they do not combine, and the consumer gets the lower price).
    - A step never raises the amount and never takes it below ¥0.01 (floored
      and noted): the result is always > 0 and ≤ ``undiscounted``.
    - A percent-off or amount-off offer with an ``item_price`` (``Offer.for_item``:
      the item's declared promotional price) never leaves more than that price:
      a merchant who declared a deeper price than the terms give sells the item
      at the declared price (noted on the step).
    - Every amount is rounded half-up to the fen after each step.
    Steps that did not change the amount (threshold not reached, a better
    offer chosen) are returned with ``applied=False`` so a UI can explain them.
    With ``explain=False`` the steps' labels and notes are left empty: the same
    amounts without translating and formatting text nobody reads (the checks).
    """
    amount = start = positive_fen(undiscounted, what=gettext_lazy("The undiscounted price"))
    order = list(stacking_order or default_stacking_order())
    stackable = set(default_stackable_kinds() if stackable_kinds is None else stackable_kinds)
    offers = list(offers)
    steps: list[PriceStep] = []
    for step in order:
        group = [o for o in offers if o.step == step]
        exclusive = [o for o in group if o.kind not in stackable]
        if exclusive:
            outcomes = [(o, *_after_offer(o, amount, explain)) for o in exclusive]
            best = min(outcomes, key=lambda outcome: outcome[1])
            for offer, _after, label, _note in outcomes:
                if offer is best[0]:
                    continue
                steps.append(
                    PriceStep(
                        step,
                        label,
                        amount,
                        amount,
                        applied=False,
                        note=_("Does not combine with a better offer of the same kind.") if explain else "",
                        promotion_id=offer.promotion_id,
                    )
                )
            offer, after, label, note = best
            steps.append(PriceStep(step, label, amount, after, after < amount, note, offer.promotion_id))
            amount = after
        for offer in (o for o in group if o.kind in stackable):
            after, label, note = _after_offer(offer, amount, explain)
            steps.append(PriceStep(step, label, amount, after, after < amount, note, offer.promotion_id))
            amount = after
    return FinalPrice(undiscounted=start, final=amount, steps=steps)


def applying_items(product_id, *, at: datetime) -> QuerySet:
    """The product's items in approved or live promotions running at ``at``."""
    return (
        PromotionItem.objects.filter(
            product_id=product_id,
            promotion__status__in=BINDING_STATUSES,
            promotion__starts_at__lte=at,
            promotion__ends_at__gt=at,
        )
        .select_related("promotion__festival")
        .order_by("promotion__starts_at", "promotion_id")
    )


def final_price(product, *, at: datetime | None = None, undiscounted=None) -> FinalPrice | None:
    """The final price (到手价) of ``product`` at ``at`` with every promotion that applies then.

    The undiscounted price is the price recorded last before the earliest
    applying promotion started (prices recorded during a promotion may already
    include it), or the price in effect at ``at`` when none applies. Returns
    None when the product has no price to start from. The stacking order and
    stackable kinds are those of the festival of the earliest applying promotion.
    """
    at = at or timezone.now()
    product_id = getattr(product, "pk", product)
    items = list(applying_items(product_id, at=at))
    if undiscounted is None:
        if items:
            undiscounted = last_price_before(product_id, items[0].promotion.starts_at)
        if undiscounted is None:
            undiscounted = price_in_effect(product_id, at=at)
        if undiscounted is None:
            return None
    festival = items[0].promotion.festival if items else None
    return compute_final_price(
        undiscounted,
        [Offer.for_item(item) for item in items],
        stacking_order=festival.stacking_order if festival else None,
        stackable_kinds=festival.stackable_kinds if festival else None,
    )
