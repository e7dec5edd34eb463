"""The transactional outbox (core/outbox.py): rows written with the change, relayed
after commit, kept when the broker is away, sent once however many relays run."""

import time
from pathlib import Path

import pytest
from django.db import transaction

from core import logs, outbox
from core.events import DomainEvent, publish_on_commit
from core.models import OutboxMessage
from core.tasks import enqueue_on_commit
from festival.celery import app
from tests.outages import race


@pytest.fixture
def real_broker(tmp_path):
    """Not eager: a filesystem broker in a folder of the test's own; yields the folder messages land in."""
    folder = tmp_path / "broker"
    for name in ("out", "processed", "control"):
        (folder / name).mkdir(parents=True)
    saved = app.conf.task_always_eager, app.conf.broker_url, app.conf.broker_transport_options
    app.conf.task_always_eager = False
    app.conf.broker_url = "filesystem://"
    app.conf.broker_transport_options = {
        "data_folder_in": str(folder / "out"),
        "data_folder_out": str(folder / "out"),
        "processed_folder": str(folder / "processed"),
        "control_folder": str(folder / "control"),
    }
    outbox._paused_until = 0.0
    outbox.forget_connection()
    yield folder / "out"
    app.conf.task_always_eager, app.conf.broker_url, app.conf.broker_transport_options = saved
    outbox._paused_until = 0.0
    outbox.forget_connection()


def sent_messages(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


@pytest.mark.django_db
def test_the_row_is_written_inside_the_transaction_with_the_request_id(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks, logs.bound("req-1"), transaction.atomic():
        enqueue_on_commit("promotions.send_reviewer_digest")
        enqueue_on_commit("promotions.send_deadline_reminders")
        inside = list(OutboxMessage.objects.values_list("task", "request_id", "sent_at"))

    assert inside == [
        ("promotions.send_reviewer_digest", "req-1", None),
        ("promotions.send_deadline_reminders", "req-1", None),
    ]
    assert len(callbacks) == 1  # one kick for the transaction


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_change_leaves_no_row_and_sends_nothing(real_broker):
    with pytest.raises(RuntimeError), transaction.atomic():
        enqueue_on_commit("promotions.send_reviewer_digest")
        raise RuntimeError("the change failed")

    assert not OutboxMessage.objects.exists()
    assert sent_messages(real_broker) == []


@pytest.mark.django_db(transaction=True)
def test_events_are_written_by_in_transaction_handlers_and_roll_back_with_the_change(real_broker):
    from promotions.notifications import on_domain_event  # noqa: F401  (subscribed in PromotionsConfig.ready)

    with pytest.raises(RuntimeError), transaction.atomic():
        publish_on_commit(DomainEvent.PROMOTION_APPROVED, promotion_id=1)
        assert OutboxMessage.objects.filter(task="promotions.notify").exists()
        raise RuntimeError("the approval failed")

    assert not OutboxMessage.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_after_commit_the_kick_sends_the_rows_once(real_broker):
    with transaction.atomic():
        enqueue_on_commit("promotions.send_reviewer_digest")
        enqueue_on_commit("promotions.send_deadline_reminders")

    assert len(sent_messages(real_broker)) == 2
    assert OutboxMessage.objects.filter(sent_at__isnull=True).count() == 0
    assert list(OutboxMessage.objects.values_list("attempts", flat=True)) == [1, 1]
    assert outbox.relay() == 0  # nothing is sent twice
    assert len(sent_messages(real_broker)) == 2


@pytest.mark.django_db(transaction=True)
def test_with_the_broker_down_the_commit_does_not_wait_and_the_rows_wait(broker_down):
    started = time.monotonic()
    with transaction.atomic():
        enqueue_on_commit("promotions.send_reviewer_digest")
    first = time.monotonic() - started
    started = time.monotonic()
    with transaction.atomic():
        enqueue_on_commit("promotions.send_deadline_reminders")
    second = time.monotonic() - started

    assert first < 1.0 and second < 0.5
    assert OutboxMessage.objects.filter(sent_at__isnull=True).count() == 2
    assert outbox._paused_until > time.monotonic()  # the second kick did not even try
    assert outbox.relay_all() == 0  # the periodic relay logs and returns


@pytest.mark.django_db(transaction=True)
def test_the_periodic_relay_sends_what_waited_oldest_first(broker_down, tmp_path):
    with transaction.atomic():
        for n in range(3):
            enqueue_on_commit("promotions.notify", event_type="promotion.live", object_ids=[n])
    folder = tmp_path / "broker"
    for name in ("out", "processed", "control"):
        (folder / name).mkdir(parents=True)
    app.conf.broker_url = "filesystem://"
    app.conf.broker_transport_options = {"data_folder_in": str(folder / "out"), "data_folder_out": str(folder / "out")}
    outbox.forget_connection()

    sent = outbox.relay_all()

    assert sent == 3
    assert len(sent_messages(folder / "out")) == 3
    assert not OutboxMessage.objects.filter(sent_at__isnull=True).exists()
    assert outbox.relay_all() == 0


@pytest.mark.django_db(transaction=True)
def test_two_relays_at_once_send_each_row_once(real_broker):
    OutboxMessage.objects.bulk_create(
        OutboxMessage(task="promotions.notify", kwargs={"event_type": "promotion.live", "object_ids": [n]})
        for n in range(300)
    )
    counts, errors = race(outbox.relay)

    assert errors == []
    assert sum(counts) == 300
    assert len(sent_messages(real_broker)) == 300
    assert set(OutboxMessage.objects.values_list("attempts", flat=True)) == {1}


@pytest.mark.django_db
def test_eager_mode_runs_the_task_in_process(django_capture_on_commit_callbacks, mailoutbox):
    with django_capture_on_commit_callbacks(execute=True):
        enqueue_on_commit("promotions.send_reviewer_digest")

    message = OutboxMessage.objects.get()
    assert message.sent_at is not None and message.attempts == 1
