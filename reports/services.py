"""State-changing operations on consumers' reports.

Filing stores the report and its frozen evidence in one transaction; mails
and webhooks follow only after the commit (core.events), so a failing mail
server never loses a report. Decisions go through core.workflow.transition.
"""

import hashlib
import hmac
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from core.events import DomainEvent, publish_on_commit
from core.workflow import DomainError, transition
from promotions.models import Promotion

from . import evidence as evidence_module
from .models import ALLOWED_TRANSITIONS, PriceReport, ReportEvent, ReportStatus

S = ReportStatus
DUPLICATE_WINDOW = timedelta(days=1)
DECIDE_PERMISSION = "reports.decide_report"


class ReportError(DomainError):
    pass


def hash_ip(ip: str) -> str:
    """A keyed hash of the address: enough to count one sender's reports, not to recover the address."""
    if not ip:
        return ""
    return hmac.new(settings.SECRET_KEY.encode(), ip.encode(), hashlib.sha256).hexdigest()


def _transition(report, to, *, by=None, note="", at=None, **changes):
    return transition(
        report,
        to,
        allowed=ALLOWED_TRANSITIONS,
        event_model=ReportEvent,
        event_fk="report",
        by=by,
        note=note,
        at=at,
        **changes,
    )


def _require_decider(by):
    if by is None or not by.is_active or not by.has_perm(DECIDE_PERMISSION):
        raise ReportError(_("Only the consumer association's staff can decide reports."), code="permission")


@transaction.atomic
def file_report(
    *, item, reason, seen_price: Decimal, seen_at, description="", email="", screenshot=None, ip="", now=None
) -> tuple[PriceReport, bool]:
    """File a consumer's report about a public promotion's item; returns (report, merged).

    A second report of the same item by the same email within a day is merged
    into the first (its count goes up) instead of stored again.
    """
    now = now or timezone.now()
    if not Promotion.objects.public().filter(pk=item.promotion_id).exists():
        raise ReportError(_("Only items of public promotions can be reported."), code="not_public")
    if seen_price is None or seen_price <= 0:
        raise ReportError(_("The price you saw must be greater than zero."), code="seen_price")
    if seen_at > now:
        raise ReportError(_("The moment you saw the price cannot be in the future."), code="seen_at")
    email = (email or "").strip().lower()
    if email:
        earlier = (
            PriceReport.objects.select_for_update()
            .filter(item=item, email=email, created_at__gte=now - DUPLICATE_WINDOW)
            .order_by("created_at")
            .first()
        )
        if earlier is not None:
            PriceReport.objects.filter(pk=earlier.pk).update(merged_count=F("merged_count") + 1)
            earlier.refresh_from_db()
            return earlier, True
    snapshot = evidence_module.snapshot(item, seen_price=seen_price, now=now)
    report = PriceReport(
        item=item,
        promotion_id=item.promotion_id,
        merchant_id=item.promotion.merchant_id,
        reason=reason,
        seen_price=seen_price,
        seen_at=seen_at,
        description=(description or "").strip(),
        email=email,
        ip_hash=hash_ip(ip),
        evidence=snapshot,
        proposed_finding=evidence_module.propose_finding(snapshot, reason),
        created_at=now,
    )
    if screenshot is not None:
        report.screenshot.save(screenshot.name, screenshot, save=False)
    report.save()
    ReportEvent.objects.create(report=report, from_status="", to_status=S.RECEIVED, note="", created_at=now)
    publish_on_commit(DomainEvent.REPORT_RECEIVED, report_id=report.pk)
    return report, False


@transaction.atomic
def start_review(report: PriceReport, *, by, note: str = "", now=None) -> PriceReport:
    _require_decider(by)
    return _transition(report, S.UNDER_REVIEW, by=by, note=(note or "").strip(), at=now or timezone.now())


@transaction.atomic
def decide_report(
    report: PriceReport,
    *,
    by,
    upheld: bool,
    note: str,
    request_cancellation: bool = False,
    warn_merchant: bool = False,
    now=None,
) -> PriceReport:
    """Uphold or dismiss a report, with a required note. A report still
    *received* is taken under review first (both steps are recorded)."""
    _require_decider(by)
    note = (note or "").strip()
    if not note:
        raise ReportError(_("Write a note explaining the decision."), code="note_required")
    if not upheld and (request_cancellation or warn_merchant):
        raise ReportError(
            _("Only an upheld report can request a cancellation or warn the merchant."), code="not_upheld"
        )
    now = now or timezone.now()
    current = PriceReport.objects.select_for_update().get(pk=report.pk)
    if current.status == S.RECEIVED:
        current = _transition(current, S.UNDER_REVIEW, by=by, note="", at=now)
    target = S.UPHELD if upheld else S.DISMISSED
    report = _transition(
        current,
        target,
        by=by,
        note=note,
        at=now,
        decided_at=now,
        decided_by=by,
        decision_note=note,
        cancellation_requested=bool(upheld and request_cancellation),
        merchant_warned=bool(upheld and warn_merchant),
    )
    publish_on_commit(DomainEvent.of_status("report", target), report_id=report.pk)
    return report


@transaction.atomic
def answer_report(report: PriceReport, *, merchant, note: str, now=None) -> PriceReport:
    """The merchant's one answer, before the decision."""
    note = (note or "").strip()
    if not note:
        raise ReportError(_("Write your answer."), code="answer_required")
    locked = PriceReport.objects.select_for_update().get(pk=report.pk)
    if locked.merchant_id != merchant.pk:
        raise ReportError(_("This report is not about your promotions."), code="permission")
    if locked.merchant_answered_at is not None:
        raise ReportError(_("You have already answered this report."), code="answered")
    if locked.is_decided:
        raise ReportError(_("This report has been decided; it can no longer be answered."), code="decided")
    locked.merchant_answer = note
    locked.merchant_answered_at = now or timezone.now()
    locked.save(update_fields=["merchant_answer", "merchant_answered_at", "updated_at"])
    return locked
