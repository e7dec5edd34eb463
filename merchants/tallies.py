"""Roll-ups of participations the organisers' dashboard reads instead of counting them (issue 17).

- ``ParticipationTally``: participations per (festival, status, merchant kind);
- ``ParticipationCategoryTally``: participations per (festival, status, claimed category).

Both are kept exact by deltas (``core.tallies.add_counts``, an atomic upsert per row) in the
transaction of every change that moves them, all in merchants.services:

- applying (a new participation, or a rejected one applying again with new categories),
- every decision and withdrawal (``transition``'s ``on_change``: the locked row's old and new status),
- a merchant's kind changing (``save_merchant``): each of its participations moves kind.

The merchant's kind is what the tallies key on, so the services agree on one order of locks: the
merchant's row, then its participations' rows. ``save_merchant`` locks the merchant, then the
participations it moves; applying locks the merchant before it reads the kind; a decision locks
its participation (``transition``) and only then reads the kind. A kind change and a decision
on the same participation are therefore serialised by the participation's row, and one and an
application by the merchant's: every delta is computed from committed, current values.

``rebuild_participation_tallies`` recounts both from the rows (after bulk loads, and nightly as a
consistency check that logs and fixes drift).
"""

import logging
from collections import Counter

from django.db import transaction
from django.db.models import Count

from core.tallies import add_counts, fix_counts, lock_for_recount
from festival.models import Festival

from .models import Merchant, Participation, ParticipationCategoryTally, ParticipationTally

logger = logging.getLogger(__name__)

KIND_KEY = ("festival", "status", "merchant_kind")
CATEGORY_KEY = ("festival", "status", "category")


def locked_kind(merchant_id: int) -> str | None:
    """The merchant's kind, its row locked until the transaction ends (see the module's docstring);
    None for a merchant not saved yet."""
    merchants = Merchant.objects.select_for_update(no_key=True).filter(pk=merchant_id)
    return merchants.values_list("kind", flat=True).first()


def participation_moved(
    participation: Participation, *, from_status: str | None, to_status: str | None, kind: str, categories
) -> None:
    """One participation left ``from_status`` (None: it is new) for ``to_status`` (None: it is gone)
    with ``categories`` (ids) claimed; the caller holds its row lock."""
    kinds, claims = Counter(), Counter()
    for status, n in ((from_status, -1), (to_status, 1)):
        if status is None:
            continue
        kinds[(participation.festival_id, status, kind)] += n
        for category_id in categories:
            claims[(participation.festival_id, status, category_id)] += n
    add_counts(ParticipationTally, KIND_KEY, kinds)
    add_counts(ParticipationCategoryTally, CATEGORY_KEY, claims)


def claims_changed(participation: Participation, *, status: str, before, after) -> None:
    """The claimed categories of a participation (in ``status``) changed from ``before`` to ``after`` (ids)."""
    claims = Counter()
    for category_id in before:
        claims[(participation.festival_id, status, category_id)] -= 1
    for category_id in after:
        claims[(participation.festival_id, status, category_id)] += 1
    add_counts(ParticipationCategoryTally, CATEGORY_KEY, claims)


def merchant_kind_changed(merchant_id: int, *, before: str | None, after: str) -> None:
    """The merchant's kind changed (its row locked by the caller): move each of its participations,
    locked, so no decision moves one meanwhile."""
    if before is None or before == after:  # new, or the same kind
        return
    rows = (
        Participation.objects.select_for_update()
        .filter(merchant_id=merchant_id)
        .order_by("pk")
        .values_list("festival_id", "status")
    )
    kinds = Counter()
    for festival_id, status in rows:
        kinds[(festival_id, status, before)] -= 1
        kinds[(festival_id, status, after)] += 1
    add_counts(ParticipationTally, KIND_KEY, kinds)


# Recount -----------------------------------------------------------------------------------


def counted_kinds(festival_ids) -> Counter:
    rows = (
        Participation.objects.filter(festival_id__in=festival_ids)
        .values_list("festival_id", "status", "merchant__kind")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return Counter({(f, s, k): n for f, s, k, n in rows})


def counted_claims(festival_ids) -> Counter:
    rows = (
        Participation.categories.through.objects.filter(participation__festival_id__in=festival_ids)
        .values_list("participation__festival_id", "participation__status", "category_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return Counter({(f, s, c): n for f, s, c, n in rows})


@transaction.atomic
def rebuild_participation_tallies(festivals=None) -> int:
    """Recount the participation tallies of ``festivals`` (default: all) from the rows and fix
    any row that differs; returns how many rows differed (0 when the deltas kept them true)."""
    ids = list((festivals if festivals is not None else Festival.objects.all()).values_list("pk", flat=True))
    lock_for_recount(ParticipationTally, ParticipationCategoryTally)
    drift = fix_counts(ParticipationTally, KIND_KEY, ids, counted_kinds(ids))
    drift += fix_counts(ParticipationCategoryTally, CATEGORY_KEY, ids, counted_claims(ids))
    if drift:
        logger.warning("Rebuilt participation tallies: %d rows had drifted from the participations.", drift)
    return drift
