"""Promotions, their items and the record of every status change."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Case, F, IntegerField, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.constraints import OneQueryCheckConstraints
from core.images import random_upload_path
from core.models import StatusChange
from festival.models import Category, Festival
from merchants.models import Merchant, Product


class PromotionKind(models.TextChoices):
    PERCENT_OFF = "percent_off", _("Percent off")
    AMOUNT_OFF = "amount_off", _("Amount off")
    THRESHOLD = "threshold", _("Threshold discount (spend X, get Y off)")
    COUPON = "coupon", _("Coupon / red envelope")
    FLASH_SALE = "flash_sale", _("Flash sale")
    LIVESTREAM = "livestream", _("Livestream session")


K = PromotionKind
# The kind-specific fields: which each kind requires, and which it may use.
KIND_REQUIRED_FIELDS: dict[str, tuple[str, ...]] = {
    K.PERCENT_OFF: ("percent_off",),
    K.AMOUNT_OFF: ("amount_off",),
    K.THRESHOLD: ("threshold_amount", "amount_off"),
    K.COUPON: ("coupon_value", "coupon_quantity"),
    K.FLASH_SALE: ("flash_quantity",),
    K.LIVESTREAM: ("stream_host", "stream_url", "stream_starts_at"),
}
KIND_OPTIONAL_FIELDS: dict[str, tuple[str, ...]] = {K.COUPON: ("threshold_amount",)}
KIND_FIELDS = tuple(
    dict.fromkeys(f for kind in K.values for f in KIND_REQUIRED_FIELDS[kind] + KIND_OPTIONAL_FIELDS.get(kind, ()))
)


def fields_for_kind(kind) -> tuple[str, ...]:
    return KIND_REQUIRED_FIELDS.get(kind, ()) + KIND_OPTIONAL_FIELDS.get(kind, ())


class PromotionStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    CHANGES_REQUESTED = "changes_requested", _("Changes requested")
    APPROVED = "approved", _("Approved")
    LIVE = "live", _("Live")
    ENDED = "ended", _("Ended")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    CANCELLED = "cancelled", _("Cancelled")


S = PromotionStatus
# The single source of truth for promotion status changes: services, admin,
# API, views and tests all read this table.
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    S.DRAFT: frozenset({S.SUBMITTED, S.WITHDRAWN}),
    S.SUBMITTED: frozenset({S.APPROVED, S.CHANGES_REQUESTED, S.WITHDRAWN, S.CANCELLED}),
    S.CHANGES_REQUESTED: frozenset({S.SUBMITTED, S.WITHDRAWN}),
    S.APPROVED: frozenset({S.LIVE, S.ENDED, S.WITHDRAWN, S.CANCELLED}),
    S.LIVE: frozenset({S.ENDED, S.WITHDRAWN, S.CANCELLED}),
}  # ENDED, WITHDRAWN and CANCELLED are terminal, so they have no entry.
EDITABLE_STATUSES = frozenset({S.DRAFT, S.CHANGES_REQUESTED})
PUBLIC_STATUSES = frozenset({S.APPROVED, S.LIVE, S.ENDED})
# The same in one fixed order, for queries: they then name them identically every time,
# as SQLite needs to match a query to the partial index on public promotions.
PUBLIC_STATUS_ORDER = tuple(sorted(PUBLIC_STATUSES))
PENDING_REVIEW_STATUSES = frozenset({S.SUBMITTED})
# Deleting is allowed while the merchant may still edit: nobody has reviewed it yet.
DELETABLE_STATUSES = EDITABLE_STATUSES


class PromotionQuerySet(models.QuerySet):
    def public(self):
        return self.filter(status__in=PUBLIC_STATUS_ORDER)

    def active_at(self, moment):
        return self.filter(starts_at__lte=moment, ends_at__gt=moment)

    def live(self, *, at=None):
        return self.filter(status=S.LIVE).active_at(at or timezone.now())

    # In the order of their partial indexes (Meta.indexes), so the clock reads the
    # due rows from the front of the index and an idle tick stops at once.
    def due_to_start(self, *, now):
        return self.filter(status=S.APPROVED, starts_at__lte=now, ends_at__gt=now).order_by("starts_at", "pk")

    def due_to_end(self, *, now):
        return self.filter(status__in=[S.APPROVED, S.LIVE], ends_at__lte=now).order_by("ends_at", "pk")


def review_queue_order():
    """The review queue's order: submitted promotions first, the longest-waiting first.

    The admin's changelist orders by it and an index (Promotion.Meta) is built on the very
    same expressions, so the first page at national size is read from the index, not
    sorted from every row."""
    waiting_first = Case(When(status=S.SUBMITTED, then=Value(0)), default=Value(1), output_field=IntegerField())
    # "NULLS LAST" spelled as a key of its own: SQLite cannot index NULLS LAST.
    never_submitted_last = Case(
        When(submitted_at__isnull=True, then=Value(1)), default=Value(0), output_field=IntegerField()
    )
    return [
        waiting_first.asc(),
        never_submitted_last.asc(),
        F("submitted_at").asc(),
        F("created_at").asc(),
        F("id").asc(),
    ]


class Promotion(OneQueryCheckConstraints, models.Model):
    """A merchant's promotion in a festival. Status changes only through
    promotions.services (one transition path, every change recorded)."""

    festival = models.ForeignKey(
        Festival, on_delete=models.PROTECT, related_name="promotions", verbose_name=_("festival")
    )
    merchant = models.ForeignKey(
        Merchant, on_delete=models.CASCADE, related_name="promotions", verbose_name=_("merchant")
    )
    title = models.CharField(_("title"), max_length=200)
    # What the public search (?q=) looks through, on PostgreSQL only: written by the
    # database's triggers (migration 0013), read by public.selectors.search_promotions.
    search_document = models.TextField(default="", blank=True, editable=False)
    description = models.TextField(_("description"), blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=PromotionKind.choices)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    categories = models.ManyToManyField(Category, related_name="promotions", verbose_name=_("categories"), blank=True)
    banner = models.ImageField(_("banner image"), upload_to=random_upload_path, blank=True)
    banner_thumbnail = models.ImageField(upload_to=random_upload_path, blank=True, editable=False)

    # Kind-specific fields (see KIND_REQUIRED_FIELDS)
    percent_off = models.DecimalField(
        _("percent off"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("99.99"))],
    )
    amount_off = models.DecimalField(
        _("amount off (CNY)"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    threshold_amount = models.DecimalField(
        _("spend threshold (CNY)"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    coupon_value = models.DecimalField(
        _("coupon face value (CNY)"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    coupon_quantity = models.PositiveIntegerField(
        _("number of coupons"), null=True, blank=True, validators=[MinValueValidator(1)]
    )
    flash_quantity = models.PositiveIntegerField(
        _("flash sale quantity"), null=True, blank=True, validators=[MinValueValidator(1)]
    )
    stream_host = models.CharField(_("livestream host"), max_length=100, blank=True)
    stream_url = models.URLField(_("livestream link"), blank=True)
    stream_starts_at = models.DateTimeField(_("livestream starts"), null=True, blank=True)

    status = models.CharField(_("status"), max_length=20, choices=PromotionStatus.choices, default=S.DRAFT)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    review_note = models.TextField(_("reviewer's note"), blank=True)
    went_live_at = models.DateTimeField(_("went live"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = PromotionQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at", "pk"]
        verbose_name = _("promotion")
        verbose_name_plural = _("promotions")
        permissions = [("review_promotion", _("Can review promotions (approve, request changes, cancel)"))]
        indexes = [
            models.Index(*review_queue_order(), name="promotion_review_queue"),
            # The API's list order (start, then id), deep pages included.
            models.Index(fields=["starts_at", "id"], name="promotion_start_order"),
            models.Index(fields=["status", "starts_at"], name="promotion_status_start"),
            models.Index(fields=["status", "ends_at"], name="promotion_status_end"),
            # A festival's promotions of a status in the API's order (start, then id).
            models.Index(fields=["festival", "status", "starts_at", "id"], name="promotion_festival_status"),
            # The public's promotions in the API's order: old drafts never sit in the way.
            models.Index(
                fields=["starts_at", "id"],
                condition=Q(status__in=PUBLIC_STATUS_ORDER),
                name="promotion_public_start_order",
            ),
            # A festival's public promotions in start order (the public site's lists): other
            # festivals' promotions never sit in the way either.
            models.Index(
                fields=["festival", "starts_at", "id"],
                condition=Q(status__in=PUBLIC_STATUS_ORDER),
                name="promotion_public_fest_start",
            ),
            # A merchant's own promotions of a status, latest change first (the portal's home and lists).
            models.Index(fields=["merchant", "status", "-updated_at", "-id"], name="promotion_merchant_recent"),
            # The clock's "due now" queries read these in order and stop at the first
            # row not yet due: an idle tick costs a few index entries at any size.
            models.Index(fields=["starts_at", "id"], condition=Q(status="approved"), name="promotion_due_to_start"),
            models.Index(
                fields=["ends_at", "id"], condition=Q(status__in=["approved", "live"]), name="promotion_due_to_end"
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="promotion_ends_after_start"),
            models.CheckConstraint(
                condition=Q(percent_off__isnull=True) | (Q(percent_off__gt=0) & Q(percent_off__lt=100)),
                name="promotion_percent_off_range",
            ),
            models.CheckConstraint(
                condition=Q(amount_off__isnull=True) | Q(amount_off__gt=0), name="promotion_amount_off_positive"
            ),
            models.CheckConstraint(
                condition=Q(threshold_amount__isnull=True) | Q(threshold_amount__gt=0),
                name="promotion_threshold_positive",
            ),
            models.CheckConstraint(
                condition=Q(coupon_value__isnull=True) | Q(coupon_value__gt=0), name="promotion_coupon_positive"
            ),
            models.CheckConstraint(
                condition=~Q(kind=K.PERCENT_OFF) | Q(percent_off__isnull=False), name="promotion_percent_off_set"
            ),
            models.CheckConstraint(
                condition=~Q(kind=K.AMOUNT_OFF) | Q(amount_off__isnull=False), name="promotion_amount_off_set"
            ),
            models.CheckConstraint(
                condition=~Q(kind=K.THRESHOLD)
                | (
                    Q(threshold_amount__isnull=False)
                    & Q(amount_off__isnull=False)
                    & Q(amount_off__lt=F("threshold_amount"))
                ),
                name="promotion_threshold_set",
            ),
            models.CheckConstraint(
                condition=~Q(kind=K.COUPON) | (Q(coupon_value__isnull=False) & Q(coupon_quantity__isnull=False)),
                name="promotion_coupon_set",
            ),
            models.CheckConstraint(
                condition=~Q(kind=K.FLASH_SALE) | Q(flash_quantity__isnull=False), name="promotion_flash_set"
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def is_editable(self):
        return self.status in EDITABLE_STATUSES

    @property
    def is_deletable(self):
        """The one rule the portal's delete button and services.delete_promotion share."""
        return self.status in DELETABLE_STATUSES

    def can_move_to(self, status):
        return status in ALLOWED_TRANSITIONS.get(self.status, frozenset())

    def clean(self):
        errors = {}
        if self.starts_at and self.ends_at:
            if self.ends_at <= self.starts_at:
                errors["ends_at"] = _("A promotion must end after it starts.")
            elif self.festival_id and not self.festival.window_contains(self.starts_at, self.ends_at):
                festival = self.festival
                errors["starts_at"] = _(
                    "A promotion must run inside the festival window (%(start)s to %(end)s, %(tz)s)."
                ) % {
                    "start": festival.local_minute(festival.starts_at),
                    "end": festival.local_minute(festival.ends_at),
                    "tz": festival.time_zone,
                }
        errors.update(self._kind_errors())
        if errors:
            raise ValidationError(errors)

    def _kind_errors(self):
        errors = {}
        if self.kind not in K.values:
            return errors
        allowed = set(fields_for_kind(self.kind))
        for field in KIND_REQUIRED_FIELDS[self.kind]:
            if getattr(self, field) in (None, ""):
                errors[field] = _("A “%(kind)s” promotion needs this field.") % {"kind": self.get_kind_display()}
        for field in set(KIND_FIELDS) - allowed:
            if getattr(self, field) not in (None, ""):
                errors[field] = _("A “%(kind)s” promotion does not use this field; leave it empty.") % {
                    "kind": self.get_kind_display()
                }
        if (
            self.kind == K.THRESHOLD
            and self.threshold_amount
            and self.amount_off
            and self.amount_off >= self.threshold_amount
        ):
            errors["amount_off"] = _("The amount off must be less than the spend threshold.")
        if (
            self.kind == K.COUPON
            and self.threshold_amount
            and self.coupon_value
            and self.coupon_value >= self.threshold_amount
        ):
            errors["coupon_value"] = _("The coupon's face value must be less than its spend threshold.")
        stream_at = self.stream_starts_at
        if (
            self.kind == K.LIVESTREAM
            and stream_at
            and self.starts_at
            and self.ends_at
            and not (self.starts_at <= stream_at < self.ends_at)
        ):
            errors["stream_starts_at"] = _("The livestream must start while the promotion runs.")
        return errors


class CheckStatus(models.TextChoices):
    PASS = "pass", _("Pass")
    WARNING = "warning", _("Warning")
    FAIL = "fail", _("Fail")


class ReferenceSource(models.TextChoices):
    LOOKBACK = "lookback", _("Lowest price in the lookback window")
    FALLBACK = "fallback", _("Last price before the lookback window")
    NONE = "none", _("No price history")


class PromotionItem(models.Model):
    """A product in a promotion, with its promotional price and the stored honest-price check."""

    promotion = models.ForeignKey(
        Promotion, on_delete=models.CASCADE, related_name="items", verbose_name=_("promotion")
    )
    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, related_name="promotion_items", verbose_name=_("product")
    )
    promo_price = models.DecimalField(
        _("promotional price (CNY)"), max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    # The stored honest-price check (see promotions/pricing/, stored by services.refresh_item_checks)
    check_status = models.CharField(_("check"), max_length=10, choices=CheckStatus.choices, blank=True)
    reference_price = models.DecimalField(
        _("reference price (CNY)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    reference_source = models.CharField(
        _("reference found by"), max_length=10, choices=ReferenceSource.choices, blank=True
    )
    real_discount_percent = models.DecimalField(
        _("real discount (%)"), max_digits=7, decimal_places=2, null=True, blank=True
    )
    check_reasons = models.JSONField(_("check reasons"), default=list, blank=True)
    checked_at = models.DateTimeField(_("checked"), null=True, blank=True)

    class Meta:
        ordering = ["promotion", "pk"]
        verbose_name = _("promotion item")
        verbose_name_plural = _("promotion items")
        constraints = [
            models.UniqueConstraint(
                fields=["promotion", "product"],
                name="promotion_item_product_once",
                violation_error_message=_("This product is already in the promotion."),
            ),
            models.CheckConstraint(condition=Q(promo_price__gt=0), name="promotion_item_price_positive"),
        ]

    def __str__(self):
        return f"{self.product} ¥{self.promo_price}"

    def clean(self):
        if self.promotion_id and self.product_id and self.product.merchant_id != self.promotion.merchant_id:
            raise ValidationError({"product": _("Choose one of your own products.")})


class PromotionEvent(StatusChange):
    """One status change of a promotion: who, when, from, to and why."""

    subject_field = "promotion"

    promotion = models.ForeignKey(
        Promotion, on_delete=models.CASCADE, related_name="events", verbose_name=_("promotion")
    )
    from_status = models.CharField(_("from status"), max_length=20, choices=PromotionStatus.choices, blank=True)
    to_status = models.CharField(_("to status"), max_length=20, choices=PromotionStatus.choices)

    class Meta(StatusChange.Meta):
        verbose_name = _("promotion status change")
        verbose_name_plural = _("promotion status changes")
        constraints = [
            # Time-driven moves (live, ended) happen once per promotion, however many workers run.
            models.UniqueConstraint(
                fields=["promotion", "to_status"],
                condition=Q(to_status__in=["live", "ended"]),
                name="promotion_event_clock_once",
            )
        ]


class PromotionTally(models.Model):
    """How many promotions of a festival are in a status, of a kind, starting on a day: a roll-up
    the organisers' dashboard reads instead of counting promotions (promotions.tallies keeps it
    exact, in the transaction of every change; ``rebuild_tallies`` recounts it from the rows).

    ``starts_on`` is the start's date in the festival's own time zone."""

    festival = models.ForeignKey(
        Festival, on_delete=models.CASCADE, related_name="promotion_tallies", verbose_name=_("festival")
    )
    status = models.CharField(_("status"), max_length=20, choices=PromotionStatus.choices)
    kind = models.CharField(_("kind"), max_length=20, choices=PromotionKind.choices)
    starts_on = models.DateField(_("starts on"))
    count = models.IntegerField(_("count"), default=0)

    class Meta:
        verbose_name = _("promotion tally")
        verbose_name_plural = _("promotion tallies")
        constraints = [
            models.UniqueConstraint(fields=["festival", "status", "kind", "starts_on"], name="promotion_tally_once"),
        ]

    def __str__(self):
        return f"{self.festival_id} {self.status} {self.kind} {self.starts_on}: {self.count}"


class CategoryTally(models.Model):
    """How many promotions of a festival in a status have a category in a top-level category's
    family (the category itself or one of its children; a promotion counts once per family),
    split by whether the merchant's participation in the festival is approved (``listed``: only
    those promotions are public). The public home and festival pages read their live counts per
    category from it instead of counting a national festival's live promotions on every view;
    promotions.tallies keeps it exact and ``rebuild_tallies`` recounts it."""

    festival = models.ForeignKey(
        Festival, on_delete=models.CASCADE, related_name="category_tallies", verbose_name=_("festival")
    )
    category = models.ForeignKey(
        Category, on_delete=models.CASCADE, related_name="promotion_tallies", verbose_name=_("top-level category")
    )
    status = models.CharField(_("status"), max_length=20, choices=PromotionStatus.choices)
    listed = models.BooleanField(_("approved participant"))
    count = models.IntegerField(_("count"), default=0)

    class Meta:
        verbose_name = _("category tally")
        verbose_name_plural = _("category tallies")
        constraints = [
            models.UniqueConstraint(fields=["festival", "status", "listed", "category"], name="category_tally_once"),
        ]

    def __str__(self):
        return f"{self.festival_id} {self.category_id} {self.status} {'listed' if self.listed else '-'}: {self.count}"


class ItemCheckTally(models.Model):
    """How many items of a festival's promotions past the draft have an honest-price check status
    ("" for not checked yet): a roll-up the dashboard reads (see promotions.tallies)."""

    festival = models.ForeignKey(
        Festival, on_delete=models.CASCADE, related_name="item_check_tallies", verbose_name=_("festival")
    )
    check_status = models.CharField(_("check"), max_length=10, choices=CheckStatus.choices, blank=True)
    count = models.IntegerField(_("count"), default=0)

    class Meta:
        verbose_name = _("item check tally")
        verbose_name_plural = _("item check tallies")
        constraints = [
            models.UniqueConstraint(fields=["festival", "check_status"], name="item_check_tally_once"),
        ]

    def __str__(self):
        return f"{self.festival_id} {self.check_status or '-'}: {self.count}"
