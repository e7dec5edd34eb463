"""Price lists: the ``sku,price,recorded_at`` CSV files merchants upload.

Plain parsing and validation, no forms: decode the upload (UTF-8 with or without
BOM, GBK/GB18030), read its rows, and report every bad row with its number. A
list is saved only when it has no errors at all (all or nothing); the portal's
forms call these functions, and ``services.record_prices`` saves the rows.
"""

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext

from core.moments import FIRST_YEAR, LAST_YEAR, year_in_range

from . import selectors
from .models import PricePoint

PRICE_LIST_MAX_BYTES = 2 * 1024 * 1024
PRICE_LIST_MAX_ROWS = 5000
PRICE_LIST_HEADER = ["sku", "price", "recorded_at"]
# What PricePoint.price holds: a larger price would fail on saving (or overflow
# Decimal's context while being checked), so it is a row error here.
_PRICE_FIELD = PricePoint._meta.get_field("price")
PRICE_STEP = Decimal(1).scaleb(-_PRICE_FIELD.decimal_places)  # 0.01
PRICE_LIMIT = Decimal(1).scaleb(_PRICE_FIELD.max_digits - _PRICE_FIELD.decimal_places)  # 1e10, excluded
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
            # The size first: quantizing 1e30 overflows Decimal's context.
            if price <= 0:
                row_errors.append(gettext("A price must be greater than zero."))
            elif price >= PRICE_LIMIT:
                row_errors.append(gettext("The price is too large."))
            elif price != price.quantize(PRICE_STEP):
                row_errors.append(gettext("A price has at most two decimal places (fen)."))
        moment = _parse_moment(moment_text, zone)
        if moment is None:
            row_errors.append(
                gettext("“%(value)s” is not a date and time (use e.g. 2026-04-20 10:00 or 2026-04-20T10:00+08:00).")
                % {"value": moment_text}
            )
        elif not year_in_range(moment):
            row_errors.append(
                gettext("Enter a moment between the years %(first)d and %(last)d.")
                % {"first": FIRST_YEAR, "last": LAST_YEAR}
            )
            moment = None
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


def price_list_template() -> str:
    example = timezone.localtime().replace(minute=0, second=0, microsecond=0)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(PRICE_LIST_HEADER)
    writer.writerow(["SKU-0001", "199.00", f"{example:%Y-%m-%d %H:%M}"])
    writer.writerow(["SKU-0002", "59.90", example.isoformat(timespec="minutes")])
    return buffer.getvalue()
