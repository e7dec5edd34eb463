"""The honest price engine: reference prices, real discounts, trick detection and final prices.

One module used by the admin, the merchant forms, the API and the public pages.
The rules, and the decisions behind them (see also docs/honest-pricing.md):

**Lookback window.** The reference price of an item is the lowest price
*recorded* in ``[starts_at - price_lookback_days × 24 h, starts_at)``: the
window includes a price recorded exactly at its first instant and excludes a
price recorded at the start itself (that is the promotion's own price, not a
price "before" it). Windows are measured in exact days back from the start
moment, on stored UTC instants, so a price recorded at 23:30 Beijing time the
evening before a midnight start is inside the window however the server's
clock is set; China has no daylight saving, so for the usual promotion that
starts at 00:00 festival time these are exactly the N calendar days before.

**Fallback and no history.** With no price recorded in the window, the last
price recorded before the window is used and marked ``fallback`` (the rule of
China's Provisional Provisions on Regulating Promotional Activities); with no
price at all before the start, the source is ``none`` and the discount cannot
be checked. Both are warnings for the reviewer, not refusals.

**Real discount and the minimum.** ``(reference - promo) / reference × 100``,
shown rounded half-up to 0.01 %. The minimum-discount rule is decided on exact
Decimal arithmetic (``promo × 100 ≤ reference × (100 - min)``), so rounding
for display can never turn a failing item into a passing one. A promotional
price equal to (or above) the reference is never a discount, even when the
festival's minimum is 0 %. Money is Decimal rounded half-up to the fen.

**Declared price against what consumers pay.** For percent-off and amount-off
promotions, the declared promotional price (used by the rules above, the API and
the public badge) is compared with what the promotion really gives off the last
price before the start (``price_the_promotion_gives``): declared lower by more
than a fen fails (the badge would advertise a discount nobody gets), declared
higher is a warning. Without a price before the start there is nothing to compare.

**Raise-then-cut.** The *earlier level* of an item is the lowest price in
effect in the part of the raise window (``max(raise_lookback_days,
price_lookback_days)`` days before the start) that lies before the lookback
window: the last price recorded before the raise window (still in effect when
it opened) and every price recorded after it up to the lookback window. When
the reference price is more than ``raise_tolerance_percent`` above that level,
every price the discount is measured against was raised shortly before the
promotion: the classic "raise the list price, then announce a discount". A
raise entirely inside the lookback window does not inflate the reference (the
lower earlier price is in the window too) and is not flagged. A warning.

**Overlap.** Another approved or live promotion of the same merchant that
covers the same product in an overlapping time (half-open intervals: one
ending exactly when the other starts does not overlap) is flagged, unless
both kinds are in the festival's ``stackable_kinds``. A warning.

**Final price (到手价).** See :func:`compute_final_price`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation

from django.db import connections, transaction
from django.db.models import (
    DateTimeField,
    DecimalField,
    F,
    Func,
    Min,
    OuterRef,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from core.workflow import DomainError
from festival.models import StackingStep, default_stackable_kinds, default_stacking_order
from merchants.models import PricePoint

from .models import CheckStatus, Promotion, PromotionItem, PromotionKind, PromotionStatus, ReferenceSource

FEN = Decimal("0.01")
ONE_FEN = FEN
HUNDRED = Decimal("100")
ONE_DAY = timedelta(days=1)

# Promotions whose item checks follow price and date changes (before a decision).
RECHECKED_STATUSES = (PromotionStatus.DRAFT, PromotionStatus.CHANGES_REQUESTED, PromotionStatus.SUBMITTED)
# Promotions that bind the merchant: they count for overlaps and final prices.
BINDING_STATUSES = (PromotionStatus.APPROVED, PromotionStatus.LIVE)
# Items are checked in chunks, so memory stays flat however many are refreshed.
CHECK_CHUNK_SIZE = 2000
LOWEST_STORED_DISCOUNT = Decimal("-99999.99")
# A declared promotional price may differ from what the promotion really gives by
# one fen (a merchant who rounded the other way); more is a wrong price.
DECLARED_PRICE_TOLERANCE = Decimal("0.01")


class PricingError(DomainError):
    """Bad input to the price engine (zero, negative or non-decimal money, bad percentages)."""


# Money ---------------------------------------------------------------------------


def to_fen(value) -> Decimal:
    """``value`` as CNY rounded half-up to the fen. Floats are refused: money is never float."""
    if isinstance(value, float | bool):
        raise PricingError(_("Amounts of money must be exact decimals, not floating-point numbers."), code="float")
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise PricingError(_("“%(value)s” is not an amount of money.") % {"value": value}, code="invalid") from None
    if not amount.is_finite():
        raise PricingError(_("“%(value)s” is not an amount of money.") % {"value": value}, code="invalid")
    return amount.quantize(FEN, rounding=ROUND_HALF_UP)


def positive_fen(value, *, what=None) -> Decimal:
    """``to_fen`` that refuses zero and negative amounts."""
    amount = to_fen(value)
    if amount <= 0:
        raise PricingError(
            _("%(what)s must be greater than zero.") % {"what": what or _("The price")}, code="not_positive"
        )
    return amount


def format_percent(value: Decimal) -> str:
    """20.00 → "20", 12.50 → "12.5" (for messages; stored values keep two places)."""
    text = f"{value.quantize(FEN, rounding=ROUND_HALF_UP):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


# Results ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Reference:
    price: Decimal | None
    source: str

    def __post_init__(self):
        # Aggregates come back from SQLite without their two places (Decimal("150")).
        if self.price is not None and self.price.as_tuple().exponent != -2:
            object.__setattr__(self, "price", to_fen(self.price))


@dataclass(frozen=True)
class PriceHistory:
    """What an item's checks need from its product's price history."""

    reference: Reference
    earlier_level: Decimal | None = None  # for raise-then-cut; None when not computed or no earlier price
    price_at_start: Decimal | None = None  # the last price recorded before the start


@dataclass(frozen=True)
class Overlap:
    promotion_id: int
    title: str
    kind: str
    starts_at: datetime
    ends_at: datetime


@dataclass
class ItemCheck:
    item: PromotionItem
    reference: Reference
    real_discount_percent: Decimal | None
    status: str
    reasons: list[str] = field(default_factory=list)
    earlier_level: Decimal | None = None
    raised: bool = False
    overlaps: list[Overlap] = field(default_factory=list)


# Windows -------------------------------------------------------------------------


def lookback_window(starts_at: datetime, lookback_days: int) -> tuple[datetime, datetime]:
    """``[start, end)`` of the lookback window: inclusive start, exclusive end (the promotion start)."""
    if not lookback_days or lookback_days < 1:
        raise PricingError(_("The lookback must be at least one day."), code="lookback")
    # In UTC, so a day is always 24 hours, as in the database (sessions run in UTC).
    starts_at = starts_at.astimezone(UTC)
    return starts_at - lookback_days * ONE_DAY, starts_at


def raise_window_start(starts_at: datetime, *, lookback_days: int, raise_days: int) -> datetime:
    return starts_at.astimezone(UTC) - max(raise_days or 0, lookback_days) * ONE_DAY


# One product --------------------------------------------------------------------------


def reference_price(product_id, *, starts_at, lookback_days) -> Reference:
    """Lowest price in the ``lookback_days`` before ``starts_at``; else the last price before; else none."""
    window_start, window_end = lookback_window(starts_at, lookback_days)
    prices = PricePoint.objects.filter(product_id=product_id)
    lowest = prices.filter(recorded_at__gte=window_start, recorded_at__lt=window_end).aggregate(lowest=Min("price"))[
        "lowest"
    ]
    if lowest is not None:
        return Reference(lowest, ReferenceSource.LOOKBACK)
    last = prices.filter(recorded_at__lt=window_start).order_by("-recorded_at").values_list("price", flat=True).first()
    if last is not None:
        return Reference(last, ReferenceSource.FALLBACK)
    return Reference(None, ReferenceSource.NONE)


def earlier_price_level(product_id, *, starts_at, lookback_days, raise_days) -> Decimal | None:
    """The lowest price in effect in the raise window before the lookback window (see the module docstring)."""
    window_start, _end = lookback_window(starts_at, lookback_days)
    raise_start = raise_window_start(starts_at, lookback_days=lookback_days, raise_days=raise_days)
    prices = PricePoint.objects.filter(product_id=product_id)
    carried_in = (
        prices.filter(recorded_at__lt=raise_start).order_by("-recorded_at").values_list("price", flat=True).first()
    )
    lowest_before = prices.filter(recorded_at__gte=raise_start, recorded_at__lt=window_start).aggregate(
        lowest=Min("price")
    )["lowest"]
    return _earlier_level(carried_in, lowest_before)


def last_price_before(product_id, moment: datetime) -> Decimal | None:
    """The last price recorded strictly before ``moment`` (the price a promotion starting then cuts)."""
    return (
        PricePoint.objects.filter(product_id=product_id, recorded_at__lt=moment)
        .order_by("-recorded_at")
        .values_list("price", flat=True)
        .first()
    )


def price_in_effect(product_id, *, at: datetime) -> Decimal | None:
    """The last price recorded at or before ``at``."""
    return (
        PricePoint.objects.filter(product_id=product_id, recorded_at__lte=at)
        .order_by("-recorded_at")
        .values_list("price", flat=True)
        .first()
    )


# Many items at once (database aggregation) -----------------------------------------------


class DaysBefore(Func):
    """``moment - days × 24 h`` in SQL, with ``days`` an integer expression (a festival setting)."""

    output_field = DateTimeField()

    def as_sql(self, compiler, connection, **extra_context):
        if connection.vendor == "postgresql":
            moment, moment_params = compiler.compile(self.source_expressions[0])
            days, days_params = compiler.compile(self.source_expressions[1])
            return f"({moment} - make_interval(days => {days}))", (*moment_params, *days_params)
        if connection.vendor == "sqlite":
            # Django's own SQLite datetime arithmetic (durations in microseconds), so
            # the result compares with stored datetimes exactly, microseconds included.
            moment, moment_params = compiler.compile(self.source_expressions[0])
            days, days_params = compiler.compile(self.source_expressions[1])
            return (
                f"django_format_dtdelta('-', {moment}, ({days}) * 86400000000)",
                (*moment_params, *days_params),
            )
        raise NotImplementedError(f"DaysBefore is not implemented for {connection.vendor}")


def _annotate_windows(items: QuerySet) -> QuerySet:
    return items.annotate(
        pricing_window_start=DaysBefore(F("promotion__starts_at"), F("promotion__festival__price_lookback_days"))
    )


def _lowest_price(points: QuerySet) -> Subquery:
    # MIN as a plain function, not an aggregate, so the subquery has no GROUP BY:
    # exactly the SQL one would write by hand.
    return Subquery(points.values(lowest=Func(F("price"), function="MIN", output_field=DecimalField()))[:1])


def annotate_reference_prices(items: QuerySet) -> QuerySet:
    """Annotate ``pricing_signed_reference`` on a PromotionItem queryset (decode with ``_reference_from_row``).

    ``COALESCE(lowest price in the window, -(last price before the window))``:
    two correlated subqueries served by the (product, recorded_at) index, the
    second evaluated only when the window is empty (PostgreSQL evaluates
    COALESCE arguments lazily). Prices are positive (a database constraint),
    so the sign tells a lookback reference from a fallback without running
    either subquery twice; NULL means no history.
    """
    points = PricePoint.objects.filter(product_id=OuterRef("product_id")).order_by()
    lowest_in_window = _lowest_price(
        points.filter(
            recorded_at__gte=OuterRef("pricing_window_start"), recorded_at__lt=OuterRef("promotion__starts_at")
        )
    )
    negated_last_before_window = Subquery(
        points.filter(recorded_at__lt=OuterRef("pricing_window_start"))
        .order_by("-recorded_at")
        .values(negated=F("price") * Value(Decimal("-1")))[:1]
    )
    return _annotate_windows(items).annotate(
        pricing_signed_reference=Coalesce(lowest_in_window, negated_last_before_window, output_field=DecimalField())
    )


def annotate_earlier_levels(items: QuerySet) -> QuerySet:
    """Annotate ``pricing_lowest_before`` and ``pricing_carried_in`` on an already windowed queryset;
    the raise-then-cut baseline is the lower of the two (see ``_earlier_level``)."""
    points = PricePoint.objects.filter(product_id=OuterRef("product_id")).order_by()
    items = items.annotate(
        pricing_raise_start=DaysBefore(
            F("promotion__starts_at"),
            Greatest(F("promotion__festival__raise_lookback_days"), F("promotion__festival__price_lookback_days")),
        )
    )
    lowest_before_window = _lowest_price(
        points.filter(
            recorded_at__gte=OuterRef("pricing_raise_start"), recorded_at__lt=OuterRef("pricing_window_start")
        )
    )
    carried_in = Subquery(
        points.filter(recorded_at__lt=OuterRef("pricing_raise_start")).order_by("-recorded_at").values("price")[:1]
    )
    return items.annotate(pricing_lowest_before=lowest_before_window, pricing_carried_in=carried_in)


def _reference_from_row(signed_reference) -> Reference:
    if signed_reference is None:
        return Reference(None, ReferenceSource.NONE)
    if signed_reference > 0:
        return Reference(signed_reference, ReferenceSource.LOOKBACK)
    return Reference(-signed_reference, ReferenceSource.FALLBACK)


@contextmanager
def without_jit():
    """Run PostgreSQL queries in this block without JIT compilation.

    The planner costs both COALESCE branches as if always evaluated, so a bulk
    reference query over 100,000 items looks expensive enough to be JIT-compiled
    with inlining and optimisation: measured 1.3 s of compiling for a query
    that runs in under 0.5 s. Only for this transaction; the previous setting
    is restored on leaving. No-op on other databases.
    """
    connection = connections[PricePoint.objects.db]
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic(using=connection.alias):
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('jit')")
            (previous,) = cursor.fetchone()
            cursor.execute("SET LOCAL jit = off")
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config('jit', %s, true)", [previous])


def reference_prices_for_items(items: QuerySet, *, chunk_size=CHECK_CHUNK_SIZE) -> dict[int, Reference]:
    """Every item's reference price, computed by the database in one query (streamed in chunks).

    This is the path ``refresh_item_checks`` and the benchmark use; no price
    point is ever loaded into Python.
    """
    with without_jit():
        rows = (
            annotate_reference_prices(items.order_by())
            .values_list("pk", "pricing_signed_reference")
            .iterator(chunk_size=chunk_size)
        )
        return {pk: _reference_from_row(signed) for pk, signed in rows}


def price_histories_for_items(items: QuerySet) -> dict[int, PriceHistory]:
    """Reference price and raise-then-cut baseline for every item, in one query."""
    last_before_start = Subquery(
        PricePoint.objects.filter(product_id=OuterRef("product_id"), recorded_at__lt=OuterRef("promotion__starts_at"))
        .order_by("-recorded_at")
        .values("price")[:1]
    )
    rows = (
        annotate_earlier_levels(annotate_reference_prices(items.order_by()))
        .annotate(pricing_price_at_start=last_before_start)
        .values_list(
            "pk", "pricing_signed_reference", "pricing_lowest_before", "pricing_carried_in", "pricing_price_at_start"
        )
    )
    with without_jit():
        rows = list(rows)
    return {
        pk: PriceHistory(
            _reference_from_row(signed),
            _earlier_level(lowest_before, carried_in),
            to_fen(at_start) if at_start is not None else None,
        )
        for pk, signed, lowest_before, carried_in, at_start in rows
    }


def _earlier_level(*prices) -> Decimal | None:
    # Two values per item, already aggregated by the database; LEAST() would
    # repeat both subqueries in SQL and treats NULL differently per backend.
    known = [to_fen(p) for p in prices if p is not None]
    return min(known) if known else None


# Overlaps ----------------------------------------------------------------------------------


def _stack(kind_a, kind_b, stackable_kinds) -> bool:
    return kind_a in stackable_kinds and kind_b in stackable_kinds


def overlaps_for_items(items: Sequence[PromotionItem]) -> dict[int | None, list[Overlap]]:
    """For each item (keyed by pk, or None for one unsaved item): the approved or live
    promotions of the same merchant that cover its product at an overlapping time
    and may not stack with the item's promotion. One query for all the items."""
    if not items:
        return {}
    product_ids = {item.product_id for item in items}
    promotions = {item.promotion_id: item.promotion for item in items}
    earliest = min(p.starts_at for p in promotions.values())
    latest = max(p.ends_at for p in promotions.values())
    others = (
        PromotionItem.objects.filter(
            product_id__in=product_ids,
            promotion__merchant_id__in={p.merchant_id for p in promotions.values()},
            promotion__status__in=BINDING_STATUSES,
            promotion__starts_at__lt=latest,
            promotion__ends_at__gt=earliest,
        )
        .values_list(
            "product_id",
            "promotion_id",
            "promotion__merchant_id",
            "promotion__title",
            "promotion__kind",
            "promotion__starts_at",
            "promotion__ends_at",
        )
        .order_by("promotion__starts_at", "promotion_id")
    )
    by_product = defaultdict(list)
    for product_id, promotion_id, merchant_id, title, kind, starts_at, ends_at in others:
        by_product[product_id].append((merchant_id, Overlap(promotion_id, title, kind, starts_at, ends_at)))
    result = {}
    for item in items:
        promotion = item.promotion
        stackable = promotion.festival.stackable_kinds or []
        result[item.pk] = [
            other
            for merchant_id, other in by_product.get(item.product_id, [])
            if merchant_id == promotion.merchant_id
            and other.promotion_id != promotion.pk
            and other.starts_at < promotion.ends_at
            and other.ends_at > promotion.starts_at
            and not _stack(promotion.kind, other.kind, stackable)
        ]
    return result


# The rules -------------------------------------------------------------------------------


def real_discount_percent(reference: Decimal, promo_price: Decimal) -> Decimal:
    """``(reference - promo) / reference`` in percent, rounded half-up to 0.01 (display value)."""
    reference = positive_fen(reference, what=_("The reference price"))
    promo_price = positive_fen(promo_price, what=_("The promotional price"))
    return ((reference - promo_price) / reference * HUNDRED).quantize(FEN, rounding=ROUND_HALF_UP)


def meets_min_discount(reference: Decimal, promo_price: Decimal, min_discount_percent: Decimal) -> bool:
    """Exact test (no rounding): strictly below the reference, and at least the minimum below it."""
    return promo_price < reference and promo_price * HUNDRED <= reference * (HUNDRED - Decimal(min_discount_percent))


def is_raised(reference: Decimal | None, earlier_level: Decimal | None, tolerance_percent) -> bool:
    if reference is None or earlier_level is None:
        return False
    return reference * HUNDRED > earlier_level * (HUNDRED + Decimal(tolerance_percent))


def _local(festival, moment):
    return f"{festival.local(moment):%Y-%m-%d %H:%M}"


def evaluate_item(
    item: PromotionItem, history: PriceHistory, overlaps: Iterable[Overlap] = (), *, festival=None
) -> ItemCheck:
    """Apply every rule to one item; pure (no queries beyond what ``item`` already holds)."""
    festival = festival or item.promotion.festival
    reference = history.reference
    failures: list[str] = []
    warnings: list[str] = []
    discount = None
    try:
        promo_price = positive_fen(item.promo_price, what=_("The promotional price"))
    except PricingError:  # missing, zero, negative, or less than a fen once rounded
        promo_price = None
        failures.append(_("The promotional price must be greater than zero."))
    price_ok = promo_price is not None

    if reference.price is None:
        warnings.append(_("No price was recorded before the promotion starts, so the discount cannot be checked."))
    else:
        if reference.source == ReferenceSource.FALLBACK:
            warnings.append(
                ngettext(
                    "No price was recorded in the %(days)d day before the start; the last earlier price ¥%(price)s is used.",
                    "No price was recorded in the %(days)d days before the start; the last earlier price ¥%(price)s is used.",
                    festival.price_lookback_days,
                )
                % {"days": festival.price_lookback_days, "price": reference.price}
            )
        if price_ok:
            # Floored to what PromotionItem.real_discount_percent can hold (7 digits): a
            # price far above the reference fails either way, and its reason gives the prices.
            discount = max(real_discount_percent(reference.price, promo_price), LOWEST_STORED_DISCOUNT)
            if promo_price >= reference.price:
                failures.append(
                    _("¥%(promo)s is not below the reference price ¥%(reference)s, so it is not a discount.")
                    % {"promo": promo_price, "reference": reference.price}
                )
            elif not meets_min_discount(reference.price, promo_price, festival.min_discount_percent):
                failures.append(
                    _(
                        "¥%(promo)s is only %(discount)s%% below the reference price ¥%(reference)s; at least %(min)s%% is required."
                    )
                    % {
                        "promo": promo_price,
                        "discount": discount,
                        "reference": reference.price,
                        "min": format_percent(Decimal(festival.min_discount_percent)),
                    }
                )

    if price_ok and history.price_at_start is not None:
        declared = declared_price_reasons(item, promo_price, history.price_at_start)
        failures += declared.failures
        warnings += declared.warnings

    raised = is_raised(reference.price, history.earlier_level, festival.raise_tolerance_percent)
    if raised:
        rise = ((reference.price - history.earlier_level) / history.earlier_level * HUNDRED).quantize(
            FEN, rounding=ROUND_HALF_UP
        )
        warnings.append(
            _(
                "Possible raise-then-cut: the reference price ¥%(reference)s is %(rise)s%% above the earlier "
                "level ¥%(earlier)s in the %(days)d days before the start (tolerance %(tolerance)s%%)."
            )
            % {
                "reference": reference.price,
                "rise": rise,
                "earlier": history.earlier_level,
                "days": max(festival.raise_lookback_days, festival.price_lookback_days),
                "tolerance": format_percent(Decimal(festival.raise_tolerance_percent)),
            }
        )

    overlaps = list(overlaps)
    for other in overlaps:
        warnings.append(
            _("Overlaps “%(title)s” (%(kind)s, %(start)s to %(end)s), which covers the same product.")
            % {
                "title": other.title,
                "kind": PromotionKind(other.kind).label if other.kind in PromotionKind.values else other.kind,
                "start": _local(festival, other.starts_at),
                "end": _local(festival, other.ends_at),
            }
        )

    if failures:
        status = CheckStatus.FAIL
    elif warnings:
        status = CheckStatus.WARNING
    else:
        status = CheckStatus.PASS
    return ItemCheck(
        item=item,
        reference=reference,
        real_discount_percent=discount,
        status=status,
        reasons=failures + warnings,
        earlier_level=history.earlier_level,
        raised=raised,
        overlaps=overlaps,
    )


def price_the_promotion_gives(item: PromotionItem, price_before_start) -> Decimal | None:
    """What a percent-off or amount-off promotion really makes of the price before it
    starts (the same step as the final price, rounded half-up to the fen); None for
    other kinds, without a price, or for an incomplete draft.

    The stored check compares it with the item's declared promotional price (see
    ``declared_price_reasons``); ``PriceHistory.price_at_start`` carries the price
    it needs for every item."""
    promotion = item.promotion
    if price_before_start is None or promotion.kind not in (PromotionKind.PERCENT_OFF, PromotionKind.AMOUNT_OFF):
        return None
    try:
        return compute_final_price(price_before_start, [Offer.for_item(item)]).final
    except PricingError:  # an incomplete draft (no percentage yet): nothing to compare
        return None


@dataclass(frozen=True)
class DeclaredPriceReasons:
    failures: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def declared_price_reasons(item: PromotionItem, promo_price: Decimal, price_before_start) -> DeclaredPriceReasons:
    """For percent-off and amount-off promotions: does the declared promotional price
    (the one the check, the API and the public badge use) match what consumers
    really pay, the percentage or amount off the last price before the start?

    Declared lower than what consumers pay (by more than DECLARED_PRICE_TOLERANCE)
    fails: the badge would advertise a discount consumers never get, the trick
    pricing the festival forbids. Declared higher is a warning: consumers pay less
    than advertised, which deceives nobody and makes no rule easier to pass, but the
    published price is wrong and the reviewer should have it corrected."""
    given = price_the_promotion_gives(item, price_before_start)
    if given is None:
        return DeclaredPriceReasons()
    promotion = item.promotion
    if promotion.kind == PromotionKind.PERCENT_OFF:
        offer = pgettext("taken off a price", "%(percent)s%% off") % {
            "percent": format_percent(Decimal(promotion.percent_off))
        }
    else:
        offer = pgettext("taken off a price", "¥%(amount)s off") % {"amount": to_fen(promotion.amount_off)}
    values = {"promo": promo_price, "offer": offer, "before": to_fen(price_before_start), "given": given}
    if given - promo_price > DECLARED_PRICE_TOLERANCE:
        return DeclaredPriceReasons(
            failures=[
                _(
                    "The promotion advertises ¥%(promo)s, but %(offer)s the price before it starts "
                    "(¥%(before)s) is ¥%(given)s: declare ¥%(given)s."
                )
                % values
            ]
        )
    if promo_price - given > DECLARED_PRICE_TOLERANCE:
        return DeclaredPriceReasons(
            warnings=[
                _(
                    "The promotion advertises ¥%(promo)s, but %(offer)s the price before it starts "
                    "(¥%(before)s) is ¥%(given)s: consumers pay less than advertised, so the advertised "
                    "discount understates the real one; declare ¥%(given)s."
                )
                % values
            ]
        )
    return DeclaredPriceReasons()


def check_item(item: PromotionItem) -> ItemCheck:
    """Check one (possibly unsaved) item, e.g. to preview a form; nothing is stored."""
    promotion = item.promotion
    festival = promotion.festival
    history = PriceHistory(
        reference_price(item.product_id, starts_at=promotion.starts_at, lookback_days=festival.price_lookback_days),
        earlier_price_level(
            item.product_id,
            starts_at=promotion.starts_at,
            lookback_days=festival.price_lookback_days,
            raise_days=festival.raise_lookback_days,
        ),
        last_price_before(item.product_id, promotion.starts_at),
    )
    overlaps = overlaps_for_items([item]).get(item.pk, [])
    return evaluate_item(item, history, overlaps, festival=festival)


def iter_item_checks(items: QuerySet) -> Iterator[list[ItemCheck]]:
    """Check many stored items, one chunk of CHECK_CHUNK_SIZE at a time: four
    queries per chunk (items, their promotions, price histories, overlaps),
    and only one chunk in memory."""
    ids = list(items.order_by("pk").values_list("pk", flat=True))
    for offset in range(0, len(ids), CHECK_CHUNK_SIZE):
        chunk = PromotionItem.objects.filter(pk__in=ids[offset : offset + CHECK_CHUNK_SIZE])
        loaded = list(chunk.select_related("product").order_by("pk"))
        # One instance per promotion, not one per item (select_related would copy it per row).
        promotions = Promotion.objects.select_related("festival").in_bulk({item.promotion_id for item in loaded})
        for item in loaded:
            item.promotion = promotions[item.promotion_id]
        histories = price_histories_for_items(chunk)
        overlaps = overlaps_for_items(loaded)
        yield [evaluate_item(item, histories[item.pk], overlaps.get(item.pk, ())) for item in loaded]


def check_items(items: QuerySet) -> list[ItemCheck]:
    """Check many stored items (nothing is stored); see ``iter_item_checks``."""
    return [check for chunk in iter_item_checks(items) for check in chunk]


def _store(checks: list[ItemCheck], now) -> None:
    for check in checks:
        item = check.item
        item.check_status = check.status
        item.reference_price = check.reference.price
        item.reference_source = check.reference.source
        item.real_discount_percent = check.real_discount_percent
        item.check_reasons = check.reasons
        item.checked_at = now
    PromotionItem.objects.bulk_update(
        [c.item for c in checks],
        ["check_status", "reference_price", "reference_source", "real_discount_percent", "check_reasons", "checked_at"],
        batch_size=CHECK_CHUNK_SIZE,
    )


@transaction.atomic
def refresh_checks_for_items(items: QuerySet, *, now=None, keep=True) -> list[ItemCheck]:
    """Recompute and store the check of every item in ``items``, chunk by chunk.

    Returns the checks; with ``keep=False`` (large refreshes) returns an empty
    list and holds only one chunk in memory at a time.
    """
    now = now or timezone.now()
    kept: list[ItemCheck] = []
    for chunk in iter_item_checks(items):
        _store(chunk, now)
        if keep:
            kept.extend(chunk)
    return kept


def refresh_item_checks(promotion, *, now=None) -> list[ItemCheck]:
    """Recompute and store the check of every item of ``promotion``."""
    return refresh_checks_for_items(PromotionItem.objects.filter(promotion_id=promotion.pk), now=now)


def refresh_checks_for_products(product_ids: Iterable[int], *, now=None) -> int:
    """New prices were recorded: re-check the items of these products in promotions
    not yet decided. Returns how many items were re-checked."""
    items = PromotionItem.objects.filter(product_id__in=list(product_ids), promotion__status__in=RECHECKED_STATUSES)
    count = items.count()
    refresh_checks_for_items(items, now=now, keep=False)
    return count


# Final price (到手价) ---------------------------------------------------------------------

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
    item_price: Decimal | None = None  # flash sale / livestream
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


def _after_offer(offer: Offer, amount: Decimal) -> tuple[Decimal, str, str]:
    """(amount after, label, note) of one offer applied to ``amount``; never below one fen, never above ``amount``."""
    title = offer.title or PromotionKind(offer.kind).label
    note = ""
    if offer.step == StackingStep.ITEM_PRICE:
        price = positive_fen(offer.item_price, what=_("The promotional price"))
        label = _("%(title)s: promotional price ¥%(price)s") % {"title": title, "price": price}
        after = min(amount, price)
        if price >= amount:
            note = _("Not lower than the price so far.")
    elif offer.step == StackingStep.PERCENT_OFF:
        percent = Decimal(offer.percent_off or 0)
        if not 0 < percent < 100:
            raise PricingError(_("A percentage off must be between 0 and 100."), code="percent")
        label = _("%(title)s: %(percent)s%% off") % {"title": title, "percent": format_percent(percent)}
        after = to_fen(amount * (HUNDRED - percent) / HUNDRED)
    elif offer.step == StackingStep.AMOUNT_OFF:
        off = positive_fen(offer.amount_off, what=_("The amount off"))
        label = _("%(title)s: ¥%(amount)s off") % {"title": title, "amount": off}
        after = amount - off
    elif offer.step == StackingStep.THRESHOLD:
        threshold = positive_fen(offer.threshold, what=_("The spend threshold"))
        off = positive_fen(offer.amount_off, what=_("The amount off"))
        label = _("%(title)s: ¥%(off)s off every ¥%(threshold)s") % {"title": title, "off": off, "threshold": threshold}
        # 满减 counts every full multiple of the threshold ("满200减30": ¥30 off every ¥200),
        # measured on what the earlier steps left.
        times = int((amount / threshold).to_integral_value(rounding=ROUND_DOWN))
        after = amount - off * times
        if times == 0:
            note = _("Spend threshold ¥%(threshold)s not reached.") % {"threshold": threshold}
        elif times > 1:
            note = _("Applied %(times)d times.") % {"times": times}
    elif offer.step == StackingStep.COUPON:
        value = positive_fen(offer.coupon_value, what=_("The coupon's face value"))
        threshold = to_fen(offer.threshold) if offer.threshold is not None else None
        if threshold is not None:
            label = _("%(title)s: coupon ¥%(value)s for a spend of ¥%(threshold)s") % {
                "title": title,
                "value": value,
                "threshold": threshold,
            }
        else:
            label = _("%(title)s: coupon ¥%(value)s") % {"title": title, "value": value}
        if threshold is not None and amount < threshold:
            after = amount
            note = _("Spend threshold ¥%(threshold)s not reached.") % {"threshold": threshold}
        else:
            after = amount - value
    else:  # pragma: no cover - STEP_FOR_KIND covers every kind
        raise PricingError(_("Unknown promotion kind."), code="kind")
    if after < ONE_FEN:
        # A payment is at least one fen: offers that would wipe out the price are
        # a configuration mistake, never a free (or negative-priced) item.
        after = ONE_FEN
        note = _("Limited to ¥0.01: the price can never reach zero.")
    return min(after, amount), label, note


def compute_final_price(
    undiscounted,
    offers: Iterable[Offer],
    *,
    stacking_order: Sequence[str] | None = None,
    stackable_kinds: Iterable[str] | None = None,
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
    - Every amount is rounded half-up to the fen after each step.
    Steps that did not change the amount (threshold not reached, a better
    offer chosen) are returned with ``applied=False`` so a UI can explain them.
    """
    amount = start = positive_fen(undiscounted, what=_("The undiscounted price"))
    order = list(stacking_order or default_stacking_order())
    stackable = set(default_stackable_kinds() if stackable_kinds is None else stackable_kinds)
    offers = list(offers)
    steps: list[PriceStep] = []
    for step in order:
        group = [o for o in offers if o.step == step]
        exclusive = [o for o in group if o.kind not in stackable]
        if exclusive:
            outcomes = [(o, *_after_offer(o, amount)) for o in exclusive]
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
                        note=_("Does not combine with a better offer of the same kind."),
                        promotion_id=offer.promotion_id,
                    )
                )
            offer, after, label, note = best
            steps.append(PriceStep(step, label, amount, after, after < amount, note, offer.promotion_id))
            amount = after
        for offer in (o for o in group if o.kind in stackable):
            after, label, note = _after_offer(offer, amount)
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
            earliest = items[0].promotion.starts_at
            undiscounted = (
                PricePoint.objects.filter(product_id=product_id, recorded_at__lt=earliest)
                .order_by("-recorded_at")
                .values_list("price", flat=True)
                .first()
            )
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


# The public badge ----------------------------------------------------------------------------


@dataclass(frozen=True)
class HonestPriceBadge:
    reference_price: Decimal
    price: Decimal
    discount_percent: Decimal
    lookback_days: int
    source: str
    text: str


def honest_price_badge(item: PromotionItem) -> HonestPriceBadge | None:
    """The public pages' "lowest price in the 7 days before: ¥X, now ¥Y, Z% off".

    Uses the stored check when there is one, else computes it (without storing).
    Returns None when there is nothing honest to claim: no price history, or no
    real discount.
    """
    festival = item.promotion.festival
    if item.checked_at is not None:
        reference, source = item.reference_price, item.reference_source
    else:
        found = check_item(item).reference
        reference, source = found.price, found.source
    if reference is None or item.promo_price is None or item.promo_price <= 0 or item.promo_price >= reference:
        return None
    discount = real_discount_percent(reference, item.promo_price)
    days = festival.price_lookback_days
    values = {
        "days": days,
        "reference": to_fen(reference),
        "price": to_fen(item.promo_price),
        "discount": format_percent(discount),
    }
    if source == ReferenceSource.FALLBACK:
        text = ngettext(
            "Last price before the %(days)d day before: ¥%(reference)s, now ¥%(price)s, %(discount)s%% off",
            "Last price before the %(days)d days before: ¥%(reference)s, now ¥%(price)s, %(discount)s%% off",
            days,
        )
    else:
        text = ngettext(
            "Lowest price in the %(days)d day before: ¥%(reference)s, now ¥%(price)s, %(discount)s%% off",
            "Lowest price in the %(days)d days before: ¥%(reference)s, now ¥%(price)s, %(discount)s%% off",
            days,
        )
    return HonestPriceBadge(
        reference_price=to_fen(reference),
        price=to_fen(item.promo_price),
        discount_percent=discount,
        lookback_days=days,
        source=source,
        text=text % values,
    )
