"""Webhooks: turn domain events into signed deliveries to partners' subscriptions.

Flow: a service publishes an event → ``on_domain_event`` (subscribed in
ApiConfig.ready, run inside the service's transaction) enqueues
``api.publish_webhook_event`` for batches of ids through the outbox
→ ``publish_event`` stores one WebhookDelivery per matching subscription and
object → ``api.deliver_webhook`` POSTs each with retries (``deliver``).

The recipe a receiver uses to check a delivery is in docs/webhooks.md:
``signature = hex(HMAC-SHA256(secret, f"{timestamp}.{body}"))``.
"""

import hashlib
import hmac
import json
import logging
import random
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from core.outbox import enqueue_many
from core.tasks import enqueue_many_on_commit, enqueue_on_commit

from .models import (
    DeliveryStatus,
    SubscriptionState,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
)
from .webhook_targets import validate_webhook_url

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Festival-Signature"
TIMESTAMP_HEADER = "X-Festival-Timestamp"
EVENT_HEADER = "X-Festival-Event"
EVENT_ID_HEADER = "X-Festival-Event-Id"
USER_AGENT = "FestivalDesk-Webhooks/1.0"
# Stable namespace for event ids: the same occurrence always gets the same id,
# so a re-run publish task finds the delivery it already stored.
EVENT_NAMESPACE = uuid.UUID("6f1c2b0e-8a53-4d8e-9f0b-2f0c6c7d9a11")
# Objects per publish task: a festival opening 200,000 promotions enqueues a
# few hundred publish tasks instead of 200,000.
PUBLISH_BATCH = 500

WEBHOOK_EVENTS = frozenset(WebhookEvent.values)


# Payloads -------------------------------------------------------------------


def festival_data(festival) -> dict:
    """The festival as the API shows it."""
    from .serializers import FestivalSerializer

    return FestivalSerializer(festival).data


def promotion_data(promotion) -> dict:
    """The promotion as the API shows it."""
    from .serializers import PromotionSerializer

    return PromotionSerializer(promotion).data


def report_data(report) -> dict:
    """The report as the API shows it (no code, email, IP hash or screenshot)."""
    from .serializers.reports import PriceReportSerializer

    return PriceReportSerializer(report).data


def _objects(event_type, ids):
    """The objects the event is about, with what the payload needs, keyed by id."""
    if event_type.startswith("report."):
        from reports.models import PriceReport

        return PriceReport.objects.select_related("item__product").in_bulk(ids), report_data
    if event_type.startswith("festival."):
        from festival.models import Festival

        return Festival.objects.prefetch_related("organisers").in_bulk(ids), festival_data
    from promotions.models import PUBLIC_STATUSES, Promotion, PromotionEvent

    from .selectors import attach_promotion_details

    promotions = Promotion.objects.filter(pk__in=ids).select_related("festival", "merchant")
    if event_type == WebhookEvent.PROMOTION_WITHDRAWN:
        # Partners only ever saw public promotions; a withdrawn draft is no news to them.
        was_public = PromotionEvent.objects.filter(
            promotion_id__in=ids, to_status="withdrawn", from_status__in=PUBLIC_STATUSES
        ).values_list("promotion_id", flat=True)
        promotions = promotions.filter(pk__in=was_public)
    else:
        promotions = promotions.filter(status__in=PUBLIC_STATUSES | {"withdrawn", "cancelled"})
    promotions = list(promotions)
    attach_promotion_details(promotions)  # categories and items of the whole batch in two queries
    return {p.pk: p for p in promotions}, promotion_data


# When each event happened, read from the object (so a re-published event keeps its time).
OCCURRED_AT = {
    WebhookEvent.FESTIVAL_OPENED: "opened_at",
    WebhookEvent.FESTIVAL_CLOSED: "closed_at",
    WebhookEvent.PROMOTION_APPROVED: "reviewed_at",
    WebhookEvent.PROMOTION_LIVE: "went_live_at",
    WebhookEvent.PROMOTION_ENDED: "ended_at",
    WebhookEvent.PROMOTION_WITHDRAWN: "updated_at",
    WebhookEvent.REPORT_RECEIVED: "created_at",
    WebhookEvent.REPORT_UPHELD: "decided_at",
    WebhookEvent.REPORT_DISMISSED: "decided_at",
}


def _occurred_at(obj, event_type, default):
    return getattr(obj, OCCURRED_AT.get(event_type, ""), None) or default


def event_id(event_type: str, object_id: int) -> uuid.UUID:
    # Every webhook event happens at most once per object (approved, live,
    # ended, withdrawn, opened, closed are one-way), so type + id names it.
    return uuid.uuid5(EVENT_NAMESPACE, f"{event_type}:{object_id}")


def build_payload(*, event_type, object_id, data, created) -> dict:
    return {
        "id": str(event_id(event_type, object_id)),
        "type": event_type,
        "created": timezone.localtime(created).isoformat(),
        "data": data,
    }


def encode_body(payload: dict) -> bytes:
    return json.dumps(payload, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":")).encode()


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """hex HMAC-SHA256 of ``f"{timestamp}.{body}"`` with the subscription secret."""
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def verify_signature(secret: str, timestamp: str, body: bytes, signature: str, *, tolerance=300, now=None) -> bool:
    """What a receiver does (docs/webhooks.md); used by our tests."""
    try:
        stamp = int(timestamp)
    except (TypeError, ValueError):
        return False
    if abs((now or time.time()) - stamp) > tolerance:
        return False
    expected = sign(secret, stamp, body)
    candidates = [part.removeprefix("v1=") for part in (signature or "").split(",")]
    return any(hmac.compare_digest(expected, candidate) for candidate in candidates)


# Publishing -------------------------------------------------------------------


def _subscriptions_for(event_type):
    subscriptions = (
        WebhookSubscription.objects.filter(active=True)
        .exclude(state=SubscriptionState.DISABLED)
        .select_related("api_key", "owner")
    )
    return [s for s in subscriptions if event_type in (s.events or [])]


def _may_receive(subscription, event_type, obj) -> bool:
    """Report events go to keys holding ``reports:read`` (a desk-wide key: every
    report; an organiser's key: its teams' festivals'; a merchant-bound key: its
    merchant's) and to a merchant's own session-made subscriptions; the payload
    never holds personal data."""
    if not event_type.startswith("report."):
        return True
    key = subscription.api_key
    if key is not None:
        from .models import ApiScope

        if not key.has_scope(ApiScope.REPORTS_READ):
            return False
        if key.organiser_id is not None:
            # An organiser's key hears of its teams' festivals' reports only (the same selector as the API).
            from reports.selectors import visible_reports

            from .authentication import KeyUser

            return visible_reports(KeyUser(key)).filter(pk=obj.pk).exists()
        return key.merchant_id in (None, obj.merchant_id)
    membership = getattr(subscription.owner, "membership", None) if subscription.owner_id else None
    return membership is not None and membership.merchant_id == obj.merchant_id


def wants(event_type: str) -> bool:
    return event_type in WEBHOOK_EVENTS and bool(_subscriptions_for(event_type))


def on_domain_event(event_type, **ids):
    """Event handler (core.events, in the publishing transaction): enqueue publishing,
    through the outbox, for webhook events someone listens to."""
    if not wants(event_type):
        return
    from .tasks import task_publish_webhook_event

    object_ids = ids.get("promotion_ids") or ids.get("festival_ids")
    if object_ids is None:
        object_ids = [ids.get("promotion_id") or ids.get("festival_id") or ids.get("report_id")]
    object_ids = [pk for pk in object_ids if pk is not None]
    enqueue_many_on_commit(
        task_publish_webhook_event,
        [
            {"event_type": str(event_type), "object_ids": object_ids[start : start + PUBLISH_BATCH]}
            for start in range(0, len(object_ids), PUBLISH_BATCH)
        ],
    )


def publish_event(event_type: str, object_ids: list[int], *, now=None) -> list[int]:
    """Store one delivery per matching subscription and object; enqueue each after commit.

    Idempotent: the (subscription, event id) constraint keeps a re-run from
    storing or sending an event twice. Returns the new deliveries' ids.
    """
    if event_type not in WEBHOOK_EVENTS:
        return []
    subscriptions = _subscriptions_for(event_type)
    if not subscriptions:
        return []
    now = now or timezone.now()
    objects, to_data = _objects(event_type, object_ids)
    payloads = {
        pk: build_payload(
            event_type=event_type, object_id=pk, data=to_data(obj), created=_occurred_at(obj, event_type, now)
        )
        for pk, obj in objects.items()
    }
    wanted = {
        (s.pk, uuid.UUID(p["id"]))
        for s in subscriptions
        for pk, p in payloads.items()
        if _may_receive(s, event_type, objects[pk])
    }
    with transaction.atomic():
        existing = set(
            WebhookDelivery.objects.filter(
                subscription__in=subscriptions, event_id__in=[uuid.UUID(p["id"]) for p in payloads.values()]
            ).values_list("subscription_id", "event_id")
        )
        new = [
            WebhookDelivery(
                subscription=subscription,
                event_id=uuid.UUID(payload["id"]),
                event_type=event_type,
                payload=json.loads(encode_body(payload)),
                created_at=now,
            )
            for subscription in subscriptions
            for payload in payloads.values()
            if (subscription.pk, uuid.UUID(payload["id"])) in wanted - existing
        ]
        WebhookDelivery.objects.bulk_create(new, ignore_conflicts=True)
        created = list(
            WebhookDelivery.objects.filter(
                subscription__in=subscriptions,
                event_id__in=[d.event_id for d in new],
                status=DeliveryStatus.PENDING,
                attempts=0,
            ).values_list("pk", flat=True)
        )
        from .tasks import task_deliver_webhook

        enqueue_many(task_deliver_webhook, [{"delivery_id": pk, "attempt": 1} for pk in created])
    return created


def _enqueue_delivery(delivery_id, *, attempt):
    from .tasks import task_deliver_webhook

    enqueue_on_commit(task_deliver_webhook, delivery_id=delivery_id, attempt=attempt)


# Delivering -------------------------------------------------------------------


@dataclass
class Outcome:
    status: str
    retry_in: float | None = None  # seconds until the next attempt, when one is due


def backoff_seconds(attempt: int) -> float:
    """Wait before attempt ``attempt + 1``: base × 2^(attempt-1), capped, with ±10 % jitter."""
    base = settings.WEBHOOK_RETRY_BASE_SECONDS * 2 ** (attempt - 1)
    return min(settings.WEBHOOK_RETRY_MAX_SECONDS, base) * random.uniform(0.9, 1.1)


def _post(url, body, headers):
    import requests

    return requests.post(
        url, data=body, headers=headers, timeout=settings.WEBHOOK_TIMEOUT_SECONDS, allow_redirects=False
    )


def deliver(*, delivery_id: int, attempt: int, now=None) -> Outcome | None:
    """Make attempt number ``attempt`` of a delivery and log it.

    The delivery row stays locked during the request, and ``attempt`` must be
    the next one: a duplicate task message (acks_late redelivery) finds the
    attempt made and returns None. 2xx succeeds; 410 Gone disables the
    subscription at once; anything else retries with exponential back-off
    until WEBHOOK_MAX_ATTEMPTS, then gives up and marks the subscription failing.
    """
    import requests

    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update()
            .select_related("subscription")
            .filter(pk=delivery_id, attempts=attempt - 1, status__in=[DeliveryStatus.PENDING, DeliveryStatus.FAILED])
            .first()
        )
        if delivery is None:
            return None  # done, given up, or this attempt was already made
        subscription = WebhookSubscription.objects.select_for_update().get(pk=delivery.subscription_id)
        if not subscription.active or subscription.state == SubscriptionState.DISABLED:
            delivery.status, delivery.last_error = DeliveryStatus.GAVE_UP, "subscription disabled"
            delivery.next_attempt_at = None
            delivery.save(update_fields=["status", "last_error", "next_attempt_at"])
            return Outcome(status=DeliveryStatus.GAVE_UP)
        started = time.monotonic()
        status_code, error = None, ""
        try:
            validate_webhook_url(subscription.url)
        except ValidationError as exc:
            # A target that turned private (DNS rebinding) or invalid will not get better by retrying.
            WebhookAttempt.objects.create(delivery=delivery, error=" ".join(exc.messages))
            delivery.attempts = attempt
            return _finish(delivery, subscription, DeliveryStatus.GAVE_UP, error=" ".join(exc.messages))
        timestamp = int(time.time())
        body = encode_body(delivery.payload)
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": USER_AGENT,
            EVENT_HEADER: delivery.event_type,
            EVENT_ID_HEADER: str(delivery.event_id),
            TIMESTAMP_HEADER: str(timestamp),
            SIGNATURE_HEADER: f"v1={sign(subscription.secret, timestamp, body)}",
        }
        try:
            response = _post(subscription.url, body, headers)
            status_code = response.status_code
        except requests.RequestException as exc:
            error = f"{type(exc).__name__}: {exc}"[:2000]
        duration_ms = int((time.monotonic() - started) * 1000)
        WebhookAttempt.objects.create(
            delivery=delivery,
            status_code=status_code,
            error=error,
            duration_ms=duration_ms,
            attempted_at=now or timezone.now(),
        )
        delivery.attempts = attempt
        delivery.last_status_code = status_code
        if status_code is not None and 200 <= status_code < 300:
            return _finish(delivery, subscription, DeliveryStatus.SUCCEEDED, now=now)
        if status_code == 410:
            subscription.state = SubscriptionState.DISABLED
            subscription.active = False
            return _finish(delivery, subscription, DeliveryStatus.GAVE_UP, error="410 Gone: subscription disabled")
        error = error or f"HTTP {status_code}"
        if attempt >= settings.WEBHOOK_MAX_ATTEMPTS:
            if subscription.state == SubscriptionState.ACTIVE:
                subscription.state = SubscriptionState.FAILING
            return _finish(delivery, subscription, DeliveryStatus.GAVE_UP, error=error)
        retry_in = backoff_seconds(attempt)
        delivery.next_attempt_at = (now or timezone.now()) + timedelta(seconds=retry_in)
        outcome = _finish(delivery, subscription, DeliveryStatus.FAILED, error=error)
        outcome.retry_in = retry_in
        return outcome


def _finish(delivery, subscription, status, *, error="", now=None) -> Outcome:
    delivery.status = status
    delivery.last_error = error
    if status in (DeliveryStatus.SUCCEEDED, DeliveryStatus.GAVE_UP):
        delivery.next_attempt_at = None
    if status == DeliveryStatus.SUCCEEDED:
        delivery.delivered_at = now or timezone.now()
        subscription.consecutive_failures = 0
        if subscription.state == SubscriptionState.FAILING:
            subscription.state = SubscriptionState.ACTIVE
    elif status == DeliveryStatus.GAVE_UP:
        subscription.consecutive_failures += 1
    delivery.save(
        update_fields=["status", "attempts", "last_status_code", "last_error", "delivered_at", "next_attempt_at"]
    )
    subscription.save(update_fields=["state", "active", "consecutive_failures", "updated_at"])
    return Outcome(status=status)


def redeliver(delivery: WebhookDelivery) -> bool:
    """Send a delivery again from the admin: a fresh round of attempts (the log keeps the old ones).

    Refused (False) while the subscription is disabled. A retry still queued
    for the old round finds the attempt count reset and does nothing.
    """
    with transaction.atomic():
        locked = WebhookDelivery.objects.select_for_update().select_related("subscription").get(pk=delivery.pk)
        subscription = locked.subscription
        if not subscription.active or subscription.state == SubscriptionState.DISABLED:
            return False
        WebhookDelivery.objects.filter(pk=locked.pk).update(
            status=DeliveryStatus.PENDING,
            attempts=0,
            last_error="",
            last_status_code=None,
            next_attempt_at=timezone.now(),
        )
        _enqueue_delivery(locked.pk, attempt=1)
    return True


def resend_stalled_deliveries(*, now=None) -> int:
    """Re-enqueue the next attempt of every pending or failing delivery that is long overdue.

    A retry waits in the broker (or, with a countdown, in a worker's memory); a
    worker killed at the wrong moment can lose it. Sending the same attempt twice
    is harmless: ``deliver`` makes an attempt only once. Returns how many were re-sent.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.WEBHOOK_STALLED_AFTER_SECONDS)
    with transaction.atomic():
        stalled = list(
            WebhookDelivery.objects.select_for_update(skip_locked=True)
            .filter(status__in=[DeliveryStatus.PENDING, DeliveryStatus.FAILED], next_attempt_at__lt=cutoff)
            .values_list("pk", "attempts")[:1000]
        )
        # Push the due time forward so the next sweep leaves them to this re-send.
        WebhookDelivery.objects.filter(pk__in=[pk for pk, _attempts in stalled]).update(next_attempt_at=now)
        from .tasks import task_deliver_webhook

        enqueue_many(task_deliver_webhook, [{"delivery_id": pk, "attempt": n + 1} for pk, n in stalled])
    if stalled:
        logger.warning("re-sent %d stalled webhook deliveries", len(stalled))
    return len(stalled)
