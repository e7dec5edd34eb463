"""Spreadsheet import and export (django-import-export) of a carrier's parcel reports.

The bureau chooses the carrier in the import form and uploads the carrier's CSV or
XLSX: one row per day and province with the four counts (English column names as in
the API, or the Chinese headers of the template). Every row is checked by the same
rules as the API (logistics.services.RowChecker) before the preview, and the rows are
stored by the same service, all or nothing, replacing earlier reports and keeping the
replaced figures. The preview marks each row new, replacing (update) or unchanged (skip).
"""

import datetime
import re

from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext as _
from import_export import fields, resources, widgets

from festival.models import Province

from . import services
from .models import COUNT_FIELDS, Carrier, ParcelReport, ReportChannel

COLUMNS = ("carrier", "date", "province", *COUNT_FIELDS)
SLASHED_DATE = re.compile(r"(\d{4})[/.](\d{1,2})[/.](\d{1,2})")
PROVINCE_SUFFIXES = ("省", "市", "自治区", "壮族自治区", "回族自治区", "维吾尔自治区", "特别行政区")


def province_lookup() -> dict[str, str]:
    """Province code by its code, Chinese name (with or without 省/市/自治区) or English name."""
    lookup = {}
    for code, name, name_en in Province.objects.values_list("code", "name", "name_en"):
        short = name
        for suffix in sorted(PROVINCE_SUFFIXES, key=len, reverse=True):
            if short.endswith(suffix) and len(short) > len(suffix) + 1:
                short = short[: -len(suffix)]
                break
        for key in (code, name, short, name_en, name_en.split(" (")[0]):
            lookup[key.casefold()] = code
    return lookup


def _text(value) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value if value is not None else "").strip()


def cell_date(value):
    """A spreadsheet's date cell as the API's YYYY-MM-DD (Excel dates, 2020/4/28 and 2020-04-28 all work)."""
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    text = _text(value)
    match = SLASHED_DATE.fullmatch(text)
    if match:
        year, month, day = (int(part) for part in match.groups())
        return f"{year:04d}-{month:02d}-{day:02d}"
    return text


def cell_count(value):
    """A count cell as an int when it is a whole number (1,200 and 1200.0 too); anything else is left for the check."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else value
    text = _text(value).replace(",", "").replace("，", "")
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    return text or None


class ParcelReportResource(resources.ModelResource):
    carrier = fields.Field(attribute="carrier__code", column_name="carrier", readonly=True)
    date = fields.Field(attribute="date", column_name="date", widget=widgets.DateWidget("%Y-%m-%d"))
    province = fields.Field(attribute="province_id", column_name="province")

    class Meta:
        model = ParcelReport
        fields = COLUMNS
        export_order = COLUMNS
        import_id_fields = ("date", "province")
        skip_unchanged = True
        report_skipped = True
        use_transactions = True
        # Rows are checked in before_import by the service's rules and stored in after_import in one
        # bulk upsert: no query, savepoint or save per row.
        use_bulk = True
        clean_model_instances = False

    def __init__(self, carrier=None, **kwargs):
        super().__init__(**kwargs)
        self.import_carrier = carrier
        self.user = None
        self.row_errors: dict[int, dict[str, list[str]]] = {}
        self.clean_rows: dict[int, services.CleanRow] = {}
        self.existing: dict[tuple, ParcelReport] = {}
        self._current_row = None

    @classmethod
    def chinese_headers(cls) -> dict[str, str]:
        """Column name → the Chinese header of the downloadable template."""
        with translation.override("zh-hans"):
            headers = {"carrier": str(Carrier._meta.verbose_name)}
            for name in COLUMNS[1:]:
                headers[name] = str(ParcelReport._meta.get_field(name).verbose_name)
            return headers

    def get_export_queryset(self, request=None):
        return super().get_export_queryset(request).select_related("carrier")

    # Import ---------------------------------------------------------------------------

    def check_file(self, dataset):
        """What makes the whole file unusable; the headers are read as the fields (Chinese ones too)."""
        if self.import_carrier is None:
            raise ValidationError(_("Choose the carrier whose reports these are."))
        by_chinese = {header: name for name, header in self.chinese_headers().items()}
        if dataset.headers:
            dataset.headers = [by_chinese.get(_text(header), _text(header).casefold()) for header in dataset.headers]
        missing = [name for name in COLUMNS[1:] if name not in (dataset.headers or [])]
        if missing:
            raise ValidationError(
                _("The file lacks the column(s) %(columns)s; the first row must name the columns: %(all)s.")
                % {"columns": ", ".join(missing), "all": ", ".join(COLUMNS[1:])}
            )
        if not len(dataset):
            raise ValidationError(_("The file has no rows under the column names."))
        if len(dataset) > services.MAX_ROWS:
            raise ValidationError(
                _("At most %(max)s rows a file; this one has %(rows)s.")
                % {"max": f"{services.MAX_ROWS:,}", "rows": f"{len(dataset):,}"}
            )

    def before_import(self, dataset, **kwargs):
        self.user = kwargs.get("user")
        carrier = self.import_carrier
        try:
            self.check_file(dataset)
        except ValidationError:
            dataset.wipe()  # a file-wide problem: one clear message, not one per row
            raise
        provinces = province_lookup()
        rows, carrier_errors = [], {}
        for number, values in enumerate(dataset.dict, start=1):
            code = _text(values.get("carrier")).upper()
            if code and code != carrier.code:
                carrier_errors[number] = _("This row is for carrier %(row)s; the import is for %(carrier)s.") % {
                    "row": code,
                    "carrier": carrier.code,
                }
            province = _text(values.get("province"))
            rows.append(
                {
                    "date": cell_date(values.get("date")),
                    "province": provinces.get(province.casefold(), province),
                    **{name: cell_count(values.get(name)) for name in COUNT_FIELDS},
                }
            )
        clean, errors = services.check_rows(rows, first_index=1)
        self.row_errors = {}
        for error in errors:
            self.row_errors.setdefault(error.index, {}).setdefault(error.field, []).append(error.message)
        for number, message in carrier_errors.items():
            self.row_errors.setdefault(number, {}).setdefault("carrier", []).append(message)
        if self.row_errors:
            self.clean_rows = {}
            return
        self.clean_rows = dict(enumerate(clean, start=1))
        reports = ParcelReport.objects.filter(
            carrier=carrier,
            date__range=(min(row.date for row in clean), max(row.date for row in clean)),
            province_id__in={row.province for row in clean},
        )
        self.existing = {(report.date, report.province_id): report for report in reports}

    def before_import_row(self, row, row_number=None, **kwargs):
        errors = self.row_errors.get(row_number)
        if errors:
            raise ValidationError(errors)

    def get_instance(self, instance_loader, row):
        clean = self.clean_rows.get(self._current_row)
        report = self.existing.get(clean.key) if clean else None
        if report is not None:
            report.carrier = self.import_carrier
        return report

    def init_instance(self, row=None):
        return ParcelReport(carrier=self.import_carrier)

    def import_row(self, row, instance_loader, **kwargs):
        self._current_row = kwargs.get("row_number")
        return super().import_row(row, instance_loader, **kwargs)

    def import_instance(self, instance, row, **kwargs):
        clean = self.clean_rows.get(kwargs["row_number"])
        if clean is None:  # a good row of a file with bad rows: nothing of the file will be stored
            return
        instance.date = clean.date
        instance.province_id = clean.province
        for name in COUNT_FIELDS:
            setattr(instance, name, getattr(clean, name))

    def skip_row(self, instance, original, row, import_validation_errors=None):
        if self._current_row not in self.clean_rows:
            return True
        return original is not None and original.pk is not None and original.figures() == instance.figures()

    def save_instance(self, instance, is_create, row, **kwargs):
        """Nothing is saved row by row: after_import stores every row at once."""

    def after_import(self, dataset, result, **kwargs):
        if kwargs.get("dry_run") or result.has_errors() or result.has_validation_errors() or not self.clean_rows:
            return
        services.store_rows(
            self.import_carrier,
            list(self.clean_rows.values()),
            channel=ReportChannel.IMPORT,
            reporter=getattr(self.user, "username", "") or "",
        )
