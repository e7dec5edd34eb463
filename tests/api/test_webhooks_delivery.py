"""Webhooks: payloads, signing, publishing and delivery with retries (fake HTTP)."""

import json
import time
import uuid
from datetime import datetime, timedelta

import pytest
import requests
from django.urls import reverse
from django.utils import timezone

from api import webhooks
from api.models import (
    DeliveryStatus,
    SubscriptionState,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)
from api.tasks import task_deliver_webhook
from core.models import OutboxMessage
from festival.services import advance_festivals
from promotions import services as promotion_services
from tests.factories import FestivalFactory, PromotionFactory, ReviewerFactory, SuperuserFactory

pytestmark = pytest.mark.django_db


class FakeResponse:
    def __init__(self, status_code):
        self.status_code = status_code


@pytest.fixture
def http(monkeypatch):
    """Answers in order (an int status or an exception); records every request."""
    calls, answers = [], []

    def post(url, body, headers):
        calls.append({"url": url, "body": body, "headers": headers})
        answer = answers.pop(0) if answers else 200
        if isinstance(answer, Exception):
            raise answer
        return FakeResponse(answer)

    monkeypatch.setattr(webhooks, "_post", post)
    post.calls, post.answers = calls, answers
    return post


@pytest.fixture(autouse=True)
def _webhook_settings(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    settings.WEBHOOK_MAX_ATTEMPTS = 4
    settings.WEBHOOK_RETRY_BASE_SECONDS = 10
    settings.WEBHOOK_RETRY_MAX_SECONDS = 60


def subscription(events=("promotion.live",), **fields):
    return WebhookSubscription.objects.create(url="http://127.0.0.1:9/hook", events=list(events), **fields)


def delivery_for(sub, promotion=None):
    promotion = promotion or PromotionFactory(live=True)
    return WebhookDelivery.objects.get(pk=webhooks.publish_event("promotion.live", [promotion.pk])[0])


def test_sign_matches_the_documented_recipe():
    import hashlib
    import hmac

    body = b'{"id":"x","type":"promotion.live"}'

    signature = webhooks.sign("whsec_test", 1700000000, body)

    expected = hmac.new(b"whsec_test", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert signature == expected


def test_verify_signature_refuses_a_changed_body_an_old_timestamp_and_a_wrong_secret():
    body, now = b'{"a":1}', int(time.time())
    good = "v1=" + webhooks.sign("s3cret", now, body)

    assert webhooks.verify_signature("s3cret", str(now), body, good)
    assert not webhooks.verify_signature("s3cret", str(now), b'{"a":2}', good)
    assert not webhooks.verify_signature("other", str(now), body, good)
    assert not webhooks.verify_signature(
        "s3cret", str(now - 3600), body, "v1=" + webhooks.sign("s3cret", now - 3600, body)
    )
    assert not webhooks.verify_signature("s3cret", "not-a-number", body, good)


def test_publish_stores_one_delivery_per_matching_active_subscription():
    listening = subscription(events=["promotion.live", "promotion.ended"])
    subscription(events=["festival.opened"])
    subscription(active=False)
    subscription(state=SubscriptionState.DISABLED)
    promotion = PromotionFactory(live=True)

    created = webhooks.publish_event("promotion.live", [promotion.pk])

    delivery = WebhookDelivery.objects.get()
    assert created == [delivery.pk]
    assert delivery.subscription == listening
    assert set(delivery.payload) == {"id", "type", "created", "data"}
    assert delivery.payload["type"] == "promotion.live"
    assert delivery.payload["id"] == str(delivery.event_id)
    assert delivery.payload["data"]["id"] == promotion.pk
    assert delivery.payload["data"]["status"] == "live"
    assert delivery.payload["data"]["festival"] == promotion.festival.slug


def test_publish_twice_stores_and_sends_nothing_new():
    subscription()
    promotion = PromotionFactory(live=True)
    webhooks.publish_event("promotion.live", [promotion.pk])

    again = webhooks.publish_event("promotion.live", [promotion.pk])

    assert again == []
    assert WebhookDelivery.objects.count() == 1


def test_withdrawn_draft_is_not_news_for_partners():
    subscription(events=["promotion.withdrawn"])
    draft = PromotionFactory()
    promotion_services.withdraw_promotion(draft)

    assert webhooks.publish_event("promotion.withdrawn", [draft.pk]) == []


def test_withdrawing_a_live_promotion_is_delivered(http, django_capture_on_commit_callbacks):
    sub = subscription(events=["promotion.withdrawn"])
    promotion = PromotionFactory(live=True)

    with django_capture_on_commit_callbacks(execute=True):
        promotion_services.withdraw_promotion(promotion)

    delivery = WebhookDelivery.objects.get(subscription=sub)
    assert delivery.status == DeliveryStatus.SUCCEEDED
    assert json.loads(http.calls[0]["body"])["data"]["status"] == "withdrawn"


def test_approving_through_the_service_delivers_after_commit(http, django_capture_on_commit_callbacks):
    sub = subscription(events=["promotion.approved"])
    promotion = PromotionFactory(submitted=True)

    with django_capture_on_commit_callbacks(execute=True):
        promotion_services.approve_promotion(promotion, by=ReviewerFactory())

    delivery = WebhookDelivery.objects.get(subscription=sub)
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SUCCEEDED, 1)
    assert len(http.calls) == 1


def test_festival_opening_is_delivered_with_the_festival(http, django_capture_on_commit_callbacks):
    sub = subscription(events=["festival.opened"])
    festival = FestivalFactory()

    with django_capture_on_commit_callbacks(execute=True):
        advance_festivals(now=festival.starts_at)

    payload = WebhookDelivery.objects.get(subscription=sub).payload
    assert payload["type"] == "festival.opened"
    assert payload["data"]["slug"] == festival.slug
    assert payload["data"]["status"] == "running"


def test_nothing_is_enqueued_when_nobody_listens():
    subscription(events=["festival.closed"])

    webhooks.on_domain_event("promotion.live", promotion_ids=[1, 2])
    webhooks.on_domain_event("promotion.changes_requested", promotion_id=3)

    assert not OutboxMessage.objects.exists()


def test_a_big_batch_event_is_published_in_bounded_tasks():
    subscription()

    webhooks.on_domain_event("promotion.live", promotion_ids=list(range(1, 1201)))

    enqueued = OutboxMessage.objects.filter(task="api.publish_webhook_event").order_by("pk")
    assert [len(message.kwargs["object_ids"]) for message in enqueued] == [500, 500, 200]


def test_delivery_success_is_signed_and_logged(http):
    sub = subscription()
    delivery = delivery_for(sub)

    outcome = webhooks.deliver(delivery_id=delivery.pk, attempt=1)

    delivery.refresh_from_db()
    request = http.calls[0]
    headers = request["headers"]
    assert outcome.status == DeliveryStatus.SUCCEEDED and outcome.retry_in is None
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (DeliveryStatus.SUCCEEDED, 1, 200)
    assert delivery.delivered_at is not None
    assert webhooks.verify_signature(
        sub.secret, headers["X-Festival-Timestamp"], request["body"], headers["X-Festival-Signature"]
    )
    assert json.loads(request["body"]) == delivery.payload
    assert headers["X-Festival-Event"] == "promotion.live"
    assert list(WebhookAttempt.objects.values_list("status_code", flat=True)) == [200]


def test_failed_attempt_schedules_a_retry_with_exponential_back_off(http):
    sub = subscription()
    delivery = delivery_for(sub)
    http.answers.extend([500, requests.ConnectionError("refused")])

    first = webhooks.deliver(delivery_id=delivery.pk, attempt=1)
    second = webhooks.deliver(delivery_id=delivery.pk, attempt=2)

    delivery.refresh_from_db()
    assert (first.status, second.status) == (DeliveryStatus.FAILED, DeliveryStatus.FAILED)
    assert 9 <= first.retry_in <= 11
    assert 18 <= second.retry_in <= 22
    assert (delivery.attempts, delivery.last_status_code) == (2, None)
    assert "refused" in delivery.last_error
    assert list(WebhookAttempt.objects.values_list("status_code", flat=True)) == [500, None]


def test_back_off_doubles_and_is_capped():
    waits = [webhooks.backoff_seconds(attempt) for attempt in range(1, 7)]

    assert [round(w / 10) * 10 for w in waits[:3]] == [10, 20, 40]
    assert max(waits) <= 66


def test_gives_up_after_max_attempts_and_marks_the_subscription_failing(http):
    sub = subscription()
    delivery = delivery_for(sub)
    http.answers.extend([503] * 4)

    outcomes = [webhooks.deliver(delivery_id=delivery.pk, attempt=n) for n in range(1, 5)]

    delivery.refresh_from_db()
    sub.refresh_from_db()
    assert [o.status for o in outcomes] == ["failed", "failed", "failed", "gave_up"]
    assert outcomes[-1].retry_in is None
    assert delivery.status == DeliveryStatus.GAVE_UP
    assert (sub.state, sub.consecutive_failures, sub.active) == (SubscriptionState.FAILING, 1, True)
    assert WebhookAttempt.objects.count() == 4


def test_410_gone_disables_the_subscription_at_once(http):
    sub = subscription()
    delivery = delivery_for(sub)
    http.answers.append(410)

    outcome = webhooks.deliver(delivery_id=delivery.pk, attempt=1)

    sub.refresh_from_db()
    assert outcome.status == DeliveryStatus.GAVE_UP and outcome.retry_in is None
    assert (sub.state, sub.active) == (SubscriptionState.DISABLED, False)
    assert webhooks.publish_event("promotion.live", [PromotionFactory(live=True).pk]) == []


def test_a_duplicate_task_for_the_same_attempt_sends_nothing(http):
    delivery = delivery_for(subscription())
    webhooks.deliver(delivery_id=delivery.pk, attempt=1)

    duplicate = webhooks.deliver(delivery_id=delivery.pk, attempt=1)

    assert duplicate is None
    assert len(http.calls) == 1


def test_private_target_is_refused_right_before_delivery(http, settings):
    sub = subscription()
    delivery = delivery_for(sub)
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False

    outcome = webhooks.deliver(delivery_id=delivery.pk, attempt=1)

    delivery.refresh_from_db()
    assert outcome.status == DeliveryStatus.GAVE_UP
    assert http.calls == []
    assert "private" in delivery.last_error or "loopback" in delivery.last_error
    assert WebhookAttempt.objects.get().status_code is None


def test_task_retries_until_the_receiver_answers(http):
    from festival.celery import app

    app.conf.task_eager_propagates = False  # let eager retries chain (conftest restores it)
    delivery = delivery_for(subscription())
    http.answers.extend([500, 500, 200])

    task_deliver_webhook.apply(kwargs={"delivery_id": delivery.pk, "attempt": 1}, throw=False)

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SUCCEEDED, 3)
    assert list(WebhookAttempt.objects.values_list("status_code", flat=True)) == [500, 500, 200]
    event_ids = {call["headers"]["X-Festival-Event-Id"] for call in http.calls}
    assert event_ids == {str(delivery.event_id)}


def test_redeliver_starts_a_fresh_round_and_keeps_the_log(http, django_capture_on_commit_callbacks):
    sub = subscription()
    delivery = delivery_for(sub)
    http.answers.extend([503] * 4)
    for attempt in range(1, 5):
        webhooks.deliver(delivery_id=delivery.pk, attempt=attempt)

    with django_capture_on_commit_callbacks(execute=True):
        queued = webhooks.redeliver(delivery)

    delivery.refresh_from_db()
    assert queued is True
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SUCCEEDED, 1)
    assert WebhookAttempt.objects.filter(delivery=delivery).count() == 5


def test_redeliver_is_refused_for_a_disabled_subscription(http):
    sub = subscription()
    delivery = delivery_for(sub)
    sub.state, sub.active = SubscriptionState.DISABLED, False
    sub.save()

    assert webhooks.redeliver(delivery) is False


def test_admin_shows_attempts_and_redelivers(client, http, django_capture_on_commit_callbacks, settings, tmp_path):
    settings.STATIC_ROOT = tmp_path  # whitenoise warns about a missing collectstatic folder
    delivery = delivery_for(subscription())
    http.answers.append(500)
    webhooks.deliver(delivery_id=delivery.pk, attempt=1)
    client.force_login(SuperuserFactory())

    page = client.get(reverse("admin:api_webhookdelivery_change", args=[delivery.pk]))
    listing = client.get(reverse("admin:api_webhookdelivery_changelist"))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:api_webhookdelivery_changelist"),
            {"action": "redeliver", "_selected_action": [delivery.pk]},
            follow=True,
        )

    delivery.refresh_from_db()
    assert page.status_code == listing.status_code == 200
    assert "500" in page.content.decode()
    assert "queued again" in response.content.decode()
    assert delivery.status == DeliveryStatus.SUCCEEDED
    assert WebhookAttempt.objects.filter(delivery=delivery).count() == 2


def test_event_ids_are_stable_per_occurrence():
    assert webhooks.event_id("promotion.live", 7) == webhooks.event_id("promotion.live", 7)
    assert webhooks.event_id("promotion.live", 7) != webhooks.event_id("promotion.ended", 7)
    assert isinstance(webhooks.event_id("promotion.live", 7), uuid.UUID)


@pytest.mark.parametrize("count", [1, 20])
def test_publishing_a_batch_takes_a_bounded_number_of_queries(count, django_assert_max_num_queries):
    subscription()
    subscription()
    festival = FestivalFactory()
    ids = [PromotionFactory(festival=festival, live=True).pk for _ in range(count)]

    with django_assert_max_num_queries(10):
        created = webhooks.publish_event("promotion.live", ids)

    assert len(created) == 2 * count


def test_payload_created_is_when_the_event_happened():
    subscription()
    promotion = PromotionFactory(live=True)
    promotion.went_live_at = promotion.starts_at
    promotion.save()

    webhooks.publish_event("promotion.live", [promotion.pk])

    created = WebhookDelivery.objects.get().payload["created"]
    assert datetime.fromisoformat(created) == promotion.starts_at
    assert created.endswith("+08:00")  # shown like the API shows times: Asia/Shanghai with offset


# The sweep for stalled deliveries ------------------------------------------------------


def test_a_failed_attempt_records_when_the_next_one_is_due_and_a_final_answer_clears_it(http):
    delivery = delivery_for(subscription())
    http.answers.extend([500, 200])

    outcome = webhooks.deliver(delivery_id=delivery.pk, attempt=1)
    delivery.refresh_from_db()
    due = delivery.next_attempt_at
    webhooks.deliver(delivery_id=delivery.pk, attempt=2)
    delivery.refresh_from_db()

    assert 9 <= (due - delivery.attempt_log.first().attempted_at).total_seconds() <= 12  # 10 s ± jitter
    assert outcome.retry_in is not None
    assert delivery.status == DeliveryStatus.SUCCEEDED and delivery.next_attempt_at is None


def test_sweep_resends_the_next_attempt_of_an_overdue_delivery_once(http, django_capture_on_commit_callbacks, settings):
    settings.WEBHOOK_STALLED_AFTER_SECONDS = 600
    sub = subscription()
    lost = delivery_for(sub)
    http.answers.append(500)
    webhooks.deliver(delivery_id=lost.pk, attempt=1)  # its retry is then lost with the worker
    WebhookDelivery.objects.filter(pk=lost.pk).update(next_attempt_at=timezone.now() - timedelta(hours=1))
    fresh = delivery_for(sub, PromotionFactory(live=True))  # just created: its first attempt is still queued
    http.calls.clear()

    with django_capture_on_commit_callbacks(execute=True):
        resent = webhooks.resend_stalled_deliveries()
    again = webhooks.resend_stalled_deliveries()

    lost.refresh_from_db()
    assert (resent, again) == (1, 0)
    assert [call["url"] for call in http.calls] == [sub.url]  # attempt 2 of the lost one, nothing for the fresh one
    assert lost.status == DeliveryStatus.SUCCEEDED and lost.attempts == 2
    assert WebhookDelivery.objects.get(pk=fresh.pk).attempts == 0


def test_sweep_leaves_succeeded_and_given_up_deliveries_alone(http):
    sub = subscription()
    done, given_up = delivery_for(sub), delivery_for(sub, PromotionFactory(live=True))
    webhooks.deliver(delivery_id=done.pk, attempt=1)
    WebhookDelivery.objects.filter(pk=given_up.pk).update(status=DeliveryStatus.GAVE_UP, next_attempt_at=None)
    WebhookDelivery.objects.update(created_at=timezone.now() - timedelta(days=1))

    assert webhooks.resend_stalled_deliveries(now=timezone.now() + timedelta(days=1)) == 0
