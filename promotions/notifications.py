"""What merchants and reviewers are told, and when (mail via festival.notifications).

- A merchant: its participation approved or rejected; a promotion approved,
  sent back for changes or cancelled; its promotions going live and ending
  (one mail per merchant and batch); 24 h before the submission deadline while
  it still has unsubmitted drafts.
- Reviewers: a daily digest of what waits for review.
"""

from collections import defaultdict
from datetime import timedelta

from django.db.models import Count, Min
from django.utils import timezone

from core.events import DomainEvent
from core.tasks import enqueue_many_on_commit
from festival.models import Festival, FestivalStatus
from festival.notifications import already_sent, send_once, staff_with_permission
from merchants.models import MembershipRole, Participation, ParticipationEvent, ParticipationStatus
from merchants.selectors import visible_participations

from .models import Promotion, PromotionEvent, PromotionStatus
from .selectors import visible_promotions

S = PromotionStatus
E = DomainEvent
DECISION_EVENTS = {E.PROMOTION_APPROVED, E.PROMOTION_CHANGES_REQUESTED, E.PROMOTION_CANCELLED}
WINDOW_EVENTS = {E.PROMOTION_LIVE, E.PROMOTION_ENDED}
PARTICIPATION_EVENTS = {E.PARTICIPATION_APPROVED, E.PARTICIPATION_REJECTED}
NOTIFIED_EVENTS = DECISION_EVENTS | WINDOW_EVENTS | PARTICIPATION_EVENTS


def merchant_recipients(merchant) -> list[str]:
    """The merchant's contact address and its owners' addresses."""
    owners = merchant.memberships.filter(role=MembershipRole.OWNER, user__is_active=True)
    return sorted({merchant.contact_email, *owners.values_list("user__email", flat=True)} - {""})


def notify_event(event_type: str, object_ids: list[int]) -> int:
    """Send the mails an event calls for; returns how many were sent."""
    if event_type in PARTICIPATION_EVENTS:
        return sum(_participation_decided(event_type, pk) for pk in object_ids)
    if event_type in DECISION_EVENTS:
        return sum(_promotion_decided(event_type, pk) for pk in object_ids)
    if event_type in WINDOW_EVENTS:
        return _promotions_moved(event_type, object_ids)
    return 0


def _participation_decided(event_type, pk) -> bool:
    status = event_type.split(".", 1)[1]
    participation = Participation.objects.select_related("merchant", "festival").filter(pk=pk).first()
    record = ParticipationEvent.objects.filter(participation_id=pk, to_status=status).order_by("-pk").first()
    if participation is None or record is None:
        return False
    return send_once(
        keys=f"{event_type}:{pk}:{record.pk}",  # a rejected merchant may apply again and be decided again
        to=merchant_recipients(participation.merchant),
        template=f"participation_{status}",
        context={
            "participation": participation,
            "merchant": participation.merchant,
            "festival": participation.festival,
            "note": record.note,
            "approved": status == ParticipationStatus.APPROVED,
        },
    )


def _promotion_decided(event_type, pk) -> bool:
    status = event_type.split(".", 1)[1]
    promotion = Promotion.objects.select_related("merchant", "festival").filter(pk=pk).first()
    record = PromotionEvent.objects.filter(promotion_id=pk, to_status=status).order_by("-pk").first()
    if promotion is None or record is None:
        return False
    festival = promotion.festival
    return send_once(
        keys=f"{event_type}:{pk}:{record.pk}",  # changes may be requested more than once
        to=merchant_recipients(promotion.merchant),
        template=f"promotion_{status}",
        context={
            "promotion": promotion,
            "merchant": promotion.merchant,
            "festival": festival,
            "note": record.note,
            "starts_at": festival.local_minute(promotion.starts_at),
            "ends_at": festival.local_minute(promotion.ends_at),
        },
    )


def _promotions_moved(event_type, object_ids) -> int:
    """One mail per merchant for its promotions in this batch; each promotion told once."""
    keys = {pk: f"{event_type}:{pk}" for pk in object_ids}
    told = already_sent(keys.values())
    promotions = (
        Promotion.objects.filter(pk__in=[pk for pk, key in keys.items() if key not in told])
        .select_related("merchant", "festival")
        .order_by("merchant_id", "starts_at", "pk")
    )
    by_merchant = defaultdict(list)
    for promotion in promotions:
        by_merchant[promotion.merchant].append(promotion)
    sent = 0
    for merchant, items in by_merchant.items():
        festival = items[0].festival
        sent += send_once(
            keys=[keys[p.pk] for p in items],
            to=merchant_recipients(merchant),
            template="promotions_live" if event_type == E.PROMOTION_LIVE else "promotions_ended",
            context={
                "merchant": merchant,
                "festival": festival,
                "promotions": [
                    {
                        "title": p.title,
                        "starts_at": festival.local_minute(p.starts_at),
                        "ends_at": festival.local_minute(p.ends_at),
                    }
                    for p in items
                ],
            },
        )
    return sent


def send_deadline_reminders(*, now=None) -> int:
    """Remind merchants with unsubmitted drafts when a submission deadline is less than 24 h away."""
    now = now or timezone.now()
    festivals = Festival.objects.filter(
        submission_deadline__gt=now,
        submission_deadline__lte=now + timedelta(hours=24),
        status__in=[FestivalStatus.PLANNED, FestivalStatus.REGISTRATION],
    )
    sent = 0
    for festival in festivals:
        drafts = (
            Promotion.objects.filter(festival=festival, status__in=[S.DRAFT, S.CHANGES_REQUESTED])
            .select_related("merchant")
            .order_by("merchant_id", "pk")
        )
        by_merchant = defaultdict(list)
        for promotion in drafts:
            by_merchant[promotion.merchant].append(promotion)
        for merchant, promotions in by_merchant.items():
            sent += send_once(
                keys=f"deadline-reminder:{festival.pk}:{merchant.pk}",
                to=merchant_recipients(merchant),
                template="deadline_reminder",
                context={
                    "merchant": merchant,
                    "festival": festival,
                    "deadline": festival.local_minute(festival.submission_deadline),
                    "promotions": promotions,
                },
            )
    return sent


REVIEW_PERMISSION = "promotions.review_promotion"


def reviewers():
    return staff_with_permission(REVIEW_PERMISSION, include_superusers=True)


def send_reviewer_digest(*, now=None) -> int:
    """Tell each reviewer, once a day, what waits for review (nothing waiting, no mail)."""
    now = now or timezone.now()
    if (
        not Promotion.objects.filter(status=S.SUBMITTED).exists()
        and not Participation.objects.filter(status=ParticipationStatus.APPLIED).exists()
    ):
        return 0
    today = timezone.localdate(now)
    sent = 0
    for reviewer in reviewers():
        # Each reviewer's own queue: the festivals of the teams where they may review.
        waiting = list(
            visible_promotions(reviewer, perm=REVIEW_PERMISSION, queryset=Promotion.objects.filter(status=S.SUBMITTED))
            .values("festival__name", "festival__time_zone")
            .annotate(count=Count("pk"), oldest=Min("submitted_at"))
            .order_by("festival__name")
        )
        applications = list(
            visible_participations(
                reviewer,
                perm="merchants.review_participation",
                queryset=Participation.objects.filter(status=ParticipationStatus.APPLIED),
            )
            .values("festival__name")
            .annotate(count=Count("pk"))
            .order_by("festival__name")
        )
        if not waiting and not applications:
            continue
        sent += send_once(
            keys=f"reviewer-digest:{today.isoformat()}:{reviewer.pk}",
            to=[reviewer.email],
            template="reviewer_digest",
            context={
                "reviewer": reviewer,
                "date": today,
                "promotions": waiting,
                "promotions_total": sum(row["count"] for row in waiting),
                "applications": applications,
                "applications_total": sum(row["count"] for row in applications),
                "review_url": "/admin/promotions/promotion/?status__exact=submitted",
            },
        )
    return sent


def on_domain_event(event_type, **ids):
    """Event handler (core.events, in the publishing transaction): enqueue the mails through the outbox."""
    if event_type not in NOTIFIED_EVENTS:
        return
    from .tasks import NOTIFY_BATCH, task_notify

    object_ids = ids.get("promotion_ids") or [ids.get("promotion_id") or ids.get("participation_id")]
    object_ids = [pk for pk in object_ids if pk is not None]
    enqueue_many_on_commit(
        task_notify,
        [
            {"event_type": str(event_type), "object_ids": object_ids[start : start + NOTIFY_BATCH]}
            for start in range(0, len(object_ids), NOTIFY_BATCH)
        ],
    )
