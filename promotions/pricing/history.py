"""The price-point queries: what the rules need from a product's price history.

One product at a time (``reference_price``, ``earlier_price_level``,
``last_price_before``, ``price_in_effect``) for previews and the final price,
and many items at once (``reference_prices_for_items``,
``price_histories_for_items``), aggregated by the database so no price point
is ever loaded into Python. The windows themselves are the rules'
(``rules.lookback_window``, ``rules.raise_window_start``).
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal

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

from merchants.models import PricePoint

from ..models import ReferenceSource
from .money import to_fen
from .rules import PriceHistory, Reference, lookback_window, raise_window_start

# Items are checked in chunks, so memory stays flat however many are refreshed.
CHECK_CHUNK_SIZE = 5000


# One product --------------------------------------------------------------------------


def reference_price(product_id, *, starts_at, lookback_days) -> Reference:
    """Lowest price in the ``lookback_days`` before ``starts_at``; else the last price before; else none."""
    window_start, window_end = lookback_window(starts_at, lookback_days)
    lowest = PricePoint.objects.filter(
        product_id=product_id, recorded_at__gte=window_start, recorded_at__lt=window_end
    ).aggregate(lowest=Min("price"))["lowest"]
    if lowest is not None:
        return Reference(lowest, ReferenceSource.LOOKBACK)
    last = last_price_before(product_id, window_start)
    if last is not None:
        return Reference(last, ReferenceSource.FALLBACK)
    return Reference(None, ReferenceSource.NONE)


def earlier_price_level(product_id, *, starts_at, lookback_days, raise_days) -> Decimal | None:
    """The lowest price in effect in the raise window before the lookback window (see the package docstring)."""
    window_start, _end = lookback_window(starts_at, lookback_days)
    raise_start = raise_window_start(starts_at, lookback_days=lookback_days, raise_days=raise_days)
    carried_in = last_price_before(product_id, raise_start)
    lowest_before = PricePoint.objects.filter(
        product_id=product_id, recorded_at__gte=raise_start, recorded_at__lt=window_start
    ).aggregate(lowest=Min("price"))["lowest"]
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


def _earlier_level(*prices) -> Decimal | None:
    # Two values per item, already aggregated by the database; LEAST() would
    # repeat both subqueries in SQL and treats NULL differently per backend.
    known = [to_fen(p) for p in prices if p is not None]
    return min(known) if known else None


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
    is restored on leaving. No-op on other databases, and one query where JIT is
    off already (festival/settings.py turns it off for every connection).
    """
    connection = connections[PricePoint.objects.db]
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('jit')")
        (previous,) = cursor.fetchone()
    if previous == "off":
        yield
        return
    with transaction.atomic(using=connection.alias):
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config('jit', %s, true)", [previous])


def reference_prices_for_items(items: QuerySet, *, chunk_size=CHECK_CHUNK_SIZE) -> dict[int, Reference]:
    """Every item's reference price, computed by the database in one query (streamed in chunks).

    The reference part alone (the checks read whole histories with
    ``load_items_with_histories``); no price point is ever loaded into Python.
    """
    with without_jit():
        rows = (
            annotate_reference_prices(items.order_by())
            .values_list("pk", "pricing_signed_reference")
            .iterator(chunk_size=chunk_size)
        )
        return {pk: _reference_from_row(signed) for pk, signed in rows}


def _annotate_histories(items: QuerySet) -> QuerySet:
    """Annotate everything a ``PriceHistory`` holds (see ``_history_from_row``)."""
    last_before_start = Subquery(
        PricePoint.objects.filter(product_id=OuterRef("product_id"), recorded_at__lt=OuterRef("promotion__starts_at"))
        .order_by("-recorded_at")
        .values("price")[:1]
    )
    return annotate_earlier_levels(annotate_reference_prices(items)).annotate(pricing_price_at_start=last_before_start)


_HISTORY_COLUMNS = ("pricing_signed_reference", "pricing_lowest_before", "pricing_carried_in", "pricing_price_at_start")


def _history_from_row(signed, lowest_before, carried_in, at_start) -> PriceHistory:
    return PriceHistory(
        _reference_from_row(signed),
        _earlier_level(lowest_before, carried_in),
        to_fen(at_start) if at_start is not None else None,
    )


def price_histories_for_items(items: QuerySet) -> dict[int, PriceHistory]:
    """Reference price and raise-then-cut baseline for every item, in one query."""
    rows = _annotate_histories(items.order_by()).values_list("pk", *_HISTORY_COLUMNS)
    with without_jit():
        rows = list(rows)
    return {pk: _history_from_row(*values) for pk, *values in rows}


def load_items_with_histories(items: QuerySet) -> list[tuple]:
    """``(item, PriceHistory)`` for every item of ``items``, in its order: the items and
    their histories in one query (the windows and aggregates computed by the database,
    no price point loaded); the items carry no extra attributes."""
    with without_jit():
        loaded = list(_annotate_histories(items))
    result = []
    for item in loaded:
        values = vars(item)
        result.append((item, _history_from_row(*[values.pop(name) for name in _HISTORY_COLUMNS])))
        for name in ("pricing_window_start", "pricing_raise_start"):
            values.pop(name, None)
    return result
