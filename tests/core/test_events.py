import pytest

from core import events
from core.events import DomainEvent


@pytest.mark.django_db
def test_publish_on_commit_refuses_a_name_outside_the_vocabulary(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(ValueError):
        events.publish_on_commit("promotion.teleported", promotion_id=1)

    assert callbacks == []


def test_of_status_names_the_event_of_a_status_change():
    assert DomainEvent.of_status("promotion", "live") is DomainEvent.PROMOTION_LIVE
    with pytest.raises(ValueError):
        DomainEvent.of_status("promotion", "draft")


@pytest.mark.django_db
def test_handlers_receive_the_event_after_commit(django_capture_on_commit_callbacks, monkeypatch):
    received = []
    monkeypatch.setattr(events, "_handlers", [lambda event, **ids: received.append((event, ids))])

    with django_capture_on_commit_callbacks(execute=True):
        events.publish_on_commit(DomainEvent.FESTIVAL_OPENED, festival_id=7)
        assert received == []

    assert received == [(DomainEvent.FESTIVAL_OPENED, {"festival_id": 7})]
