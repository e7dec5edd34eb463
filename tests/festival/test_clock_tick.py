"""The festival clock, with time travel across every boundary in Asia/Shanghai."""

import threading
import zoneinfo
from datetime import datetime, timedelta

import pytest
import time_machine
from django.db import OperationalError, connection

from core import events, locks
from festival.models import FestivalEvent, FestivalStatus
from promotions import services as promotion_services
from promotions.clock import CLOCK_LOCK, run_clock_tick
from promotions.models import PromotionEvent, PromotionStatus
from promotions.tasks import sync_festival_clock
from tests import clock
from tests.factories import FestivalFactory, PromotionFactory

pytestmark = pytest.mark.django_db

# The clock's tests run at each instant that could expose a time-of-day or date bug.
clock_at = clock.at_each_instant()

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
S = PromotionStatus
F = FestivalStatus
SECOND = timedelta(seconds=1)


def local(*args):
    return datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture
def published(monkeypatch):
    """Every event published after commit, as (type, ids)."""
    seen = []
    monkeypatch.setattr(events, "_handlers", [lambda event_type, **ids: seen.append((event_type, ids))])
    return seen


@pytest.fixture
def festival():
    """The 2026 edition: its window opens at local midnight (16:00 UTC the day before)."""
    return FestivalFactory(
        time_zone="Asia/Shanghai",
        registration_opens_at=local(2026, 4, 1, 9, 0),
        registration_closes_at=local(2026, 4, 25, 18, 0),
        submission_deadline=local(2026, 4, 27, 12, 0),
        starts_at=local(2026, 4, 28, 0, 0),
        ends_at=local(2026, 5, 10, 23, 59, 59),
        status=F.PLANNED,
    )


def tick_at(moment, django_capture_on_commit_callbacks):
    with time_machine.travel(moment, tick=False), django_capture_on_commit_callbacks(execute=True):
        return run_clock_tick()


def statuses(*objects):
    for obj in objects:
        obj.refresh_from_db()
    return [obj.status for obj in objects]


def test_clock_moves_festival_across_each_boundary_at_the_second(festival, django_capture_on_commit_callbacks):
    steps = [
        (festival.registration_opens_at - SECOND, F.PLANNED),
        (festival.registration_opens_at, F.REGISTRATION),
        (festival.starts_at - SECOND, F.REGISTRATION),
        (festival.starts_at, F.RUNNING),
        (festival.ends_at - SECOND, F.RUNNING),
        (festival.ends_at, F.CLOSED),
    ]

    seen = []
    for moment, _expected in steps:
        tick_at(moment, django_capture_on_commit_callbacks)
        seen.append(statuses(festival)[0])

    assert seen == [expected for _moment, expected in steps]
    assert list(festival.events.values_list("from_status", "to_status")) == [
        (F.PLANNED, F.REGISTRATION),
        (F.REGISTRATION, F.RUNNING),
        (F.RUNNING, F.CLOSED),
    ]
    assert festival.opened_at == festival.starts_at
    assert festival.closed_at == festival.ends_at


def test_window_starting_at_local_midnight_opens_at_16_utc_the_day_before(festival, django_capture_on_commit_callbacks):
    festival.status = F.REGISTRATION
    festival.save()
    promotion = PromotionFactory(
        festival=festival, approved=True, starts_at=festival.starts_at, ends_at=local(2026, 4, 30, 23, 59, 59)
    )
    utc_midnight_of_the_local_day = datetime(2026, 4, 28, 0, 0, tzinfo=zoneinfo.ZoneInfo("UTC"))

    tick_at(datetime(2026, 4, 27, 15, 59, 59, tzinfo=zoneinfo.ZoneInfo("UTC")), django_capture_on_commit_callbacks)
    before = statuses(festival, promotion)
    tick_at(datetime(2026, 4, 27, 16, 0, 0, tzinfo=zoneinfo.ZoneInfo("UTC")), django_capture_on_commit_callbacks)
    at_local_midnight = statuses(festival, promotion)

    assert before == [F.REGISTRATION, S.APPROVED]
    assert at_local_midnight == [F.RUNNING, S.LIVE]
    assert promotion.went_live_at < utc_midnight_of_the_local_day


def test_promotion_goes_live_at_start_and_ends_at_end(festival, published, django_capture_on_commit_callbacks):
    festival.status = F.RUNNING
    festival.save()
    promotion = PromotionFactory(
        festival=festival, approved=True, starts_at=local(2026, 5, 1, 20, 0), ends_at=local(2026, 5, 1, 23, 59, 59)
    )

    trail = []
    for moment in [promotion.starts_at - SECOND, promotion.starts_at, promotion.ends_at - SECOND, promotion.ends_at]:
        tick_at(moment, django_capture_on_commit_callbacks)
        trail.append(statuses(promotion)[0])

    assert trail == [S.APPROVED, S.LIVE, S.LIVE, S.ENDED]
    assert (promotion.went_live_at, promotion.ended_at) == (promotion.starts_at, promotion.ends_at)
    assert list(promotion.events.values_list("from_status", "to_status")) == [(S.APPROVED, S.LIVE), (S.LIVE, S.ENDED)]
    assert published == [
        ("promotion.live", {"promotion_ids": [promotion.pk]}),
        ("promotion.ended", {"promotion_ids": [promotion.pk]}),
    ]


def test_tick_is_idempotent(festival, published, django_capture_on_commit_callbacks):
    promotion = PromotionFactory(festival=festival, approved=True)
    moment = promotion.starts_at + timedelta(minutes=1)

    first = tick_at(moment, django_capture_on_commit_callbacks)
    second = tick_at(moment, django_capture_on_commit_callbacks)
    third = tick_at(moment + timedelta(seconds=30), django_capture_on_commit_callbacks)

    assert first == {"festivals": 1, "started": 1, "ended": 0}
    assert second == third == {"festivals": 0, "started": 0, "ended": 0}
    assert promotion.events.filter(to_status=S.LIVE).count() == 1
    assert festival.events.count() == 1
    assert [event_type for event_type, _ids in published] == ["festival.opened", "promotion.live"]


def test_catch_up_after_downtime_moves_everything_in_order(festival, published, django_capture_on_commit_callbacks):
    whole_window_missed = PromotionFactory(
        festival=festival, approved=True, starts_at=local(2026, 4, 28, 0, 0), ends_at=local(2026, 4, 29, 0, 0)
    )
    started_while_down = PromotionFactory(
        festival=festival, approved=True, starts_at=local(2026, 4, 29, 0, 0), ends_at=local(2026, 5, 9, 0, 0)
    )
    not_yet = PromotionFactory(
        festival=festival, approved=True, starts_at=local(2026, 5, 9, 12, 0), ends_at=local(2026, 5, 10, 0, 0)
    )
    draft = PromotionFactory(festival=festival, starts_at=local(2026, 4, 28, 0, 0))

    tick_at(local(2026, 5, 2, 10, 0), django_capture_on_commit_callbacks)

    assert statuses(festival, whole_window_missed, started_while_down, not_yet, draft) == [
        F.RUNNING,
        S.ENDED,
        S.LIVE,
        S.APPROVED,
        S.DRAFT,
    ]
    # planned → running directly: the registration step is skipped, not invented
    assert list(festival.events.values_list("from_status", "to_status")) == [(F.PLANNED, F.RUNNING)]
    assert list(whole_window_missed.events.values_list("from_status", "to_status")) == [(S.APPROVED, S.ENDED)]
    assert [event_type for event_type, _ids in published] == ["festival.opened", "promotion.live", "promotion.ended"]


def test_catch_up_after_the_whole_festival_closes_it_once(festival, published, django_capture_on_commit_callbacks):
    tick_at(festival.ends_at + timedelta(days=3), django_capture_on_commit_callbacks)
    tick_at(festival.ends_at + timedelta(days=4), django_capture_on_commit_callbacks)

    assert statuses(festival) == [F.CLOSED]
    assert list(FestivalEvent.objects.values_list("to_status", flat=True)) == [F.CLOSED]
    assert [event_type for event_type, _ids in published] == ["festival.opened", "festival.closed"]


def test_big_windows_move_in_batches_with_one_event_per_batch(festival, published, django_capture_on_commit_callbacks):
    promotions = PromotionFactory.create_batch(7, festival=festival, approved=True)
    now = promotions[0].starts_at

    with django_capture_on_commit_callbacks(execute=True):
        moved = promotion_services.start_due_promotions(now=now, batch_size=3)

    assert moved == 7
    assert [len(ids["promotion_ids"]) for _type, ids in published] == [3, 3, 1]
    assert sorted(pk for _type, ids in published for pk in ids["promotion_ids"]) == sorted(p.pk for p in promotions)
    assert PromotionEvent.objects.filter(to_status=S.LIVE).count() == 7


def test_withdrawn_and_cancelled_promotions_never_go_live(festival, django_capture_on_commit_callbacks):
    withdrawn = PromotionFactory(festival=festival, withdrawn=True)
    cancelled = PromotionFactory(festival=festival, cancelled=True)
    submitted = PromotionFactory(festival=festival, submitted=True)

    tick_at(withdrawn.starts_at + SECOND, django_capture_on_commit_callbacks)

    assert statuses(withdrawn, cancelled, submitted) == [S.WITHDRAWN, S.CANCELLED, S.SUBMITTED]


def test_a_second_record_of_the_same_move_is_refused_by_the_database(festival):
    promotion = PromotionFactory(festival=festival, live=True)
    PromotionEvent.objects.create(promotion=promotion, from_status=S.APPROVED, to_status=S.LIVE)

    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        PromotionEvent.objects.create(promotion=promotion, from_status=S.APPROVED, to_status=S.LIVE)


def test_tick_exits_at_once_when_another_holds_the_lock(festival, django_capture_on_commit_callbacks):
    promotion = PromotionFactory(festival=festival, approved=True)
    holding, release, outcome = threading.Event(), threading.Event(), {}

    def other_worker():
        try:
            with locks.exclusive(CLOCK_LOCK) as acquired:
                outcome["other"] = acquired
                holding.set()
                release.wait(10)
        finally:
            connection.close()
            holding.set()

    thread = threading.Thread(target=other_worker)
    thread.start()
    holding.wait(10)
    try:
        result = tick_at(promotion.starts_at + SECOND, django_capture_on_commit_callbacks)
    finally:
        release.set()
        thread.join(10)
    after = tick_at(promotion.starts_at + SECOND, django_capture_on_commit_callbacks)

    assert outcome["other"] is True
    assert result is None
    assert after["started"] == 1
    assert statuses(promotion) == [S.LIVE]


def test_clock_task_acks_late_and_retries_transient_errors_with_back_off():
    assert sync_festival_clock.acks_late is True
    assert OperationalError in sync_festival_clock.autoretry_for
    assert sync_festival_clock.retry_backoff and sync_festival_clock.max_retries


def test_clock_task_runs_the_tick(festival, django_capture_on_commit_callbacks):
    with time_machine.travel(festival.starts_at, tick=False), django_capture_on_commit_callbacks(execute=True):
        result = sync_festival_clock.apply().get()

    assert result == {"festivals": 1, "started": 0, "ended": 0}
    assert statuses(festival) == [F.RUNNING]


def test_default_periodic_tasks_are_installed_for_the_admin():
    from django_celery_beat.models import PeriodicTask

    tasks = {t.task: t for t in PeriodicTask.objects.select_related("interval", "crontab")}

    clock = tasks["festival.sync_festival_clock"]
    assert (clock.interval.every, clock.interval.period, clock.enabled) == (30, "seconds", True)
    for name, (minute, hour) in {
        "promotions.roll_up_daily_results": ("10", "0"),
        "promotions.send_reviewer_digest": ("0", "8"),
        "promotions.send_deadline_reminders": ("5", "*"),
    }.items():
        crontab = tasks[name].crontab
        assert (crontab.minute, crontab.hour, str(crontab.timezone)) == (minute, hour, "Asia/Shanghai")


def test_one_tick_uses_one_moment_so_a_shared_boundary_moves_together(
    festival, monkeypatch, django_capture_on_commit_callbacks
):
    festival.status = F.REGISTRATION
    festival.save()
    promotion = PromotionFactory(festival=festival, approved=True, starts_at=festival.starts_at)
    moments = iter(festival.starts_at + n * SECOND for n in range(-1, 100))  # time runs on during the tick
    monkeypatch.setattr("django.utils.timezone.now", lambda: next(moments))

    with django_capture_on_commit_callbacks(execute=True):
        run_clock_tick()

    assert statuses(festival, promotion) == [F.REGISTRATION, S.APPROVED]
