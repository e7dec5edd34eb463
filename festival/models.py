"""Festival editions, their organisers and the category tree."""

import zoneinfo
from datetime import datetime, time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.constraints import OneQueryCheckConstraints
from core.models import StatusChange


def validate_time_zone(value):
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(_("“%(value)s” is not a known time zone."), params={"value": value}) from exc


class Organiser(models.Model):
    """A co-organising body, e.g. the Ministry of Commerce."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)
    short_name = models.CharField(_("short name"), max_length=50)
    # A provincial organiser (浙江省商务厅) has its province; a national one (商务部) has none.
    province = models.ForeignKey(
        "festival.Province",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="organisers",
        verbose_name=_("province"),
        help_text=_(
            "Only for a provincial organiser: its team also sees the province's merchants not yet in a festival."
        ),
    )

    class Meta:
        ordering = ["pk"]
        verbose_name = _("organiser")
        verbose_name_plural = _("organisers")

    def __str__(self):
        return self.name


class FestivalStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    REGISTRATION = "registration", _("Registration open")
    RUNNING = "running", _("Running")
    CLOSED = "closed", _("Closed")


# The festival clock only moves forward; the scheduler may skip a step when it
# catches up after downtime (planned → running when registration already ended).
FESTIVAL_TRANSITIONS: dict[str, frozenset[str]] = {
    FestivalStatus.PLANNED: frozenset({FestivalStatus.REGISTRATION, FestivalStatus.RUNNING, FestivalStatus.CLOSED}),
    FestivalStatus.REGISTRATION: frozenset({FestivalStatus.RUNNING, FestivalStatus.CLOSED}),
    FestivalStatus.RUNNING: frozenset({FestivalStatus.CLOSED}),
}


class StackingStep(models.TextChoices):
    """The steps of the final-price computation, in the order a festival chooses."""

    ITEM_PRICE = "item_price", _("Item promotional price")
    PERCENT_OFF = "percent_off", _("Percent off")
    AMOUNT_OFF = "amount_off", _("Amount off")
    THRESHOLD = "threshold", _("Threshold discount")
    COUPON = "coupon", _("Coupon / red envelope")


def default_stacking_order():
    return [
        StackingStep.ITEM_PRICE,
        StackingStep.PERCENT_OFF,
        StackingStep.AMOUNT_OFF,
        StackingStep.THRESHOLD,
        StackingStep.COUPON,
    ]


def default_stackable_kinds():
    # Platform-wide coupons and threshold discounts traditionally stack with an
    # item's own price cut; two price cuts on the same item do not.
    return ["threshold", "coupon"]


class Festival(OneQueryCheckConstraints, models.Model):
    """One edition of the festival, with its windows and honesty rules."""

    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    edition = models.PositiveSmallIntegerField(_("edition"), null=True, blank=True)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sub_festivals",
        verbose_name=_("parent edition"),
        help_text=_(
            "Only for a sub-festival (分会场): the national edition it belongs to. Its window lies inside the "
            "edition's and its honesty rules may be stricter, never looser."
        ),
    )
    organisers = models.ManyToManyField(Organiser, related_name="festivals", verbose_name=_("organisers"), blank=True)
    description = models.TextField(_("description"), blank=True)
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="Asia/Shanghai", validators=[validate_time_zone]
    )
    registration_opens_at = models.DateTimeField(_("registration opens"))
    registration_closes_at = models.DateTimeField(_("registration closes"))
    submission_deadline = models.DateTimeField(_("submission deadline"))
    starts_at = models.DateTimeField(_("festival starts"))
    ends_at = models.DateTimeField(_("festival ends"))
    status = models.CharField(
        _("status"), max_length=20, choices=FestivalStatus.choices, default=FestivalStatus.PLANNED, db_index=True
    )

    # Honesty rules
    price_lookback_days = models.PositiveSmallIntegerField(
        _("price lookback days"),
        default=7,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text=_("The reference price is the lowest price in this many days before a promotion starts."),
    )
    min_discount_percent = models.DecimalField(
        _("minimum discount (%)"),
        max_digits=5,
        decimal_places=2,
        default=5,
        validators=[MinValueValidator(0), MaxValueValidator(99)],
    )
    raise_lookback_days = models.PositiveSmallIntegerField(
        _("raise-then-cut lookback days"),
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text=_("How far back to look for a price raised shortly before the promotion."),
    )
    raise_tolerance_percent = models.DecimalField(
        _("raise tolerance (%)"),
        max_digits=5,
        decimal_places=2,
        default=5,
        validators=[MinValueValidator(0), MaxValueValidator(1000)],
        help_text=_("A price raised by more than this above its earlier level is flagged."),
    )
    stacking_order = models.JSONField(_("stacking order"), default=default_stacking_order)
    stackable_kinds = models.JSONField(
        _("kinds that may stack"),
        default=default_stackable_kinds,
        blank=True,
        help_text=_("Promotion kinds that may overlap another promotion on the same product."),
    )

    opened_at = models.DateTimeField(_("opened at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["-starts_at"]
        verbose_name = _("festival")
        verbose_name_plural = _("festivals")
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="festival_ends_after_start"),
            models.CheckConstraint(
                condition=Q(registration_closes_at__gt=F("registration_opens_at")),
                name="festival_registration_window_ordered",
            ),
            models.CheckConstraint(
                condition=Q(registration_opens_at__lte=F("starts_at")), name="festival_registration_before_window"
            ),
            models.CheckConstraint(
                condition=Q(submission_deadline__lte=F("starts_at")), name="festival_deadline_before_start"
            ),
            models.CheckConstraint(
                condition=Q(min_discount_percent__gte=0) & Q(min_discount_percent__lt=100),
                name="festival_min_discount_range",
            ),
            models.CheckConstraint(condition=Q(price_lookback_days__gte=1), name="festival_lookback_positive"),
            models.CheckConstraint(
                condition=Q(parent__isnull=True) | ~Q(parent=F("id")), name="festival_not_its_own_parent"
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def tz(self):
        return zoneinfo.ZoneInfo(self.time_zone)

    def local(self, moment):
        """A stored (UTC) moment in the festival's own time zone."""
        return timezone.localtime(moment, self.tz) if moment else moment

    def local_minute(self, moment) -> str:
        """A moment as people read it in the festival's zone: "2020-04-28 00:00"."""
        return f"{self.local(moment):%Y-%m-%d %H:%M}" if moment else ""

    # The festival's calendar rules, asked by every interface through the services.

    def registration_open_at(self, now) -> bool:
        return self.registration_opens_at <= now <= self.registration_closes_at

    def submission_deadline_passed_at(self, now) -> bool:
        return now > self.submission_deadline

    def has_ended_at(self, now) -> bool:
        """Once the window is over, no new promotion can run in it."""
        return now >= self.ends_at

    def start_of_day(self, day):
        return datetime.combine(day, time.min, tzinfo=self.tz)

    def end_of_day(self, day):
        """A festival "end date" is the last second of that day in the festival's zone, never UTC midnight."""
        return datetime.combine(day, time(23, 59, 59), tzinfo=self.tz)

    def window_contains(self, starts_at, ends_at=None):
        ends_at = ends_at or starts_at
        return self.starts_at <= starts_at and ends_at <= self.ends_at

    def clean(self):
        errors = {}
        reg_open, reg_close = self.registration_opens_at, self.registration_closes_at
        if reg_open and reg_close and reg_close <= reg_open:
            errors["registration_closes_at"] = _("Registration must close after it opens.")
        if reg_open and self.starts_at and reg_open > self.starts_at:
            errors["registration_opens_at"] = _("Registration must open before the festival window.")
        if self.submission_deadline and self.starts_at and self.submission_deadline > self.starts_at:
            errors["submission_deadline"] = _("The submission deadline must be before the festival starts.")
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            errors["ends_at"] = _("The festival must end after it starts.")
        if not isinstance(self.stacking_order, list) or not set(self.stacking_order) <= set(StackingStep.values):
            errors["stacking_order"] = _("List the stacking steps, each one of: %(steps)s.") % {
                "steps": ", ".join(StackingStep.values)
            }
        elif len(set(self.stacking_order)) != len(self.stacking_order):
            errors["stacking_order"] = _("Each stacking step may appear only once.")
        if self.parent_id is not None:
            self._check_against_parent(errors)
        elif self.pk is not None:
            self._check_sub_festivals(errors)
        if errors:
            raise ValidationError(errors)

    @property
    def is_sub_festival(self) -> bool:
        return self.parent_id is not None

    def _check_against_parent(self, errors):
        """A sub-festival: one level deep, inside its edition's window, never looser rules."""
        parent = self.parent
        if self.pk is not None and parent.pk == self.pk:
            errors["parent"] = _("A festival cannot be its own parent edition.")
            return
        if parent.parent_id is not None:
            errors["parent"] = _(
                "“%(parent)s” is itself a sub-festival: a sub-festival belongs to a national edition (one level only)."
            ) % {"parent": parent}
            return
        if self.pk is not None and Festival.objects.filter(parent_id=self.pk).exists():
            errors["parent"] = _("This edition has sub-festivals of its own, so it cannot become a sub-festival.")
            return
        if self.starts_at and self.starts_at < parent.starts_at:
            errors.setdefault(
                "starts_at",
                _("A sub-festival's window lies inside its edition's: start at %(start)s or later.")
                % {"start": parent.local_minute(parent.starts_at)},
            )
        if self.ends_at and self.ends_at > parent.ends_at:
            errors.setdefault(
                "ends_at",
                _("A sub-festival's window lies inside its edition's: end at %(end)s or earlier.")
                % {"end": parent.local_minute(parent.ends_at)},
            )
        for name, message in _looser_rules(self, parent):
            errors.setdefault(name, message)

    def _check_sub_festivals(self, errors):
        """An edition may not become looser than, or close its window on, a sub-festival it already has."""
        for child in Festival.objects.filter(parent_id=self.pk).order_by("pk"):
            if (self.starts_at and child.starts_at < self.starts_at) or (self.ends_at and child.ends_at > self.ends_at):
                errors.setdefault(
                    "starts_at" if self.starts_at and child.starts_at < self.starts_at else "ends_at",
                    _("The sub-festival “%(child)s” runs %(start)s – %(end)s: the edition's window must contain it.")
                    % {
                        "child": child,
                        "start": child.local_minute(child.starts_at),
                        "end": child.local_minute(child.ends_at),
                    },
                )
            for name, _message in _looser_rules(child, self):
                errors.setdefault(
                    name,
                    _(
                        "The sub-festival “%(child)s” has %(value)s here; the edition may not be stricter than "
                        "its sub-festivals (change the sub-festival first)."
                    )
                    % {"child": child, "value": getattr(child, name)},
                )


def _looser_rules(festival, parent):
    """(field, message) for every honesty rule ``festival`` sets looser than its ``parent``."""
    found = []
    if festival.price_lookback_days is not None and festival.price_lookback_days < parent.price_lookback_days:
        found.append(
            (
                "price_lookback_days",
                _(
                    "A sub-festival may look back longer than its edition (%(days)d days), never shorter: "
                    "a shorter lookback would let a price raised just before the promotion count as the reference."
                )
                % {"days": parent.price_lookback_days},
            )
        )
    if festival.min_discount_percent is not None and festival.min_discount_percent < parent.min_discount_percent:
        found.append(
            (
                "min_discount_percent",
                _(
                    "A sub-festival may ask a higher minimum discount than its edition (%(percent)s%%), never a lower one."
                )
                % {"percent": parent.min_discount_percent},
            )
        )
    if festival.raise_lookback_days is not None and festival.raise_lookback_days < parent.raise_lookback_days:
        found.append(
            (
                "raise_lookback_days",
                _(
                    "A sub-festival may look for raise-then-cut pricing further back than its edition "
                    "(%(days)d days), never less far."
                )
                % {"days": parent.raise_lookback_days},
            )
        )
    if (
        festival.raise_tolerance_percent is not None
        and festival.raise_tolerance_percent > parent.raise_tolerance_percent
    ):
        found.append(
            (
                "raise_tolerance_percent",
                _(
                    "A sub-festival may tolerate a smaller price raise than its edition (%(percent)s%%), never a larger one."
                )
                % {"percent": parent.raise_tolerance_percent},
            )
        )
    extra = set(festival.stackable_kinds or []) - set(parent.stackable_kinds or [])
    if extra:
        found.append(
            (
                "stackable_kinds",
                _("A sub-festival may let fewer kinds stack than its edition (%(kinds)s), never more: %(extra)s.")
                % {
                    "kinds": ", ".join(parent.stackable_kinds or []) or "—",
                    "extra": ", ".join(sorted(extra)),
                },
            )
        )
    return found


class FestivalEvent(StatusChange):
    """One status change of a festival (who, when, from, to, why)."""

    subject_field = "festival"

    festival = models.ForeignKey(Festival, on_delete=models.CASCADE, related_name="events", verbose_name=_("festival"))
    from_status = models.CharField(_("from status"), max_length=20, choices=FestivalStatus.choices, blank=True)
    to_status = models.CharField(_("to status"), max_length=20, choices=FestivalStatus.choices)

    class Meta(StatusChange.Meta):
        verbose_name = _("festival status change")
        verbose_name_plural = _("festival status changes")
        constraints = [
            # The clock moves each festival into each status once, whoever runs it.
            models.UniqueConstraint(fields=["festival", "to_status"], name="festival_event_once_per_status"),
        ]


class CertificateKind(models.TextChoices):
    TIME_HONOURED = "time_honoured", _("China Time-honoured Brand")
    POLLUTION_FREE = "pollution_free", _("Pollution-free agricultural product")
    GREEN_FOOD = "green_food", _("Green food")
    ORGANIC = "organic", _("Organic agricultural product")
    GEOGRAPHICAL_INDICATION = "geographical_indication", _("Agricultural geographical indication")


class Category(models.Model):
    """A node of the category tree; some categories need a verified certificate."""

    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children", verbose_name=_("parent")
    )
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    required_certificate_kind = models.CharField(
        _("required certificate"), max_length=30, choices=CertificateKind.choices, blank=True
    )

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self):
        return f"{self.parent} / {self.name}" if self.parent_id else self.name

    def clean(self):
        node, seen = self.parent, set()
        while node is not None:
            if node.pk == self.pk or node.pk in seen:
                raise ValidationError({"parent": _("A category cannot be its own ancestor.")})
            seen.add(node.pk)
            node = node.parent


class DailyResult(models.Model):
    """Reported sales, promotion counts and parcels rolled up per festival day (festival time zone)."""

    festival = models.ForeignKey(
        Festival, on_delete=models.CASCADE, related_name="daily_results", verbose_name=_("festival")
    )
    date = models.DateField(_("date"))
    gmv = models.DecimalField(_("sales (GMV, CNY)"), max_digits=18, decimal_places=2, default=0)
    orders = models.PositiveBigIntegerField(_("orders"), default=0)
    merchants_reporting = models.PositiveIntegerField(_("merchants reporting"), default=0)
    promotions_live = models.PositiveIntegerField(_("promotions live"), default=0)
    promotions_started = models.PositiveIntegerField(_("promotions started"), default=0)
    promotions_ended = models.PositiveIntegerField(_("promotions ended"), default=0)
    # Parcels reported by the express carriers (logistics app) for the day; empty, not
    # zero, when no carrier reported it.
    parcels_collected = models.PositiveBigIntegerField(_("parcels collected"), null=True, blank=True)
    parcels_delivered = models.PositiveBigIntegerField(_("parcels delivered"), null=True, blank=True)
    rural_parcels_collected = models.PositiveBigIntegerField(_("rural parcels collected"), null=True, blank=True)
    rural_parcels_delivered = models.PositiveBigIntegerField(_("rural parcels delivered"), null=True, blank=True)
    carriers_reporting = models.PositiveIntegerField(_("carriers reporting"), default=0)
    computed_at = models.DateTimeField(_("computed at"), default=timezone.now)

    class Meta:
        ordering = ["festival", "date"]
        verbose_name = _("daily result")
        verbose_name_plural = _("daily results")
        constraints = [models.UniqueConstraint(fields=["festival", "date"], name="daily_result_once_per_day")]

    def __str__(self):
        return f"{self.festival} {self.date}"


class SentNotification(models.Model):
    """One row per notification sent, keyed by its event, so nothing is sent twice."""

    key = models.CharField(_("key"), max_length=200, unique=True)
    recipient = models.CharField(_("recipient"), max_length=254)
    subject = models.CharField(_("subject"), max_length=255)
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now)

    class Meta:
        ordering = ["-sent_at"]
        verbose_name = _("sent notification")
        verbose_name_plural = _("sent notifications")

    def __str__(self):
        return self.key


class Province(models.Model):
    """A provincial-level division of China with its GB/T 2260 code (``330000`` Zhejiang).

    A reference table loaded by a migration (festival/0005): parcels are reported per
    province, merchants and sub-festivals belong to one.
    """

    code = models.CharField(_("GB/T 2260 code"), max_length=6, primary_key=True)
    name = models.CharField(_("name"), max_length=50, unique=True)
    name_en = models.CharField(_("English name"), max_length=50, unique=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("province")
        verbose_name_plural = _("provinces")

    def __str__(self):
        return self.name


class TeamRole(models.TextChoices):
    """A staff user's role in one organiser's team; each is the permission set of a role group (festival.roles)."""

    ADMIN = "admin", _("Organiser admin")
    REVIEWER = "reviewer", _("Reviewer")
    VIEWER = "viewer", _("Viewer")
    ASSOCIATION = "association", _("Consumer association")
    POST_BUREAU = "post_bureau", _("Post bureau")


class TeamMembership(models.Model):
    """A staff user in an organiser's team with one role there.

    What the user sees is the union over their teams (festival/scoping.py); what they may do
    with an object is their role in the team that owns it (festival/backends.py)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="team_memberships", verbose_name=_("user")
    )
    organiser = models.ForeignKey(
        Organiser, on_delete=models.CASCADE, related_name="team_memberships", verbose_name=_("organiser")
    )
    role = models.CharField(_("role"), max_length=20, choices=TeamRole.choices)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("added by"),
    )
    created_at = models.DateTimeField(_("added"), auto_now_add=True)

    class Meta:
        ordering = ["organiser", "user"]
        verbose_name = _("team member")
        verbose_name_plural = _("team members")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organiser"],
                name="team_membership_once_per_organiser",
                violation_error_message=_("This person is already in this organiser's team."),
            )
        ]

    def __str__(self):
        return f"{self.user} @ {self.organiser.short_name or self.organiser} ({self.get_role_display()})"
