"""Forms of the merchant portal. They validate input and shape it for the services;
querysets are always scoped to the signed-in merchant."""

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.forms import ModelCleanMessagesMixin, SanitisedImageField, https_urls
from core.templatetags.formatting import localname
from festival.models import Category

from . import selectors
from .models import Certificate, Merchant, PricePoint, Product
from .services import category_refusals

PRICE_LIST_MAX_BYTES = 2 * 1024 * 1024
PRICE_LIST_MAX_ROWS = 5000
PRICE_LIST_HEADER = ["sku", "price", "recorded_at"]
# Headers merchants write in Chinese spreadsheets are accepted too.
HEADER_ALIASES = {
    "sku": "sku",
    "商品编码": "sku",
    "商品sku": "sku",
    "price": "price",
    "价格": "price",
    "recorded_at": "recorded_at",
    "time": "recorded_at",
    "datetime": "recorded_at",
    "时间": "recorded_at",
    "记录时间": "recorded_at",
}


class MerchantProfileForm(ModelCleanMessagesMixin, forms.ModelForm):
    logo = SanitisedImageField(label=_("Logo"), required=False)

    class Meta:
        model = Merchant
        formfield_callback = https_urls
        fields = ["name", "legal_name", "website", "contact_name", "contact_email", "contact_phone", "logo"]


class CertificateForm(ModelCleanMessagesMixin, forms.ModelForm):
    document = SanitisedImageField(label=_("Scanned document"))

    class Meta:
        model = Certificate
        fields = ["kind", "number", "issuer", "valid_from", "valid_until", "document"]
        widgets = {
            "valid_from": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "valid_until": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }

    def __init__(self, *args, merchant, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.merchant = merchant


class ApplicationForm(forms.Form):
    """Apply to a festival. Categories that need a certificate the merchant does not
    hold (verified, valid across the window) are shown disabled with the reason."""

    categories = forms.ModelMultipleChoiceField(
        label=_("Categories"),
        queryset=Category.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one category.")},
    )

    def __init__(self, *args, merchant, festival, **kwargs):
        super().__init__(*args, **kwargs)
        self.festival = festival
        all_categories = list(Category.objects.select_related("parent").order_by("position", "pk"))
        self.refusals = category_refusals(merchant, festival, all_categories)
        self.fields["categories"].queryset = Category.objects.order_by("position", "pk")
        chosen = {str(value) for value in self.data.getlist("categories")} if self.is_bound else set()
        self.category_rows = [
            {
                "category": c,
                "refusal": self.refusals.get(c.pk),
                "child": c.parent_id is not None,
                "checked": str(c.pk) in chosen,
            }
            for c in _tree_order(all_categories)
        ]

    def clean_categories(self):
        categories = self.cleaned_data["categories"]
        refused = [self.refusals[c.pk] for c in categories if c.pk in self.refusals]
        if refused:
            raise ValidationError(refused)
        return categories


def category_label(category) -> str:
    """A category's name in the page's language, under its parent's."""
    name = localname(category)
    return f"{localname(category.parent)} / {name}" if category.parent_id else name


def _tree_order(categories):
    children: dict = {}
    for category in categories:
        children.setdefault(category.parent_id, []).append(category)
    ordered = []

    def walk(parent_id):
        for category in children.get(parent_id, []):
            ordered.append(category)
            walk(category.pk)

    walk(None)
    return ordered


class ProductForm(ModelCleanMessagesMixin, forms.ModelForm):
    class Meta:
        model = Product
        fields = ["sku", "name", "category", "unit", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, merchant, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.merchant = merchant
        self.fields["category"].queryset = Category.objects.order_by("position", "pk")
        self.fields["category"].label_from_instance = category_label

    def clean_sku(self):
        sku = self.cleaned_data["sku"].strip()
        clash = selectors.products_for(self.instance.merchant).filter(sku=sku).exclude(pk=self.instance.pk)
        if clash.exists():
            raise ValidationError(gettext("You already have a product with this SKU."))
        return sku


class PriceForm(forms.Form):
    price = forms.DecimalField(
        label=_("Price (CNY)"), min_value=Decimal("0.01"), max_digits=12, decimal_places=2, localize=False
    )
    recorded_at = forms.DateTimeField(
        label=_("Price valid from"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )


# Price lists (CSV) -------------------------------------------------------------


@dataclass
class ParsedPriceList:
    rows: list = field(default_factory=list)  # (row number, Product, Decimal, aware datetime)
    errors: list = field(default_factory=list)  # (row number, message)


def decode_price_list(data: bytes) -> str:
    """Text of an uploaded CSV: UTF-8 (with or without BOM) or GBK/GB18030, as Excel in China writes."""
    if not data.strip():
        raise ValidationError(gettext("The file is empty."), code="empty")
    if b"\x00" in data[:4096]:
        raise ValidationError(
            gettext("This does not look like a CSV text file. Save it as “CSV (UTF-8)” and try again."),
            code="binary",
        )
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValidationError(
        gettext("The file's text encoding cannot be read. Save it as “CSV (UTF-8)” and try again."),
        code="encoding",
    )


def _parse_moment(value: str, zone):
    text = value.strip().replace("/", "-")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=zone)
    return moment


def parse_price_list(text: str, *, merchant, zone) -> ParsedPriceList:
    """Read ``sku,price,recorded_at`` rows; every bad row is reported with its row number
    (the header is row 1). Naive times are read in ``zone`` (the festival's)."""
    result = ParsedPriceList()
    first_line = text.lstrip().split("\n", 1)[0]
    # Spreadsheets save "CSV" with tabs or semicolons in some locales.
    delimiter = next((d for d in (",", "\t", ";") if d in first_line), ",")
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        lines = list(reader)
    except csv.Error as exc:
        result.errors.append((0, gettext("The file is not valid CSV: %(error)s") % {"error": exc}))
        return result
    lines = [(number, row) for number, row in enumerate(lines, start=1) if any(cell.strip() for cell in row)]
    if not lines:
        result.errors.append((0, gettext("The file is empty.")))
        return result
    header_number, header = lines[0]
    columns = [HEADER_ALIASES.get(cell.strip().lower()) for cell in header]
    if not set(PRICE_LIST_HEADER) <= set(columns):
        result.errors.append(
            (
                header_number,
                gettext("The first row must name the columns: %(columns)s (download the template).")
                % {"columns": ", ".join(PRICE_LIST_HEADER)},
            )
        )
        return result
    data_lines = lines[1:]
    if not data_lines:
        result.errors.append((header_number, gettext("The file has a header but no prices.")))
        return result
    if len(data_lines) > PRICE_LIST_MAX_ROWS:
        result.errors.append(
            (0, gettext("At most %(max)d prices per file; split the list.") % {"max": PRICE_LIST_MAX_ROWS})
        )
        return result
    index = {name: columns.index(name) for name in PRICE_LIST_HEADER}
    skus = {row[index["sku"]].strip() for _n, row in data_lines if len(row) > index["sku"]}
    products = {p.sku: p for p in selectors.products_for(merchant).filter(sku__in=skus)}
    seen = {}
    for number, row in data_lines:
        if len(row) < len(header):
            result.errors.append((number, gettext("This row has too few columns.")))
            continue
        sku, price_text, moment_text = (row[index[name]].strip() for name in PRICE_LIST_HEADER)
        row_errors = []
        product = products.get(sku)
        if not sku:
            row_errors.append(gettext("The SKU is missing."))
        elif product is None:
            row_errors.append(gettext("You have no product with SKU “%(sku)s”.") % {"sku": sku})
        try:
            price = Decimal(price_text.replace("¥", "").replace("￥", "").replace(",", ""))
            if not price.is_finite():
                raise InvalidOperation
        except InvalidOperation:
            price = None
            row_errors.append(gettext("“%(value)s” is not a price.") % {"value": price_text})
        else:
            if price <= 0:
                row_errors.append(gettext("A price must be greater than zero."))
            elif price != price.quantize(Decimal("0.01")):
                row_errors.append(gettext("A price has at most two decimal places (fen)."))
            elif price >= Decimal("1e10"):
                row_errors.append(gettext("The price is too large."))
        moment = _parse_moment(moment_text, zone)
        if moment is None:
            row_errors.append(
                gettext("“%(value)s” is not a date and time (use e.g. 2026-04-20 10:00 or 2026-04-20T10:00+08:00).")
                % {"value": moment_text}
            )
        if not row_errors and (product.pk, moment) in seen:
            row_errors.append(
                gettext("Row %(other)d already gives a price for this product at this time.")
                % {"other": seen[(product.pk, moment)]}
            )
        if row_errors:
            result.errors.extend((number, message) for message in row_errors)
            continue
        seen[(product.pk, moment)] = number
        result.rows.append((number, product, price, moment))
    if not result.errors:
        _report_existing_prices(result)
    return result


def _report_existing_prices(result: ParsedPriceList) -> None:
    wanted = {(product.pk, moment): number for number, product, _price, moment in result.rows}
    existing = PricePoint.objects.filter(
        product_id__in={pk for pk, _m in wanted}, recorded_at__in={m for _pk, m in wanted}
    ).values_list("product_id", "recorded_at")
    for key in existing:
        if key in wanted:
            result.errors.append((wanted[key], gettext("This product already has a price at this time.")))
    result.errors.sort()


class PriceListUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Price list (CSV)"),
        help_text=_("Columns sku, price, recorded_at. UTF-8 or GBK. Times without an offset are Beijing time."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv", "data-upload": "csv"}),
    )

    def __init__(self, *args, merchant, zone, **kwargs):
        super().__init__(*args, **kwargs)
        self.merchant = merchant
        self.zone = zone
        self.parsed: ParsedPriceList | None = None
        self.text = ""

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > PRICE_LIST_MAX_BYTES:
            raise ValidationError(
                gettext("The file is too large; the limit is %(mb)d MB.") % {"mb": PRICE_LIST_MAX_BYTES // 1024 // 1024}
            )
        self.text = decode_price_list(upload.read())
        return upload

    def clean(self):
        cleaned = super().clean()
        if self.text:
            self.parsed = parse_price_list(self.text, merchant=self.merchant, zone=self.zone)
        return cleaned


class PriceListConfirmForm(forms.Form):
    """The checked price list, sent back as text and checked again before saving."""

    csv_text = forms.CharField(widget=forms.HiddenInput, max_length=PRICE_LIST_MAX_BYTES * 2)

    def __init__(self, *args, merchant, zone, **kwargs):
        super().__init__(*args, **kwargs)
        self.merchant = merchant
        self.zone = zone
        self.parsed: ParsedPriceList | None = None

    def clean(self):
        cleaned = super().clean()
        if "csv_text" in cleaned:
            self.parsed = parse_price_list(cleaned["csv_text"], merchant=self.merchant, zone=self.zone)
        return cleaned


def price_list_template() -> str:
    example = timezone.localtime().replace(minute=0, second=0, microsecond=0)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(PRICE_LIST_HEADER)
    writer.writerow(["SKU-0001", "199.00", f"{example:%Y-%m-%d %H:%M}"])
    writer.writerow(["SKU-0002", "59.90", example.isoformat(timespec="minutes")])
    return buffer.getvalue()
