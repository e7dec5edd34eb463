"""Festival status changes: the table, and the clock that moves festivals along it."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from core import events
from core.workflow import TransitionNotAllowed, transition
from festival.models import FESTIVAL_TRANSITIONS, FestivalEvent, FestivalStatus
from festival.services import advance_festivals, festival_status_at
from tests.factories import FestivalFactory

pytestmark = pytest.mark.django_db

F = FestivalStatus
LEGAL = sorted((a, b) for a, targets in FESTIVAL_TRANSITIONS.items() for b in targets)
ILLEGAL = [(a, b) for a in F.values for b in F.values if a != b and (a, b) not in LEGAL]


def move(festival, to):
    with transaction.atomic():
        return transition(festival, to, allowed=FESTIVAL_TRANSITIONS, event_model=FestivalEvent, event_fk="festival")


def test_the_clock_only_moves_forward():
    order = list(F.values)
    assert all(order.index(b) > order.index(a) for a, b in LEGAL)
    assert len(ILLEGAL) == 6  # every backward move


@pytest.mark.parametrize("from_status, to_status", LEGAL)
def test_legal_festival_transition_is_recorded(from_status, to_status):
    festival = FestivalFactory(status=from_status)

    move(festival, to_status)

    festival.refresh_from_db()
    assert festival.status == to_status
    assert list(festival.events.values_list("from_status", "to_status")) == [(from_status, to_status)]


@pytest.mark.parametrize("from_status, to_status", ILLEGAL)
def test_illegal_festival_transition_changes_nothing(from_status, to_status):
    festival = FestivalFactory(status=from_status)

    with pytest.raises(TransitionNotAllowed):
        move(festival, to_status)

    festival.refresh_from_db()
    assert festival.status == from_status
    assert not festival.events.exists()


def boundaries(festival):
    return {
        F.PLANNED: festival.registration_opens_at - timedelta(seconds=1),
        F.REGISTRATION: festival.registration_opens_at,
        F.RUNNING: festival.starts_at,
        F.CLOSED: festival.ends_at,
    }


@pytest.mark.parametrize("target", F.values)
def test_festival_status_at_each_boundary(target):
    festival = FestivalFactory.build()

    assert festival_status_at(festival, boundaries(festival)[target]) == target


@pytest.mark.parametrize("from_status", F.values)
@pytest.mark.parametrize("target", F.values)
def test_advance_festivals_moves_forward_to_where_the_clock_says(from_status, target):
    festival = FestivalFactory(status=from_status)
    now = boundaries(festival)[target]
    order = list(F.values)

    moved = advance_festivals(now=now)

    festival.refresh_from_db()
    if order.index(target) > order.index(from_status):
        assert moved == [(festival.pk, target)]
        assert festival.status == target
        event = festival.events.get()
        assert (event.from_status, event.to_status, event.created_at, event.actor) == (from_status, target, now, None)
    else:
        assert moved == []
        assert festival.status == from_status
        assert not festival.events.exists()


def test_advance_festivals_is_idempotent_and_stamps_the_window():
    festival = FestivalFactory(status=F.REGISTRATION)

    advance_festivals(now=festival.ends_at)
    again = advance_festivals(now=festival.ends_at + timedelta(minutes=1))

    festival.refresh_from_db()
    assert again == []
    assert (festival.status, festival.opened_at, festival.closed_at) == (F.CLOSED, festival.ends_at, festival.ends_at)


def test_muted_events_are_not_published(django_capture_on_commit_callbacks):
    received = []
    handler = events.subscribe(lambda event_type, **ids: received.append((event_type, ids)))
    try:
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            with events.muted():
                events.publish_on_commit("festival.opened", festival_id=1)
            events.publish_on_commit("festival.closed", festival_id=1)
    finally:
        events._handlers.remove(handler)

    assert len(callbacks) == 1
    assert received == [("festival.closed", {"festival_id": 1})]


def test_clock_publishes_after_commit(django_capture_on_commit_callbacks):
    festival = FestivalFactory(status=F.REGISTRATION, starts_at=timezone.now() + timedelta(days=3))

    with django_capture_on_commit_callbacks() as callbacks:
        advance_festivals(now=festival.starts_at)

    assert len(callbacks) == 1
