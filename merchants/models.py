"""Merchants, their people, participations, certificates, products and prices."""

import re
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.constraints import OneQueryCheckConstraints
from core.images import random_upload_path
from core.models import StatusChange
from festival.models import Category, CertificateKind, Festival, Province

from . import uscc


class MerchantKind(models.TextChoices):
    COMPREHENSIVE_PLATFORM = "comprehensive_platform", _("Comprehensive e-commerce platform")
    VERTICAL_PLATFORM = "vertical_platform", _("Vertical e-commerce platform")
    SERVICE_PLATFORM = "service_platform", _("Service e-commerce platform")
    BRAND_ENTERPRISE = "brand_enterprise", _("Brand enterprise")
    CATERING = "catering", _("Catering platform")
    TOURISM = "tourism", _("Tourism platform")
    FOREIGN_TRADE = "foreign_trade", _("Foreign-trade manufacturer")
    SILK_ROAD = "silk_road", _("Silk Road e-commerce partner")


class Merchant(OneQueryCheckConstraints, models.Model):
    """A participating platform or enterprise."""

    name = models.CharField(_("name"), max_length=200)
    legal_name = models.CharField(_("legal name"), max_length=200, blank=True)
    uscc = models.CharField(
        _("Unified Social Credit Code"),
        max_length=18,
        unique=True,
        null=True,
        blank=True,
        error_messages={"unique": _("A merchant with this Unified Social Credit Code is already registered.")},
    )
    uscc_override_reason = models.TextField(
        _("USCC check override reason"),
        blank=True,
        help_text=_("Only for early pilot-region codes that fail the check character; organisers only."),
    )
    uscc_override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uscc_override_at = models.DateTimeField(null=True, blank=True)
    kind = models.CharField(_("kind"), max_length=30, choices=MerchantKind.choices)
    country = models.CharField(_("country"), max_length=2, default="CN", help_text=_("ISO 3166-1 alpha-2 code."))
    province = models.ForeignKey(
        Province,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merchants",
        verbose_name=_("province"),
        help_text=_("Where a Chinese merchant is registered (GB/T 2260); empty for foreign partners."),
    )
    website = models.URLField(_("website"), blank=True)
    logo = models.ImageField(_("logo"), upload_to=random_upload_path, blank=True)
    logo_thumbnail = models.ImageField(_("logo thumbnail"), upload_to=random_upload_path, blank=True, editable=False)
    contact_name = models.CharField(_("contact name"), max_length=100, blank=True)
    contact_email = models.EmailField(_("contact email"), blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("merchant")
        verbose_name_plural = _("merchants")
        permissions = [("override_uscc_check", _("Can accept a USCC that fails its check character"))]
        # Every list of merchants (the directory, the API, the admin) is in name order.
        indexes = [
            models.Index(fields=["name", "id"], name="merchant_name_order"),
            # The country filter in name order, and the countries in use (the directory's list,
            # public.selectors; the admin's filter), one index probe per country.
            models.Index(fields=["country", "name", "id"], name="merchant_country_name"),
        ]
        constraints = [
            # Chinese merchants are identified by their USCC; foreign partners may have none.
            models.CheckConstraint(condition=Q(uscc__isnull=False) | ~Q(country="CN"), name="merchant_cn_needs_uscc"),
            models.CheckConstraint(condition=~Q(uscc=""), name="merchant_uscc_null_not_blank"),
            models.CheckConstraint(condition=Q(country__regex=r"^[A-Z]{2}$"), name="merchant_country_iso2"),
        ]

    def __str__(self):
        return self.name

    @property
    def uscc_overridden(self):
        return bool(self.uscc_override_reason)

    def clean_fields(self, exclude=None):
        # Normalised before the field checks: " 9111…  " is longer than 18 characters until stripped.
        self.uscc = uscc.normalise(self.uscc) or None
        super().clean_fields(exclude=exclude)

    def clean(self):
        self.uscc = uscc.normalise(self.uscc) or None
        self.country = (self.country or "").strip().upper()
        errors = {}
        if not re.fullmatch(r"[A-Z]{2}", self.country):
            errors["country"] = _("Enter a two-letter ISO country code, e.g. CN.")
        if self.uscc:
            format_errors = uscc.format_errors(self.uscc)
            if format_errors:
                errors["uscc"] = format_errors
            else:
                check_error = uscc.check_error(self.uscc)
                if check_error and not self.uscc_override_reason.strip():
                    errors["uscc"] = [check_error]
        elif self.country == "CN":
            errors["uscc"] = _("A merchant registered in China needs its Unified Social Credit Code.")
        if self.province_id and self.country != "CN":
            errors["province"] = _("Only a merchant registered in China has a province; leave it empty.")
        if errors:
            raise ValidationError(errors)


class MembershipRole(models.TextChoices):
    OWNER = "owner", _("Owner")
    STAFF = "staff", _("Staff")


class Membership(models.Model):
    """Links a user account to the one merchant it works for."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership", verbose_name=_("user")
    )
    merchant = models.ForeignKey(
        Merchant, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("merchant")
    )
    role = models.CharField(_("role"), max_length=10, choices=MembershipRole.choices, default=MembershipRole.STAFF)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("invited by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")

    def __str__(self):
        return f"{self.user} @ {self.merchant}"


class ParticipationStatus(models.TextChoices):
    APPLIED = "applied", _("Applied")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


P = ParticipationStatus
PARTICIPATION_TRANSITIONS: dict[str, frozenset[str]] = {
    P.APPLIED: frozenset({P.APPROVED, P.REJECTED, P.WITHDRAWN}),
    P.APPROVED: frozenset({P.WITHDRAWN}),
    P.REJECTED: frozenset({P.APPLIED}),  # a rejected merchant may fix its claim and apply again
}


class Participation(models.Model):
    """A merchant in a festival, with the categories it claims. Status changes
    only through merchants.services (it records every change)."""

    merchant = models.ForeignKey(
        Merchant, on_delete=models.CASCADE, related_name="participations", verbose_name=_("merchant")
    )
    festival = models.ForeignKey(
        Festival, on_delete=models.CASCADE, related_name="participations", verbose_name=_("festival")
    )
    categories = models.ManyToManyField(Category, related_name="participations", verbose_name=_("categories"))
    status = models.CharField(
        _("status"), max_length=20, choices=ParticipationStatus.choices, default=P.APPLIED, db_index=True
    )
    applied_at = models.DateTimeField(_("applied"), default=timezone.now)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decision_note = models.TextField(_("decision note"), blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["festival", "merchant"]
        verbose_name = _("participation")
        verbose_name_plural = _("participations")
        permissions = [("review_participation", _("Can approve or reject participations"))]
        # The admin's list, newest applications first, alone and by each of its filters
        # (festival, status, both): an index walk that stops at the page, at any size.
        indexes = [
            models.Index(fields=["applied_at", "id"], name="participation_recent"),
            models.Index(fields=["festival", "applied_at", "id"], name="participation_festival_recent"),
            models.Index(fields=["status", "applied_at", "id"], name="participation_status_recent"),
            models.Index(fields=["festival", "status", "applied_at", "id"], name="participation_queue_recent"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "festival"],
                name="participation_once_per_festival",
                violation_error_message=_("This merchant already takes part in this festival."),
            )
        ]

    def __str__(self):
        return f"{self.merchant} @ {self.festival}"


class ParticipationTally(models.Model):
    """How many participations of a festival are in a status, of merchants of a kind: a roll-up the
    organisers' dashboard reads instead of counting participations (merchants.tallies keeps it
    exact, in the transaction of every change; ``rebuild_participation_tallies`` recounts it)."""

    festival = models.ForeignKey(
        Festival, on_delete=models.CASCADE, related_name="participation_tallies", verbose_name=_("festival")
    )
    status = models.CharField(_("status"), max_length=20, choices=ParticipationStatus.choices)
    merchant_kind = models.CharField(_("merchant kind"), max_length=30, choices=MerchantKind.choices)
    count = models.IntegerField(_("count"), default=0)

    class Meta:
        verbose_name = _("participation tally")
        verbose_name_plural = _("participation tallies")
        constraints = [
            models.UniqueConstraint(fields=["festival", "status", "merchant_kind"], name="participation_tally_once"),
        ]

    def __str__(self):
        return f"{self.festival_id} {self.status} {self.merchant_kind}: {self.count}"


class ParticipationCategoryTally(models.Model):
    """How many participations of a festival in a status claim a category (the same roll-up)."""

    festival = models.ForeignKey(
        Festival, on_delete=models.CASCADE, related_name="participation_category_tallies", verbose_name=_("festival")
    )
    status = models.CharField(_("status"), max_length=20, choices=ParticipationStatus.choices)
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="+", verbose_name=_("category"))
    count = models.IntegerField(_("count"), default=0)

    class Meta:
        verbose_name = _("participation category tally")
        verbose_name_plural = _("participation category tallies")
        constraints = [
            models.UniqueConstraint(
                fields=["festival", "status", "category"], name="participation_category_tally_once"
            ),
        ]

    def __str__(self):
        return f"{self.festival_id} {self.status} {self.category_id}: {self.count}"


class ParticipationEvent(StatusChange):
    subject_field = "participation"

    participation = models.ForeignKey(
        Participation, on_delete=models.CASCADE, related_name="events", verbose_name=_("participation")
    )
    from_status = models.CharField(_("from status"), max_length=20, choices=ParticipationStatus.choices, blank=True)
    to_status = models.CharField(_("to status"), max_length=20, choices=ParticipationStatus.choices)

    class Meta(StatusChange.Meta):
        verbose_name = _("participation status change")
        verbose_name_plural = _("participation status changes")


class CertificateStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    VERIFIED = "verified", _("Verified")
    REJECTED = "rejected", _("Rejected")


C = CertificateStatus
CERTIFICATE_TRANSITIONS: dict[str, frozenset[str]] = {
    C.PENDING: frozenset({C.VERIFIED, C.REJECTED}),
    C.VERIFIED: frozenset({C.REJECTED}),  # e.g. revoked by its issuer
    C.REJECTED: frozenset({C.PENDING}),  # resubmitted with a corrected scan
}

# Public formats of certificate numbers; other kinds are free text.
CERTIFICATE_NUMBER_FORMATS = {
    CertificateKind.GREEN_FOOD: (re.compile(r"GF\d{12}"), _("A green food certificate number is GF and 12 digits.")),
    CertificateKind.ORGANIC: (re.compile(r"\d{17}"), _("An organic product code has 17 digits.")),
    CertificateKind.GEOGRAPHICAL_INDICATION: (
        re.compile(r"AGI\d{5}"),
        _("A geographical indication number is AGI and 5 digits."),
    ),
}


class Certificate(models.Model):
    merchant = models.ForeignKey(
        Merchant, on_delete=models.CASCADE, related_name="certificates", verbose_name=_("merchant")
    )
    kind = models.CharField(_("kind"), max_length=30, choices=CertificateKind.choices)
    number = models.CharField(_("number"), max_length=60)
    issuer = models.CharField(_("issuer"), max_length=200)
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"))
    document = models.ImageField(_("scanned document"), upload_to=random_upload_path, blank=True)
    document_thumbnail = models.ImageField(upload_to=random_upload_path, blank=True, editable=False)
    status = models.CharField(
        _("status"), max_length=20, choices=CertificateStatus.choices, default=C.PENDING, db_index=True
    )
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    review_note = models.TextField(_("review note"), blank=True)
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["merchant", "kind", "valid_until"]
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")
        permissions = [("verify_certificate", _("Can verify or reject certificates"))]
        constraints = [
            models.CheckConstraint(condition=Q(valid_until__gte=F("valid_from")), name="certificate_validity_ordered"),
            models.UniqueConstraint(
                fields=["merchant", "kind", "number"],
                name="certificate_number_once_per_merchant",
                violation_error_message=_("This certificate is already on file."),
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.number}"

    def clean(self):
        self.number = (self.number or "").strip().upper() if self.kind in CERTIFICATE_NUMBER_FORMATS else self.number
        errors = {}
        fmt = CERTIFICATE_NUMBER_FORMATS.get(self.kind)
        if fmt and self.number and not fmt[0].fullmatch(self.number):
            errors["number"] = fmt[1]
        if self.valid_from and self.valid_until and self.valid_until < self.valid_from:
            errors["valid_until"] = _("A certificate cannot expire before it becomes valid.")
        if errors:
            raise ValidationError(errors)

    def is_expired(self, today: date | None = None) -> bool:
        return self.valid_until < (today or timezone.localdate())

    def covers(self, festival: Festival) -> bool:
        """Verified and valid on every day of the festival window (in its time zone)."""
        return (
            self.status == C.VERIFIED
            and self.valid_from <= festival.local(festival.starts_at).date()
            and self.valid_until >= festival.local(festival.ends_at).date()
        )


class CertificateEvent(StatusChange):
    subject_field = "certificate"

    certificate = models.ForeignKey(
        Certificate, on_delete=models.CASCADE, related_name="events", verbose_name=_("certificate")
    )
    from_status = models.CharField(_("from status"), max_length=20, choices=CertificateStatus.choices, blank=True)
    to_status = models.CharField(_("to status"), max_length=20, choices=CertificateStatus.choices)

    class Meta(StatusChange.Meta):
        verbose_name = _("certificate status change")
        verbose_name_plural = _("certificate status changes")


class TimeHonouredBrand(models.Model):
    """The official China Time-honoured Brands list (reference table, imported from CSV)."""

    brand = models.CharField(_("brand"), max_length=100)
    company = models.CharField(_("company"), max_length=200)
    region = models.CharField(_("region"), max_length=100, blank=True)
    batch = models.CharField(_("batch"), max_length=50, blank=True)

    class Meta:
        ordering = ["brand"]
        verbose_name = _("China Time-honoured Brand")
        verbose_name_plural = _("China Time-honoured Brands")
        constraints = [models.UniqueConstraint(fields=["brand", "company"], name="time_honoured_brand_unique")]
        # merchants.reference.on_time_honoured_list matches case-insensitively, once per listed row.
        indexes = [
            models.Index(Upper("brand"), name="time_honoured_brand_upper"),
            models.Index(Upper("company"), name="time_honoured_company_upper"),
        ]

    def __str__(self):
        return f"{self.brand} ({self.company})"


class Product(models.Model):
    merchant = models.ForeignKey(
        Merchant, on_delete=models.CASCADE, related_name="products", verbose_name=_("merchant")
    )
    sku = models.CharField(_("SKU"), max_length=64)
    name = models.CharField(_("name"), max_length=200)
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.SET_NULL, related_name="products", verbose_name=_("category")
    )
    unit = models.CharField(_("unit"), max_length=20, default="件", blank=True)
    description = models.TextField(_("description"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        # By the merchant's id, not "merchant" (its name): the unique (merchant, sku) index
        # serves the order; by name every product would be joined and sorted (issue 17).
        ordering = ["merchant_id", "sku"]
        verbose_name = _("product")
        verbose_name_plural = _("products")
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "sku"],
                name="product_sku_unique_per_merchant",
                violation_error_message=_("You already have a product with this SKU."),
            )
        ]

    def __str__(self):
        return f"{self.sku} {self.name}"


class PriceSource(models.TextChoices):
    FORM = "form", _("Form")
    CSV = "csv", _("CSV upload")
    API = "api", _("API")
    DEMO = "demo", _("Demo data")


class PricePoint(models.Model):
    """The price a product was sold at from a moment on (CNY)."""

    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="price_points", verbose_name=_("product")
    )
    price = models.DecimalField(
        _("price (CNY)"), max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    recorded_at = models.DateTimeField(_("recorded at"))
    source = models.CharField(_("source"), max_length=10, choices=PriceSource.choices, default=PriceSource.FORM)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["product", "recorded_at"]
        verbose_name = _("price point")
        verbose_name_plural = _("price points")
        constraints = [
            models.CheckConstraint(condition=Q(price__gt=0), name="price_point_positive"),
            # A product has one price at a given instant; the unique index also serves
            # the honest-price lookups (product, time range).
            models.UniqueConstraint(
                fields=["product", "recorded_at"],
                name="price_point_once_per_instant",
                violation_error_message=_("This product already has a price at this time."),
            ),
        ]

    def __str__(self):
        return f"{self.product.sku} ¥{self.price} @ {self.recorded_at:%Y-%m-%d %H:%M}"


class SalesReport(models.Model):
    """A merchant's reported sales for one festival day; the latest report replaces the earlier one."""

    merchant = models.ForeignKey(
        Merchant, on_delete=models.CASCADE, related_name="sales_reports", verbose_name=_("merchant")
    )
    festival = models.ForeignKey(
        Festival, on_delete=models.CASCADE, related_name="sales_reports", verbose_name=_("festival")
    )
    date = models.DateField(_("date"))
    gmv = models.DecimalField(_("sales (GMV, CNY)"), max_digits=16, decimal_places=2)
    orders = models.PositiveIntegerField(_("orders"))
    reported_at = models.DateTimeField(_("reported"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        # By ids, not the festival's and merchant's own orders (a join and a sort of every
        # report); the index below serves it.
        ordering = ["festival_id", "date", "merchant_id"]
        verbose_name = _("sales report")
        verbose_name_plural = _("sales reports")
        indexes = [models.Index(fields=["festival", "date", "merchant"], name="sales_report_in_order")]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "festival", "date"], name="sales_report_once_per_day"),
            models.CheckConstraint(condition=Q(gmv__gte=0), name="sales_report_gmv_not_negative"),
        ]

    def __str__(self):
        return f"{self.merchant} {self.date}: ¥{self.gmv}"
