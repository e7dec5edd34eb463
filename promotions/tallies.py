"""Roll-ups the organisers' dashboard reads instead of counting raw rows (issue 17).

Two tallies, both exact, both kept in the transaction of the change that moves them:

- ``PromotionTally``: promotions per (festival, status, kind, start day). Kept by deltas: every
  change of a promotion's status, kind, start or existence goes through promotions.services
  (``_transition``, the clock's batches, create / update / delete), which adds ``+n``/``-n`` per
  key with one ``INSERT … ON CONFLICT DO UPDATE SET count = count + excluded.count`` (PostgreSQL
  and SQLite alike). The upsert is atomic, so two transactions moving the same festival's counts,
  even both creating its first row, never lose an update.

- ``ItemCheckTally``: items of promotions past the draft per (festival, check status). The bulk
  check store writes thousands of items of many promotions at once, and a promotion may leave the
  draft while its items are being re-checked, so a delta computed from the items in hand could miss
  a concurrent change. Instead every change that can move it (storing checks, replacing items,
  leaving the draft, deleting) runs inside ``items_changing(promotion_ids)``: lock the promotions'
  festivals (``FOR NO KEY UPDATE``, sorted), count those promotions' items by check status before
  and after the change (one GROUP BY over the touched promotions' items, bounded by the item's
  promotion index, never the festival's), and add the difference. The lock serialises every such
  change per festival and both counts are read after it, so the difference is exactly what this
  transaction changed. Chosen over a recount of the whole festival (as exact, but one GROUP BY over
  all its items, about 170 ms at 100,000 promotions, on every submission).

- ``CategoryTally``: promotions per (festival, top-level category, status, listed), what the public
  home and festival pages show as "live now" per category. A status change moves the promotion's
  families from the old status to the new (``category_moves``: the services' transitions and the
  clock's batches); a change of its categories (``m2m_changed``, whoever makes it) or its deletion
  recounts that one promotion before and after (``categories_changing``); a participation entering
  or leaving "approved" moves its merchant's promotions in that festival between listed and not
  (``participation_listing_changed``, from merchants' ``pre_save``/``post_save``). A decision locks
  the merchant's promotions in the festival before it counts them, and every status change holds
  its promotions' rows locked before it reads their ``listed``, so the two are serialised:
  whichever commits second sees the first.

``rebuild_tallies`` recounts all three from the rows (after bulk loads, and nightly as a consistency
check that logs and fixes drift).
"""

import logging
from collections import Counter
from collections.abc import Iterable
from contextlib import contextmanager
from datetime import date

from django.db import connections, transaction
from django.db.models import Count, Exists, OuterRef, Subquery
from django.db.models.functions import Coalesce, TruncDate

from core.tallies import add_counts as _upsert
from core.tallies import fix_counts, lock_for_recount
from festival.models import Festival
from merchants.models import Participation, ParticipationStatus

from .models import CategoryTally, ItemCheckTally, Promotion, PromotionItem, PromotionStatus, PromotionTally

logger = logging.getLogger(__name__)

PromotionKey = tuple[int, str, str, date]  # festival id, status, kind, start day
ItemKey = tuple[int, str]  # festival id, check status
CategoryKey = tuple[int, int, str, bool]  # festival id, top-level category id, status, listed


def _zones(festival_ids: Iterable[int]) -> dict:
    festivals = Festival.objects.filter(pk__in=set(festival_ids)).values_list("pk", "time_zone")
    return {pk: Festival(time_zone=zone).tz for pk, zone in festivals}


def start_day(starts_at, zone) -> date:
    return starts_at.astimezone(zone).date()


def add_promotion_counts(deltas: dict[PromotionKey, int]) -> None:
    _upsert(PromotionTally, ("festival", "status", "kind", "starts_on"), deltas)


def promotion_key(promotion: Promotion, zone=None, *, status=None) -> PromotionKey:
    zone = zone or promotion.festival.tz
    return (promotion.festival_id, status or promotion.status, promotion.kind, start_day(promotion.starts_at, zone))


def promotions_moved(rows: Iterable[tuple[int, str, str, object]], to: str) -> None:
    """The clock moved promotions: ``rows`` are (festival id, from status, kind, starts_at)."""
    rows = list(rows)
    zones = _zones(row[0] for row in rows)
    deltas = Counter()
    for festival_id, from_status, kind, starts_at in rows:
        day = start_day(starts_at, zones[festival_id])
        deltas[(festival_id, from_status, kind, day)] -= 1
        deltas[(festival_id, to, kind, day)] += 1
    add_promotion_counts(deltas)


# Items -------------------------------------------------------------------------------------


def _counted_items(items) -> Counter:
    """``items`` of promotions past the draft, counted per (festival, check status): the one
    count behind both the deltas and the rebuild."""
    rows = (
        items.exclude(promotion__status=PromotionStatus.DRAFT)
        .values_list("promotion__festival_id", "check_status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return Counter({(festival_id, status): n for festival_id, status, n in rows})


def _item_counts(promotion_ids: list[int]) -> Counter:
    return _counted_items(PromotionItem.objects.filter(promotion_id__in=promotion_ids))


def lock_festivals(promotion_ids: list[int]) -> None:
    """Serialise item-tally changes per festival (see the module's docstring)."""
    festivals = Promotion.objects.filter(pk__in=promotion_ids).values("festival_id")
    list(
        Festival.objects.filter(pk__in=Subquery(festivals))
        .select_for_update(no_key=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


@contextmanager
def items_changing(promotion_ids: Iterable[int]):
    """Wrap a change of these promotions' items or draft status; keeps ItemCheckTally exact."""
    ids = sorted(set(promotion_ids))
    if not ids:
        yield
        return
    with transaction.atomic():
        lock_festivals(ids)
        before = _item_counts(ids)
        yield
        after = _item_counts(ids)
        _upsert(
            ItemCheckTally,
            ("festival", "check_status"),
            {key: after[key] - before[key] for key in before.keys() | after.keys()},
        )


# Categories --------------------------------------------------------------------------------

CATEGORY_KEY_FIELDS = ("festival", "category", "status", "listed")


def _listed() -> Exists:
    """The promotion's merchant has an approved participation in its festival (as public.selectors)."""
    return Exists(
        Participation.objects.filter(
            merchant=OuterRef("promotion__merchant_id"),
            festival=OuterRef("promotion__festival_id"),
            status=ParticipationStatus.APPROVED,
        )
    )


def _category_rows(links) -> list[tuple[int, int, int, str, bool]]:
    """(promotion id, festival id, top-level category id, status, listed) of each family a promotion
    of ``links`` (promotion–category rows) is in, once per family."""
    return list(
        links.annotate(family=Coalesce("category__parent_id", "category_id"), listed=_listed())
        .values_list("promotion_id", "promotion__festival_id", "family", "promotion__status", "listed")
        .distinct()
        .order_by()
    )


def _category_counts(promotion_ids: list[int]) -> Counter:
    links = Promotion.categories.through.objects.filter(promotion_id__in=promotion_ids)
    return Counter(
        (festival, family, status, listed) for _pk, festival, family, status, listed in _category_rows(links)
    )


def add_category_counts(deltas: dict[CategoryKey, int]) -> None:
    _upsert(CategoryTally, CATEGORY_KEY_FIELDS, deltas)


def category_moves(from_status: dict[int, str], to: str) -> None:
    """Promotions changed status (``from_status``: promotion id → the status it left for ``to``);
    their categories and listing did not change. Counted in the database: a clock batch of
    thousands returns a few grouped rows, not one per promotion."""
    if not from_status:
        return
    connection = connections[CategoryTally.objects.db]
    if connection.vendor == "postgresql":
        rows = _moved_families_postgresql(connection, from_status)
    else:
        rows = _moved_families(from_status)
    deltas = Counter()
    for festival, family, status, listed, n in rows:
        deltas[(festival, family, status, listed)] -= n
        deltas[(festival, family, to, listed)] += n
    add_category_counts(deltas)


def _moved_families(from_status: dict[int, str]):
    """(festival, family, status left, listed, promotions) of the moved promotions, one grouped
    query per status left."""
    by_status: dict[str, list[int]] = {}
    for pk, status in from_status.items():
        by_status.setdefault(status, []).append(pk)
    for status, ids in sorted(by_status.items()):
        rows = (
            Promotion.categories.through.objects.filter(promotion_id__in=sorted(ids))
            .annotate(family=Coalesce("category__parent_id", "category_id"), listed=_listed())
            .values_list("promotion__festival_id", "family", "listed")
            .annotate(n=Count("promotion_id", distinct=True))
            .order_by()
        )
        for festival, family, listed, n in rows:
            yield festival, family, status, listed, n


def _moved_families_postgresql(connection, from_status: dict[int, str]):
    """What ``_moved_families`` reads (a test holds them equal), in one statement that starts from
    the moved ids (``unnest``) and probes each one's categories, promotion and participation by
    index: the ORM's ``IN (…)`` list of a 5,000-promotion batch is planned as hash joins over the
    whole promotion table, 50 ms a batch at 50,000 promotions and growing with the table."""
    quote = connection.ops.quote_name
    link, promotion, category, participation = (
        Promotion.categories.through._meta,
        Promotion._meta,
        Promotion._meta.get_field("categories").related_model._meta,
        Participation._meta,
    )

    def column(meta, name):
        return quote(meta.get_field(name).column)

    sql = f"""
        SELECT p.{column(promotion, "festival")}, COALESCE(c.{column(category, "parent")}, c.{quote(category.pk.column)}),
               moved.from_status, pa.{quote(participation.pk.column)} IS NOT NULL, COUNT(DISTINCT moved.id)
        FROM unnest(%s::bigint[], %s::text[]) AS moved (id, from_status)
        JOIN {quote(link.db_table)} pc ON pc.{column(link, "promotion")} = moved.id
        JOIN {quote(category.db_table)} c ON c.{quote(category.pk.column)} = pc.{column(link, "category")}
        JOIN {quote(promotion.db_table)} p ON p.{quote(promotion.pk.column)} = moved.id
        LEFT JOIN {quote(participation.db_table)} pa
               ON pa.{column(participation, "merchant")} = p.{column(promotion, "merchant")}
              AND pa.{column(participation, "festival")} = p.{column(promotion, "festival")}
              AND pa.{column(participation, "status")} = %s
        GROUP BY 1, 2, 3, 4
    """  # only table and column names from the models, and placeholders
    ids = sorted(from_status)
    with connection.cursor() as cursor:
        cursor.execute(sql, [ids, [from_status[pk] for pk in ids], ParticipationStatus.APPROVED])
        return cursor.fetchall()


@contextmanager
def categories_changing(promotion_ids: Iterable[int]):
    """Wrap a change of these (locked, or new) promotions' categories or their deletion: their
    category counts are taken before and after, and the difference added."""
    ids = sorted(set(promotion_ids))
    if not ids:
        yield
        return
    with transaction.atomic():
        before = _category_counts(ids)
        yield
        after = _category_counts(ids)
        add_category_counts({key: after[key] - before[key] for key in before.keys() | after.keys()})


def participation_listing_changed(merchant_id: int, festival_id: int, *, listed: bool) -> None:
    """The merchant's participation in the festival became approved (``listed``) or stopped being
    so: its promotions there move between the listed and the unlisted counts.

    The promotions are locked first (``FOR NO KEY UPDATE``, as a status change locks them): a
    promotion moving meanwhile (a service, a clock batch) is waited for and then counted in its
    new status, and one that moves after reads the decision's outcome (see the module's
    docstring)."""
    with transaction.atomic():  # an organiser's form may save the participation outside one
        _move_listing(merchant_id, festival_id, listed=listed)


def _move_listing(merchant_id: int, festival_id: int, *, listed: bool) -> None:
    list(
        Promotion.objects.filter(merchant_id=merchant_id, festival_id=festival_id)
        .select_for_update(no_key=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    links = Promotion.categories.through.objects.filter(
        promotion__merchant_id=merchant_id, promotion__festival_id=festival_id
    )
    rows = (
        links.annotate(family=Coalesce("category__parent_id", "category_id"))
        .values_list("family", "promotion__status")
        .annotate(n=Count("promotion_id", distinct=True))
        .order_by()
    )
    deltas = Counter()
    for family, status, n in rows:
        deltas[(festival_id, family, status, not listed)] -= n
        deltas[(festival_id, family, status, listed)] += n
    add_category_counts(deltas)


# Recount -----------------------------------------------------------------------------------


def _recount_promotions(festivals) -> Counter:
    counts = Counter()
    by_zone: dict[str, list[int]] = {}
    for festival in festivals:
        by_zone.setdefault(festival.time_zone, []).append(festival.pk)
    for zone, ids in by_zone.items():
        rows = (
            Promotion.objects.filter(festival_id__in=ids)
            .annotate(day=TruncDate("starts_at", tzinfo=Festival(time_zone=zone).tz))
            .values_list("festival_id", "status", "kind", "day")
            .annotate(n=Count("pk"))
            .order_by()
        )
        counts.update({(f, s, k, d): n for f, s, k, d, n in rows})
    return counts


def _recount_categories(festival_ids) -> Counter:
    links = Promotion.categories.through.objects.filter(promotion__festival_id__in=festival_ids)
    rows = (
        links.annotate(family=Coalesce("category__parent_id", "category_id"), listed=_listed())
        .values_list("promotion__festival_id", "family", "promotion__status", "listed")
        .annotate(n=Count("promotion_id", distinct=True))
        .order_by()
    )
    return Counter({(festival, family, status, listed): n for festival, family, status, listed, n in rows})


def _recount_items(festival_ids) -> Counter:
    return _counted_items(PromotionItem.objects.filter(promotion__festival_id__in=festival_ids))


@transaction.atomic
def rebuild_tallies(festivals=None) -> int:
    """Recount the tallies of ``festivals`` (default: all) from the rows and fix any row that
    differs; returns how many rows differed (0 when the deltas kept them true)."""
    festivals = list((festivals if festivals is not None else Festival.objects.all()).only("pk", "time_zone"))
    ids = [f.pk for f in festivals]
    lock_for_recount(PromotionTally, ItemCheckTally, CategoryTally)
    drift = fix_counts(
        PromotionTally, ("festival_id", "status", "kind", "starts_on"), ids, _recount_promotions(festivals)
    )
    drift += fix_counts(ItemCheckTally, ("festival_id", "check_status"), ids, _recount_items(ids))
    drift += fix_counts(
        CategoryTally, ("festival_id", "category_id", "status", "listed"), ids, _recount_categories(ids)
    )
    if drift:
        logger.warning("Rebuilt promotion tallies: %d rows had drifted from the promotions.", drift)
    return drift


# Changes made outside the services' hands ---------------------------------------------------
#
# Categories are edited with ``promotion.categories.set()`` by the services, the admin's forms and
# the demo alike, and a participation's status is saved by its decision (core.workflow.transition)
# or an organiser's form: receivers see every one of them.


def _category_links_changing(sender, instance, action, reverse, pk_set, **kwargs):
    if action.startswith("pre_"):
        if reverse:  # category.promotions.add/remove/clear(...)
            ids = list(pk_set) if pk_set is not None else list(instance.promotions.values_list("pk", flat=True))
        else:
            ids = [instance.pk]
        instance._category_tally_before = (ids, _category_counts(ids))
    elif action.startswith("post_"):
        ids, before = instance.__dict__.pop("_category_tally_before", ([], Counter()))
        after = _category_counts(ids)
        add_category_counts({key: after[key] - before[key] for key in before.keys() | after.keys()})


def _participation_saving(sender, instance, update_fields=None, raw=False, **kwargs):
    if raw or (update_fields is not None and "status" not in update_fields):
        instance._listed_before = None
        return
    was = (
        Participation.objects.filter(pk=instance.pk).values_list("status", flat=True).first()
        if instance.pk is not None
        else None
    )
    instance._listed_before = was == ParticipationStatus.APPROVED


def _participation_saved(sender, instance, raw=False, **kwargs):
    listed_before = instance.__dict__.pop("_listed_before", None)
    listed = instance.status == ParticipationStatus.APPROVED
    if raw or listed_before is None or listed_before == listed:
        return
    participation_listing_changed(instance.merchant_id, instance.festival_id, listed=listed)


def connect_signals() -> None:
    from django.db.models.signals import m2m_changed, post_save, pre_save

    m2m_changed.connect(
        _category_links_changing, sender=Promotion.categories.through, dispatch_uid="promotions.category_tally"
    )
    pre_save.connect(_participation_saving, sender=Participation, dispatch_uid="promotions.listing_before")
    post_save.connect(_participation_saved, sender=Participation, dispatch_uid="promotions.listing_after")
