"""The State Post Bureau's part: express carriers, their daily parcel reports per
province (with every replaced version kept) and express coverage per province.

A parcel report is keyed by (carrier, day, province) and by nothing else: the day
is a calendar day in the festival's time zone, and which festival it belongs to
follows from the day (a festival's days and 30 days on each side, its baseline).
"""

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from festival.models import Province
from merchants import uscc as uscc_rules

CARRIER_CODE = re.compile(r"[A-Z][A-Z0-9]{1,9}")


class Carrier(models.Model):
    """An express company (SF Express, ZTO, China Post EMS…), registered by the organisers."""

    code = models.CharField(
        _("code"),
        max_length=10,
        unique=True,
        help_text=_("A short code in capitals, e.g. SF, ZTO, EMS; carriers' API keys and files name it."),
        error_messages={"unique": _("A carrier with this code is already registered.")},
    )
    name = models.CharField(_("name"), max_length=200, unique=True)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)
    uscc = models.CharField(
        _("Unified Social Credit Code"),
        max_length=18,
        unique=True,
        error_messages={"unique": _("A carrier with this Unified Social Credit Code is already registered.")},
    )
    active = models.BooleanField(
        _("active"), default=True, help_text=_("Only active carriers may report; the dashboard expects their reports.")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("carrier")
        verbose_name_plural = _("carriers")
        constraints = [
            models.CheckConstraint(condition=Q(code__regex=r"^[A-Z][A-Z0-9]{1,9}$"), name="carrier_code_format"),
        ]

    def __str__(self):
        return f"{self.name} ({self.code})"

    def clean_fields(self, exclude=None):
        # Normalised before the field checks, as merchants' codes are: spaces and lower case are forgiven.
        self.code = (self.code or "").strip().upper()
        self.uscc = uscc_rules.normalise(self.uscc or "")
        super().clean_fields(exclude=exclude)

    def clean(self):
        errors = {}
        if self.code and not CARRIER_CODE.fullmatch(self.code):
            errors["code"] = _("Use 2 to 10 capital letters or digits, starting with a letter (e.g. SF, ZTO, EMS).")
        if self.uscc:
            # Checked like merchants' codes (GB 32100-2015), without the override: express
            # companies are licensed nationally and their codes pass the check character.
            problems = uscc_rules.format_errors(self.uscc) or [uscc_rules.check_error(self.uscc)]
            problems = [problem for problem in problems if problem]
            if problems:
                errors["uscc"] = problems
        if errors:
            raise ValidationError(errors)


class ReportChannel(models.TextChoices):
    API = "api", _("API")
    IMPORT = "import", _("Spreadsheet import")
    DEMO = "demo", _("Demo data")


COUNT_FIELDS = ("collected", "delivered", "rural_collected", "rural_delivered")


class ParcelFigures(models.Model):
    """The four figures of a day's report, shared by a report and its earlier versions."""

    collected = models.PositiveBigIntegerField(_("parcels collected"))
    delivered = models.PositiveBigIntegerField(_("parcels delivered"))
    rural_collected = models.PositiveBigIntegerField(_("rural parcels collected"))
    rural_delivered = models.PositiveBigIntegerField(_("rural parcels delivered"))
    channel = models.CharField(_("reported through"), max_length=10, choices=ReportChannel.choices)
    reporter = models.CharField(
        _("reported by"), max_length=150, blank=True, help_text=_("The user, or the API key's prefix and name.")
    )
    reported_at = models.DateTimeField(_("reported at"), default=timezone.now)

    class Meta:
        abstract = True

    def figures(self) -> tuple[int, int, int, int]:
        return (self.collected, self.delivered, self.rural_collected, self.rural_delivered)


class ParcelReport(ParcelFigures):
    """One carrier's parcels for one day in one province. A new report for the same
    carrier, day and province replaces this one; the figures it replaced are kept as
    a ParcelReportVersion."""

    carrier = models.ForeignKey(
        Carrier, on_delete=models.PROTECT, related_name="parcel_reports", verbose_name=_("carrier")
    )
    date = models.DateField(_("date"), help_text=_("The day, in the festival's time zone."))
    province = models.ForeignKey(
        Province, on_delete=models.PROTECT, related_name="parcel_reports", verbose_name=_("province")
    )

    class Meta:
        ordering = ["-date", "carrier", "province"]
        verbose_name = _("parcel report")
        verbose_name_plural = _("parcel reports")
        constraints = [
            models.UniqueConstraint(fields=["carrier", "date", "province"], name="parcel_report_once_per_day"),
            models.CheckConstraint(
                condition=Q(rural_collected__lte=F("collected")), name="parcel_report_rural_collected_within"
            ),
            models.CheckConstraint(
                condition=Q(rural_delivered__lte=F("delivered")), name="parcel_report_rural_delivered_within"
            ),
        ]
        # The dashboard and the roll-up sum a range of days over every carrier.
        indexes = [models.Index(fields=["date", "province"], name="parcel_report_day_province")]

    def __str__(self):
        return f"{self.carrier.code} {self.date} {self.province_id}"

    def clean(self):
        errors = {}
        if self.collected is not None and self.rural_collected is not None and self.rural_collected > self.collected:
            errors["rural_collected"] = _("Rural parcels collected cannot exceed parcels collected.")
        if self.delivered is not None and self.rural_delivered is not None and self.rural_delivered > self.delivered:
            errors["rural_delivered"] = _("Rural parcels delivered cannot exceed parcels delivered.")
        if errors:
            raise ValidationError(errors)


class ParcelReportVersion(ParcelFigures):
    """The figures a parcel report had before a later report replaced them (who, when, what).

    Parcel reports have no status, so their history is not a core.models.StatusChange
    (from/to status): it is the replaced figures themselves, append-only, written by
    logistics.services in the same transaction as the replacement.
    """

    report = models.ForeignKey(
        ParcelReport, on_delete=models.CASCADE, related_name="versions", verbose_name=_("parcel report")
    )
    replaced_at = models.DateTimeField(_("replaced at"), default=timezone.now, db_index=True)
    replaced_through = models.CharField(_("replaced through"), max_length=10, choices=ReportChannel.choices)
    replaced_by = models.CharField(_("replaced by"), max_length=150, blank=True)

    class Meta:
        ordering = ["report", "replaced_at", "pk"]
        verbose_name = _("replaced parcel report")
        verbose_name_plural = _("replaced parcel reports")

    def __str__(self):
        return f"{self.report}: {self.collected} @ {self.reported_at:%Y-%m-%d %H:%M}"


class Coverage(models.Model):
    """Express service in one province as of a date, entered by the Post Bureau: townships
    with an express service point and villages with express service, out of the totals."""

    province = models.ForeignKey(
        Province, on_delete=models.PROTECT, related_name="coverage", verbose_name=_("province")
    )
    date = models.DateField(_("as of"))
    townships = models.PositiveIntegerField(_("townships"))
    townships_served = models.PositiveIntegerField(_("townships with an express service point"))
    villages = models.PositiveIntegerField(_("villages"))
    villages_served = models.PositiveIntegerField(_("villages with express service"))
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("updated by"),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["province", "-date"]
        verbose_name = _("express coverage")
        verbose_name_plural = _("express coverage")
        constraints = [
            models.UniqueConstraint(fields=["province", "date"], name="coverage_once_per_day"),
            models.CheckConstraint(condition=Q(townships_served__lte=F("townships")), name="coverage_townships_within"),
            models.CheckConstraint(condition=Q(villages_served__lte=F("villages")), name="coverage_villages_within"),
        ]

    def __str__(self):
        return f"{self.province} {self.date}"

    def clean(self):
        errors = {}
        if self.townships is not None and self.townships_served is not None and self.townships_served > self.townships:
            errors["townships_served"] = _("Cannot exceed the number of townships.")
        if self.villages is not None and self.villages_served is not None and self.villages_served > self.villages:
            errors["villages_served"] = _("Cannot exceed the number of villages.")
        if errors:
            raise ValidationError(errors)

    @staticmethod
    def share(served, total):
        return None if not total else round(served * 100 / total, 1)

    @property
    def townships_share(self):
        return self.share(self.townships_served, self.townships)

    @property
    def villages_share(self):
        return self.share(self.villages_served, self.villages)
