"""Operations that change merchants, participations, certificates, products and prices.

Every status change goes through core.workflow.transition (locked,
checked against the table in models.py, recorded with who/when/why).
"""

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.events import DomainEvent, publish_on_commit
from core.tasks import enqueue_on_commit
from core.thumbnails import thumbnail_after_commit
from core.workflow import DomainError, transition
from festival.models import Category, Festival, Province

from . import daily_sales, tallies, tasks
from . import uscc as uscc_rules
from .models import (
    CERTIFICATE_TRANSITIONS,
    PARTICIPATION_TRANSITIONS,
    Certificate,
    CertificateEvent,
    CertificateStatus,
    Merchant,
    Participation,
    ParticipationEvent,
    ParticipationStatus,
    PricePoint,
    PriceSource,
    Product,
    SalesReport,
)


def _require(user, perm, message):
    if user is None or not user.is_active or not user.has_perm(perm):
        raise PermissionDenied(message)


# Merchants ---------------------------------------------------------------


@transaction.atomic
def save_merchant(merchant: Merchant, *, by) -> Merchant:
    """Validate and save a new or changed merchant.

    A USCC whose check character fails is accepted only with an override
    reason given by someone allowed to override (organisers); the override is
    recorded with who and when.
    """
    merchant.uscc = uscc_rules.normalise(merchant.uscc) or None
    needs_override = (
        bool(merchant.uscc)
        and not uscc_rules.format_errors(merchant.uscc)
        and (uscc_rules.check_error(merchant.uscc) is not None)
    )
    if needs_override and merchant.uscc_override_reason.strip():
        _require(by, "merchants.override_uscc_check", _("Only organisers may accept a USCC that fails its check."))
        if not merchant.uscc_override_by_id:
            merchant.uscc_override_by = by
            merchant.uscc_override_at = timezone.now()
    elif not needs_override:
        merchant.uscc_override_reason = ""
        merchant.uscc_override_by = None
        merchant.uscc_override_at = None
    if merchant.province_id is None and merchant.uscc and (merchant.country or "CN").upper() == "CN":
        # The USCC's division code (characters 3–8, GB/T 2260) names the province: 91330106… is 330000.
        merchant.province = Province.objects.filter(code=f"{merchant.uscc[2:4]}0000").first()
    merchant.full_clean()
    previous_logo = (
        Merchant.objects.filter(pk=merchant.pk).values_list("logo", flat=True).first() if merchant.pk else ""
    )
    previous_kind = tallies.locked_kind(merchant.pk) if merchant.pk else merchant.kind
    merchant.save()
    tallies.merchant_kind_changed(merchant.pk, before=previous_kind, after=merchant.kind)
    if merchant.logo and merchant.logo.name != previous_logo:
        thumbnail_after_commit("merchant_logo", merchant)
    return merchant


# Participations ---------------------------------------------------------


def category_refusals(merchant: Merchant, festival: Festival, categories: Iterable[Category]) -> dict[int, str]:
    """Why each category the merchant may not claim is refused (category id → reason)."""
    refusals = {}
    needed = {c.required_certificate_kind for c in categories if c.required_certificate_kind}
    covering = {
        cert.kind
        for cert in merchant.certificates.filter(kind__in=needed, status=CertificateStatus.VERIFIED)
        if cert.covers(festival)
    }
    for category in categories:
        kind = category.required_certificate_kind
        if kind and kind not in covering:
            refusals[category.pk] = _(
                "“%(category)s” needs a verified %(certificate)s certificate valid across the whole festival window."
            ) % {"category": category.name, "certificate": category.get_required_certificate_kind_display()}
    return refusals


@transaction.atomic
def apply_to_festival(
    merchant: Merchant, festival: Festival, *, categories: Iterable[Category], by=None, now: datetime | None = None
) -> Participation:
    now = now or timezone.now()
    categories = list(categories)
    if not categories:
        raise DomainError(_("Choose at least one category."), code="no_categories")
    if not festival.registration_open_at(now):
        raise DomainError(_("Registration for %(festival)s is not open.") % {"festival": festival}, code="closed")
    refusals = category_refusals(merchant, festival, categories)
    if refusals:
        raise DomainError(" ".join(refusals.values()), code="certificate_required", details=refusals)
    kind = tallies.locked_kind(merchant.pk)  # the merchant's row first, then the participation's
    existing = Participation.objects.select_for_update().filter(merchant=merchant, festival=festival).first()
    claimed = []
    if existing is not None:
        if existing.status != ParticipationStatus.REJECTED:
            raise DomainError(_("This merchant already takes part in this festival."), code="duplicate")
        claimed = list(existing.categories.values_list("pk", flat=True))
        participation = transition(
            existing,
            ParticipationStatus.APPLIED,
            allowed=PARTICIPATION_TRANSITIONS,
            event_model=ParticipationEvent,
            event_fk="participation",
            by=by,
            note=_("Applied again"),
            at=now,
            applied_at=now,
            decided_at=None,
            decided_by=None,
            decision_note="",
        )
        tallies.participation_moved(
            participation,
            from_status=ParticipationStatus.REJECTED,
            to_status=participation.status,
            kind=kind,
            categories=claimed,
        )
    else:
        try:
            with transaction.atomic():
                participation = Participation.objects.create(merchant=merchant, festival=festival, applied_at=now)
        except IntegrityError:
            raise DomainError(_("This merchant already takes part in this festival."), code="duplicate") from None
        ParticipationEvent.objects.create(
            participation=participation, from_status="", to_status=ParticipationStatus.APPLIED, actor=by, created_at=now
        )
        tallies.participation_moved(
            participation, from_status=None, to_status=participation.status, kind=kind, categories=[]
        )
    participation.categories.set(categories)
    tallies.claims_changed(participation, status=participation.status, before=claimed, after={c.pk for c in categories})
    return participation


def _count_participation_move(locked: Participation, previous_status: str) -> None:
    """``transition``'s ``on_change``: the participation's row is locked, so its kind and claims
    are read as they are now (merchants.tallies)."""
    kind = Merchant.objects.filter(pk=locked.merchant_id).values_list("kind", flat=True).get()
    tallies.participation_moved(
        locked,
        from_status=previous_status,
        to_status=locked.status,
        kind=kind,
        categories=list(locked.categories.values_list("pk", flat=True)),
    )


def _decide_participation(participation, to, *, by, note, now=None):
    _require(by, "merchants.review_participation", _("Only organisers can decide on participations."))
    now = now or timezone.now()
    participation = transition(
        participation,
        to,
        allowed=PARTICIPATION_TRANSITIONS,
        event_model=ParticipationEvent,
        event_fk="participation",
        by=by,
        note=note,
        at=now,
        decided_at=now,
        decided_by=by,
        decision_note=note,
        on_change=_count_participation_move,
    )
    publish_on_commit(DomainEvent.of_status("participation", to), participation_id=participation.pk)
    return participation


@transaction.atomic
def approve_participation(participation: Participation, *, by, note: str = "", now=None) -> Participation:
    refusals = category_refusals(participation.merchant, participation.festival, participation.categories.all())
    if refusals:
        raise DomainError(" ".join(refusals.values()), code="certificate_required", details=refusals)
    return _decide_participation(participation, ParticipationStatus.APPROVED, by=by, note=note, now=now)


@transaction.atomic
def reject_participation(participation: Participation, *, by, reason: str, now=None) -> Participation:
    if not (reason or "").strip():
        raise DomainError(_("Give a reason for the rejection."), code="reason_required")
    return _decide_participation(participation, ParticipationStatus.REJECTED, by=by, note=reason.strip(), now=now)


@transaction.atomic
def withdraw_participation(participation: Participation, *, by=None, note: str = "", now=None) -> Participation:
    return transition(
        participation,
        ParticipationStatus.WITHDRAWN,
        allowed=PARTICIPATION_TRANSITIONS,
        event_model=ParticipationEvent,
        event_fk="participation",
        by=by,
        note=note,
        at=now,
        on_change=_count_participation_move,
    )


# Certificates -----------------------------------------------------------


@transaction.atomic
def add_certificate(merchant: Merchant, *, by=None, now=None, **fields) -> Certificate:
    certificate = Certificate(merchant=merchant, **fields)
    certificate.full_clean()
    certificate.save()
    if certificate.document:
        thumbnail_after_commit("certificate_document", certificate)
    CertificateEvent.objects.create(
        certificate=certificate,
        from_status="",
        to_status=certificate.status,
        actor=by,
        created_at=now or timezone.now(),
    )
    return certificate


@transaction.atomic
def verify_certificate(certificate: Certificate, *, by, note: str = "", now=None) -> Certificate:
    _require(by, "merchants.verify_certificate", _("Only organisers can verify certificates."))
    now = now or timezone.now()
    return transition(
        certificate,
        CertificateStatus.VERIFIED,
        allowed=CERTIFICATE_TRANSITIONS,
        event_model=CertificateEvent,
        event_fk="certificate",
        by=by,
        note=note,
        at=now,
        reviewed_at=now,
        reviewed_by=by,
        review_note=note,
    )


@transaction.atomic
def reject_certificate(certificate: Certificate, *, by, reason: str, now=None) -> Certificate:
    _require(by, "merchants.verify_certificate", _("Only organisers can reject certificates."))
    if not (reason or "").strip():
        raise DomainError(_("Give a reason for the rejection."), code="reason_required")
    now = now or timezone.now()
    return transition(
        certificate,
        CertificateStatus.REJECTED,
        allowed=CERTIFICATE_TRANSITIONS,
        event_model=CertificateEvent,
        event_fk="certificate",
        by=by,
        note=reason.strip(),
        at=now,
        reviewed_at=now,
        reviewed_by=by,
        review_note=reason.strip(),
    )


# Products and prices ------------------------------------------------------


@transaction.atomic
def save_product(product: Product) -> Product:
    product.full_clean()
    product.save()
    return product


def _validated_price_point(product: Product, price, recorded_at, source) -> PricePoint:
    point = PricePoint(product=product, price=Decimal(price), recorded_at=recorded_at, source=source)
    point.full_clean(exclude=["product"], validate_unique=False, validate_constraints=False)
    if point.price <= 0:
        raise ValidationError({"price": _("A price must be greater than zero.")})
    return point


@transaction.atomic
def record_price(product: Product, *, price, recorded_at: datetime, source=PriceSource.FORM) -> PricePoint:
    point = _validated_price_point(product, price, recorded_at, source)
    if PricePoint.objects.filter(product=product, recorded_at=recorded_at).exists():
        raise DomainError(_("This product already has a price at this time."), code="duplicate")
    point.save()
    # Promotions re-check their items (promotions.pricing_handlers); merchants never imports promotions.
    publish_on_commit(DomainEvent.PRICES_RECORDED, product_ids=[product.pk])
    return point


@transaction.atomic
def record_prices(rows: Iterable[tuple[Product, Decimal, datetime]], *, source) -> list[PricePoint]:
    """Record many prices, all or nothing. Raises DomainError naming the first clash."""
    points = [_validated_price_point(product, price, at, source) for product, price, at in rows]
    keys = [(p.product_id, p.recorded_at) for p in points]
    if len(set(keys)) != len(keys):
        raise DomainError(_("The same product has two prices at the same time."), code="duplicate")
    try:
        with transaction.atomic():
            created = PricePoint.objects.bulk_create(points, batch_size=2000)
    except IntegrityError:
        raise DomainError(_("A product already has a price at one of these times."), code="duplicate") from None
    if created:
        publish_on_commit(DomainEvent.PRICES_RECORDED, product_ids=sorted({p.product_id for p in created}))
    return created


# Sales reports -----------------------------------------------------------


def is_approved_participant(merchant: Merchant, festival: Festival) -> bool:
    return Participation.objects.filter(
        merchant=merchant, festival=festival, status=ParticipationStatus.APPROVED
    ).exists()


@transaction.atomic
def report_sales(merchant: Merchant, festival: Festival, *, date, gmv, orders) -> tuple[SalesReport, bool]:
    """Record a day's sales; the same merchant, festival and day replaces the earlier figure.

    Only an approved participant of the festival may report its sales: anyone
    else gets a ValidationError on ``festival`` (code ``not_participant``),
    checked before the figures and the day.
    """
    if not is_approved_participant(merchant, festival):
        raise ValidationError(
            {
                "festival": ValidationError(
                    _("Your merchant is not an approved participant of this festival."), code="not_participant"
                )
            }
        )
    gmv = Decimal(gmv)
    if gmv < 0 or orders < 0:
        raise DomainError(_("Sales and orders cannot be negative."), code="negative")
    first_day = festival.local(festival.starts_at).date()
    last_day = festival.local(festival.ends_at).date()
    if not (first_day <= date <= last_day):
        raise DomainError(
            _("%(date)s is not a day of %(festival)s (%(first)s to %(last)s).")
            % {"date": date, "festival": festival, "first": first_day, "last": last_day},
            code="outside_window",
        )
    daily_sales.hold_festival_sales(festival.pk)
    report, previous = _write_sales_report(merchant, festival, date=date, gmv=gmv, orders=orders)
    old_gmv, old_orders = previous or (Decimal("0"), 0)
    daily_sales.add_daily_sales(
        festival.pk, date, gmv=gmv - old_gmv, orders=orders - old_orders, merchants=0 if previous else 1
    )
    return report, previous is None


def _write_sales_report(merchant, festival, *, date, gmv, orders) -> tuple[SalesReport, tuple | None]:
    """Create or replace the day's report; returns it and the figures it replaced (None when new),
    read under the report's row lock so the day's roll-up moves by exactly this change."""
    lookup = {"merchant": merchant, "festival": festival, "date": date}
    report = SalesReport.objects.select_for_update().filter(**lookup).first()
    if report is None:
        try:
            with transaction.atomic():
                return SalesReport.objects.create(**lookup, gmv=gmv, orders=orders, reported_at=timezone.now()), None
        except IntegrityError:  # a concurrent first report of the same day committed meanwhile
            report = SalesReport.objects.select_for_update().get(**lookup)
    previous = (report.gmv, report.orders)
    report.gmv, report.orders, report.reported_at = gmv, orders, timezone.now()
    report.save(update_fields=["gmv", "orders", "reported_at", "updated_at"])
    return report, previous


# Invitations ---------------------------------------------------------------


def account_setup_url(user) -> str:
    """The link a new merchant user follows to choose a password (one use, expires)."""
    from django.conf import settings
    from django.contrib.auth.tokens import default_token_generator
    from django.urls import reverse
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    uidb64 = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    path = reverse("merchant:account_setup", kwargs={"uidb64": uidb64, "token": token})
    return settings.SITE_URL.rstrip("/") + path


def send_invitation(*, user_id: int, merchant_id: int) -> None:
    """Email the account-setup link (through Celery, after the invitation commits)."""
    from django.contrib.auth import get_user_model
    from django.core.mail import send_mail

    user = get_user_model().objects.filter(pk=user_id).first()
    merchant = Merchant.objects.filter(pk=merchant_id).first()
    if user is None or merchant is None:  # deleted after the invitation; nobody to tell
        return
    send_mail(
        subject=_("You are invited to manage %(merchant)s on Festival desk") % {"merchant": merchant.name},
        message=_(
            "Hello,\n\n%(merchant)s takes part in the Double Product Online Shopping Festival. "
            "An organiser has created an account for you (%(email)s).\n\n"
            "Choose your password here (the link works once and expires):\n%(url)s\n"
        )
        % {"merchant": merchant.name, "email": user.email, "url": account_setup_url(user)},
        from_email=None,
        recipient_list=[user.email],
    )


@transaction.atomic
def invite_member(merchant: Merchant, *, email: str, role: str, by):
    """Create a user account and its membership of ``merchant``, then (after
    commit) email an account-setup link. Refused when the address already has
    an account."""
    from django.contrib.auth import get_user_model
    from django.core.validators import validate_email
    from django.db.models import Q

    from .models import Membership, MembershipRole

    _require(by, "merchants.add_membership", _("Only organisers can invite merchant staff."))
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise DomainError(_("Enter a valid email address."), code="invalid_email") from None
    if role not in MembershipRole.values:
        raise DomainError(_("Choose the role: owner or staff."), code="invalid_role")
    User = get_user_model()
    existing = User.objects.filter(Q(username__iexact=email) | Q(email__iexact=email)).first()
    if existing is not None:
        membership = getattr(existing, "membership", None)
        if membership is not None and membership.merchant_id == merchant.pk and not existing.has_usable_password():
            # Invited before but never set up (the mail was lost?): send a fresh link.
            enqueue_on_commit(tasks.task_send_invitation, user_id=existing.pk, merchant_id=merchant.pk)
            return membership
        raise DomainError(_("%(email)s already has an account.") % {"email": email}, code="duplicate")
    user = User(username=email, email=email, is_staff=False)
    user.set_unusable_password()
    user.save()
    membership = Membership.objects.create(user=user, merchant=merchant, role=role, invited_by=by)
    # A broker or mail server that is down must not turn the saved invitation into an error page.
    enqueue_on_commit(tasks.task_send_invitation, user_id=user.pk, merchant_id=merchant.pk)
    return membership
