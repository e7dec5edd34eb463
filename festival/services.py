"""The festival side of the clock: move festivals whose boundary has passed.

Promotions move in promotions/services.py; promotions/clock.py runs both in one
tick (festivals first), for the periodic task and the demo alike."""

import logging

from django.db import transaction
from django.utils import timezone

from core.events import DomainEvent, publish_on_commit
from core.workflow import transition

from .models import FESTIVAL_TRANSITIONS, Festival, FestivalEvent, FestivalStatus

logger = logging.getLogger(__name__)
F = FestivalStatus


def festival_status_at(festival: Festival, now) -> str:
    """Where the clock says a festival should be at ``now``."""
    if now >= festival.ends_at:
        return F.CLOSED
    if now >= festival.starts_at:
        return F.RUNNING
    if now >= festival.registration_opens_at:
        return F.REGISTRATION
    return F.PLANNED


_ORDER = [F.PLANNED, F.REGISTRATION, F.RUNNING, F.CLOSED]


def advance_festivals(*, now=None) -> list[tuple[int, str]]:
    """Move every festival to where the clock says it should be; returns (id, status) moved.

    Each festival moves in its own transaction under a row lock, deciding from
    the row as locked: a second worker that waited for the lock finds the move
    done and skips it, and a catch-up after downtime may skip steps (planned →
    running) without recording the skipped status.
    """
    now = now or timezone.now()
    moved = []
    due = (
        Festival.objects.exclude(status=F.CLOSED)
        .filter(registration_opens_at__lte=now)
        .order_by("starts_at", "pk")
        .values_list("pk", flat=True)
    )
    for pk in list(due):
        with transaction.atomic():
            festival = Festival.objects.select_for_update().filter(pk=pk).first()
            if festival is None:
                continue
            target = festival_status_at(festival, now)
            if _ORDER.index(target) <= _ORDER.index(festival.status):
                continue  # another worker was faster
            changes = {}
            if target in (F.RUNNING, F.CLOSED) and festival.status in (F.PLANNED, F.REGISTRATION):
                changes["opened_at"] = now
            if target == F.CLOSED:
                changes["closed_at"] = now
            locked = transition(
                festival,
                target,
                allowed=FESTIVAL_TRANSITIONS,
                event_model=FestivalEvent,
                event_fk="festival",
                at=now,
                note="clock",
                **changes,
            )
            if "opened_at" in changes:
                publish_on_commit(DomainEvent.FESTIVAL_OPENED, festival_id=locked.pk)
            if target == F.CLOSED:
                publish_on_commit(DomainEvent.FESTIVAL_CLOSED, festival_id=locked.pk)
        moved.append((pk, target))
    return moved
