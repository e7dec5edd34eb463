"""Checking items against the rules: gather each item's price history and overlaps
from the database, then apply ``rules.evaluate_item``. Reads only: storing the
checks is the services' job (``promotions.services.refresh_item_checks`` and co.).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence

from django.db.models import F, QuerySet

from festival.models import Festival

from ..models import Promotion, PromotionItem
from .history import (
    CHECK_CHUNK_SIZE,
    earlier_price_level,
    last_price_before,
    load_items_with_histories,
    reference_price,
)
from .rules import BINDING_STATUSES, ItemCheck, Overlap, PriceHistory, evaluate_item

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
        candidates = by_product.get(item.product_id)
        if not candidates:  # most items: nothing binding on the product at all
            result[item.pk] = []
            continue
        promotion = item.promotion
        stackable = promotion.festival.stackable_kinds or []
        result[item.pk] = [
            other
            for merchant_id, other in candidates
            if merchant_id == promotion.merchant_id
            and other.promotion_id != promotion.pk
            and other.starts_at < promotion.ends_at
            and other.ends_at > promotion.starts_at
            and not _stack(promotion.kind, other.kind, stackable)
        ]
    return result


def overlaps_of_stored_items(items: QuerySet, loaded: dict[int, PromotionItem]) -> dict[int, list[Overlap]]:
    """``overlaps_for_items`` for stored items, set-based: the database pairs each item
    of ``items`` with the binding promotions of its merchant that cover its product at
    an overlapping time (one self-join), so only real overlaps come back; ``loaded``
    (the same items by pk, their promotions and festivals attached) decides the
    rest (not the item's own promotion, the festival's stackable kinds)."""
    other = "product__promotion_items__promotion__"
    pairs = (
        items.filter(
            **{
                f"{other}status__in": BINDING_STATUSES,
                f"{other}merchant_id": F("promotion__merchant_id"),
                f"{other}starts_at__lt": F("promotion__ends_at"),
                f"{other}ends_at__gt": F("promotion__starts_at"),
            }
        )
        .values_list("pk", f"{other}id", f"{other}title", f"{other}kind", f"{other}starts_at", f"{other}ends_at")
        .order_by("pk", f"{other}starts_at", f"{other}id")
    )
    result = defaultdict(list)
    for pk, promotion_id, title, kind, starts_at, ends_at in pairs:
        promotion = loaded[pk].promotion
        if promotion_id != promotion.pk and not _stack(promotion.kind, kind, promotion.festival.stackable_kinds or []):
            result[pk].append(Overlap(promotion_id, title, kind, starts_at, ends_at))
    return result


# Checks (nothing is stored) --------------------------------------------------------------

STORED_CHECK_FIELDS = (
    "check_status",
    "reference_price",
    "reference_source",
    "real_discount_percent",
    "check_reasons",
    "checked_at",
)


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


def iter_item_checks(items: QuerySet, *, products: bool = True) -> Iterator[list[ItemCheck]]:
    """Check many stored items, one chunk of CHECK_CHUNK_SIZE at a time, and only one
    chunk in memory.

    Per chunk, set-based: one query loads the items with their price histories
    (reference, raise-then-cut level, price at the start) computed by the database,
    one the promotions not met in the chunk before (with their festivals, one
    instance each), one pairs the items with the binding promotions they overlap.
    ``products=False`` leaves the items' products unloaded (a bulk recheck that only
    stores the checks never reads them).
    """
    ids = list(items.order_by("pk").values_list("pk", flat=True))
    promotions: dict[int, Promotion] = {}
    festivals: dict[int, Festival] = {}
    for offset in range(0, len(ids), CHECK_CHUNK_SIZE):
        chunk_ids = ids[offset : offset + CHECK_CHUNK_SIZE]
        # The chunk as a range of ids within ``items``, so no query carries thousands of ids.
        chunk = items.filter(pk__gte=chunk_ids[0], pk__lte=chunk_ids[-1])
        loaded = load_items_with_histories(
            # The stored check is what this computes: not loaded (services overwrite it).
            (
                chunk.select_related("product").defer(
                    *STORED_CHECK_FIELDS, "product__description", "product__created_at", "product__updated_at"
                )
                if products
                else chunk.defer(*STORED_CHECK_FIELDS)
            ).order_by("pk")
        )
        # One instance per promotion and per festival, not one per item (select_related
        # would copy them on every row); kept for the next chunk, whose items are
        # mostly of the same promotions, and forgotten once no item of theirs is left.
        needed = {item.promotion_id for item, _history in loaded}
        missing = needed - promotions.keys()
        if missing:
            fetched = list(Promotion.objects.filter(pk__in=missing).order_by())
            festival_ids = {p.festival_id for p in fetched} - festivals.keys()
            if festival_ids:
                festivals.update(Festival.objects.in_bulk(festival_ids))
            for promotion in fetched:
                promotion.festival = festivals[promotion.festival_id]
                promotions[promotion.pk] = promotion
        promotions = {pk: promotions[pk] for pk in needed}
        for item, _history in loaded:
            item.promotion = promotions[item.promotion_id]
        overlaps = overlaps_of_stored_items(chunk, {item.pk: item for item, _history in loaded})
        yield [
            evaluate_item(item, history, overlaps.get(item.pk, ()), festival=item.promotion.festival)
            for item, history in loaded
        ]


def check_items(items: QuerySet) -> list[ItemCheck]:
    """Check many stored items (nothing is stored); see ``iter_item_checks``."""
    return [check for chunk in iter_item_checks(items) for check in chunk]
