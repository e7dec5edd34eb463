"""What consumers, merchants and the association are told about reports (mail
via festival.notifications.send_once: each mail at most once per key).

- The consumer (when an email was given): a receipt, and the decision.
- The merchant: a new report about its promotion (no personal data), and the decision.
- The association's staff: a daily digest of open reports.
"""

from django.db.models import Count, Min
from django.utils import timezone

from core.events import DomainEvent
from core.tasks import enqueue_on_commit
from festival.notifications import send_once, staff_with_permission
from promotions.notifications import merchant_recipients

from .models import OPEN_STATUSES, PriceReport
from .selectors import visible_reports

E = DomainEvent
NOTIFIED_EVENTS = {E.REPORT_RECEIVED, E.REPORT_UPHELD, E.REPORT_DISMISSED}


def notify_event(event_type: str, report_id: int) -> int:
    report = (
        PriceReport.objects.select_related("promotion__festival", "merchant", "item__product")
        .filter(pk=report_id)
        .first()
    )
    if report is None:
        return 0
    status_url = f"/reports/{report.code}/"
    portal_url = f"/merchant/reports/{report.pk}/"
    context = {"report": report, "promotion": report.promotion, "festival": report.promotion.festival}
    sent = 0
    if event_type == E.REPORT_RECEIVED:
        if report.email:
            sent += send_once(
                keys=f"report.receipt:{report.pk}",
                to=[report.email],
                template="report_receipt",
                context={**context, "status_url": status_url},
            )
        sent += send_once(
            keys=f"report.merchant_new:{report.pk}",
            to=merchant_recipients(report.merchant),
            template="report_merchant_new",
            context={**context, "portal_url": portal_url},
        )
    elif event_type in (E.REPORT_UPHELD, E.REPORT_DISMISSED):
        if report.email:
            sent += send_once(
                keys=f"report.decision:{report.pk}",
                to=[report.email],
                template="report_decision",
                context={**context, "status_url": status_url},
            )
        sent += send_once(
            keys=f"report.merchant_decision:{report.pk}",
            to=merchant_recipients(report.merchant),
            template="report_merchant_decision",
            context={**context, "portal_url": portal_url},
        )
    return sent


def association_staff():
    return staff_with_permission("reports.decide_report", include_superusers=False)


def send_association_digest(*, now=None) -> int:
    """Tell each association staff member, once a day, how many reports are open."""
    now = now or timezone.now()
    if not PriceReport.objects.filter(status__in=OPEN_STATUSES).exists():
        return 0
    today = timezone.localdate(now)
    sent = 0
    for person in association_staff():
        # Each person's own queue: the reports of their teams' festivals.
        waiting = list(
            visible_reports(person, queryset=PriceReport.objects.filter(status__in=OPEN_STATUSES))
            .values("promotion__festival__name")
            .annotate(count=Count("pk"), oldest=Min("created_at"))
            .order_by("promotion__festival__name")
        )
        if not waiting:
            continue
        sent += send_once(
            keys=f"report-digest:{today.isoformat()}:{person.pk}",
            to=[person.email],
            template="report_digest",
            context={
                "person": person,
                "date": today,
                "festivals": waiting,
                "total": sum(row["count"] for row in waiting),
                "queue_url": "/admin/reports/pricereport/",
            },
        )
    return sent


def on_domain_event(event_type, **ids):
    """Event handler (core.events, in the publishing transaction): enqueue the mails through the outbox."""
    if event_type not in NOTIFIED_EVENTS or ids.get("report_id") is None:
        return
    from .tasks import task_notify_report

    enqueue_on_commit(task_notify_report, event_type=str(event_type), report_id=ids["report_id"])
