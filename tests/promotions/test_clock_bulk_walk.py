"""Many promotions due at once: after a full first batch the clock walks the rest in
primary-key order (promotions.services._move_due), so each batch touches
neighbouring rows. The records it writes are those of a single batch in index order,
the way the clock always moved them; a last pass in index order picks up what the
walk passed over."""

from datetime import timedelta

import pytest
from django.db import transaction

from core import events
from promotions import services
from promotions.models import Promotion, PromotionEvent, PromotionStatus
from tests.factories import FestivalFactory, PromotionFactory

pytestmark = pytest.mark.django_db

S = PromotionStatus
DUE = 11


@pytest.fixture
def published(monkeypatch):
    seen = []
    monkeypatch.setattr(events, "_handlers", [lambda event_type, **ids: seen.append((event_type, ids))])
    return seen


@pytest.fixture
def window():
    """11 approved promotions due at ``now`` whose start order runs against their key
    order (the first created started last), beside some that must not move: one
    submitted with a lower key than all of them, one approved for later, one live."""
    festival = FestivalFactory()
    now = festival.starts_at + timedelta(days=1, hours=1)
    submitted = PromotionFactory(festival=festival, submitted=True, starts_at=now - timedelta(hours=2))
    due = PromotionFactory.create_batch(DUE, festival=festival, approved=True)
    for n, promotion in enumerate(due):
        promotion.starts_at = now - timedelta(minutes=n + 1)
        promotion.save(update_fields=["starts_at"])
    later = PromotionFactory(festival=festival, approved=True, starts_at=now + timedelta(hours=1))
    live = PromotionFactory(festival=festival, live=True, starts_at=now - timedelta(days=1))
    return now, due, [submitted, later, live]


def records():
    """Every promotion's moved columns and every status change, keyed so two runs compare."""
    promotions = list(
        Promotion.objects.order_by("pk").values_list("pk", "status", "went_live_at", "ended_at", "updated_at")
    )
    history = sorted(
        PromotionEvent.objects.values_list("promotion_id", "from_status", "to_status", "actor_id", "note", "created_at")
    )
    return promotions, history


def run(now, batch_size):
    with transaction.atomic():
        moved = services.start_due_promotions(now=now, batch_size=batch_size)
        written = records()
        transaction.set_rollback(True)
    return moved, written


def test_the_walk_in_key_order_writes_the_records_of_one_batch_in_index_order(window):
    now, due, untouched = window
    before = records()

    moved_at_once, at_once = run(now, batch_size=1000)  # one batch: the index order, as always
    moved_walking, walking = run(now, batch_size=3)  # a full first batch, then the walk

    assert moved_at_once == moved_walking == DUE
    assert walking == at_once
    promotions, history = walking
    moved = {pk: row for pk, *row in promotions if pk in {p.pk for p in due}}
    assert all(row == [S.LIVE, now, None, now] for row in moved.values())
    assert [row for row in promotions if row[0] in {p.pk for p in untouched}] == [
        row for row in before[0] if row[0] in {p.pk for p in untouched}
    ]
    assert sorted(history) == sorted(before[1] + [(p.pk, S.APPROVED, S.LIVE, None, "", now) for p in due])


def test_after_a_full_first_batch_the_rest_move_in_key_order_each_once(
    window, published, django_capture_on_commit_callbacks
):
    now, due, _untouched = window
    by_start = sorted(due, key=lambda p: (p.starts_at, p.pk))
    by_key = sorted(due, key=lambda p: p.pk)

    with django_capture_on_commit_callbacks(execute=True):
        moved = services.start_due_promotions(now=now, batch_size=3)

    first = [p.pk for p in by_start[:3]]
    rest = [p.pk for p in by_key if p.pk not in first]
    assert moved == DUE
    assert [sorted(ids["promotion_ids"]) for _type, ids in published] == [
        sorted(first),
        rest[0:3],
        rest[3:6],
        rest[6:8],
    ]
    assert PromotionEvent.objects.filter(to_status=S.LIVE).count() == DUE


def test_a_promotion_the_walk_passed_over_moves_in_the_last_pass(
    window, monkeypatch, published, django_capture_on_commit_callbacks
):
    now, _due, untouched = window
    # Approved while the walk is past it: its key is lower than every due one's.
    straggler_pk = untouched[0].pk
    original = {name: getattr(services, name) for name in ("_move_batch", "_move_batch_postgresql")}
    calls = []

    def approving_meanwhile(name):
        def move_batch(*args, **kwargs):
            calls.append(name)
            if len(calls) == 3:  # the walk's second batch: its key is past the straggler's
                Promotion.objects.filter(pk=straggler_pk).update(status=S.APPROVED)
            return original[name](*args, **kwargs)

        return move_batch

    for name in original:
        monkeypatch.setattr(services, name, approving_meanwhile(name))

    with django_capture_on_commit_callbacks(execute=True):
        moved = services.start_due_promotions(now=now, batch_size=3)

    assert moved == DUE + 1
    assert Promotion.objects.get(pk=straggler_pk).status == S.LIVE
    assert list(PromotionEvent.objects.filter(promotion_id=straggler_pk).values_list("from_status", "to_status")) == [
        (S.APPROVED, S.LIVE)
    ]
    assert [ids["promotion_ids"] for _type, ids in published][-1] == [straggler_pk]


def test_a_batch_writes_its_notification_and_webhook_chunks_in_one_insert_each(window, monkeypatch):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from api import webhooks
    from api.models import WebhookSubscription
    from core.models import OutboxMessage
    from promotions import tasks

    now, due, _untouched = window
    WebhookSubscription.objects.create(url="https://partner.example/hooks", events=["promotion.live"])
    monkeypatch.setattr(tasks, "NOTIFY_BATCH", 4)
    monkeypatch.setattr(webhooks, "PUBLISH_BATCH", 5)

    with CaptureQueriesContext(connection) as queries:
        services.start_due_promotions(now=now, batch_size=DUE)

    rows = list(OutboxMessage.objects.order_by("pk").values_list("task", "kwargs"))
    assert [(task, kwargs["event_type"], len(kwargs["object_ids"])) for task, kwargs in rows] == [
        ("promotions.notify", "promotion.live", 4),
        ("promotions.notify", "promotion.live", 4),
        ("promotions.notify", "promotion.live", 3),
        ("api.publish_webhook_event", "promotion.live", 5),
        ("api.publish_webhook_event", "promotion.live", 5),
        ("api.publish_webhook_event", "promotion.live", 1),
    ]
    notified = [pk for _task, kwargs in rows[:3] for pk in kwargs["object_ids"]]
    published = [pk for _task, kwargs in rows[3:] for pk in kwargs["object_ids"]]
    assert notified == published and sorted(notified) == sorted(p.pk for p in due)
    inserts = [q["sql"] for q in queries.captured_queries if q["sql"].startswith('INSERT INTO "core_outboxmessage"')]
    assert len(inserts) == 2
