from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from merchants.models import PricePoint, PriceSource
from tests.factories import PricePointFactory, ProductFactory
from tests.portal import csv_upload, sign_in

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_record_a_price_in_beijing_time(client):
    signed = sign_in(client)
    product = ProductFactory(merchant=signed.merchant)

    response = signed.client.post(
        reverse("merchant:product_detail", args=[product.pk]), {"price": "88.80", "recorded_at": "2026-04-20T10:00"}
    )

    point = PricePoint.objects.get(product=product)
    assert response.status_code == 302
    assert point.price == Decimal("88.80")
    assert point.recorded_at == datetime(2026, 4, 20, 10, 0, tzinfo=SHANGHAI)
    assert point.source == PriceSource.FORM


@pytest.mark.parametrize("price", ["0", "-5", "abc", "1.234"])
def test_a_bad_price_is_refused_and_nothing_saved(client, price):
    signed = sign_in(client)
    product = ProductFactory(merchant=signed.merchant)

    response = signed.client.post(
        reverse("merchant:product_detail", args=[product.pk]), {"price": price, "recorded_at": "2026-04-20T10:00"}
    )

    assert response.status_code == 200
    assert response.context["form"].errors["price"]
    assert f'value="{price}"' in response.content.decode()
    assert not PricePoint.objects.exists()


def test_a_second_price_at_the_same_moment_is_refused(client):
    signed = sign_in(client)
    product = ProductFactory(merchant=signed.merchant)
    PricePointFactory(product=product, recorded_at=datetime(2026, 4, 20, 10, 0, tzinfo=SHANGHAI))

    response = signed.client.post(
        reverse("merchant:product_detail", args=[product.pk]), {"price": "9.90", "recorded_at": "2026-04-20T10:00"}
    )

    assert "already has a price at this time" in response.content.decode()
    assert PricePoint.objects.count() == 1


# Price lists (CSV) -------------------------------------------------------------


def _upload(signed, text, **kwargs):
    return signed.client.post(reverse("merchant:price_upload"), {"file": csv_upload(text, **kwargs)})


def test_price_list_preview_then_confirm_saves_every_row(client):
    signed = sign_in(client)
    ProductFactory(merchant=signed.merchant, sku="A-1")
    ProductFactory(merchant=signed.merchant, sku="B-2")
    text = "sku,price,recorded_at\nA-1,199.00,2026-04-20 10:00\nB-2,59.9,2026-04-20T10:00:00+00:00\n"

    preview = _upload(signed, text)
    confirm = signed.client.post(
        reverse("merchant:price_upload_confirm"), {"csv_text": preview.context["confirm_form"].initial["csv_text"]}
    )

    assert preview.status_code == 200 and len(preview.context["rows"]) == 2
    assert confirm.status_code == 302
    points = {p.product.sku: p for p in PricePoint.objects.select_related("product")}
    assert points["A-1"].recorded_at == datetime(2026, 4, 20, 10, 0, tzinfo=SHANGHAI)  # naive → Beijing time
    assert points["B-2"].recorded_at == datetime(2026, 4, 20, 18, 0, tzinfo=SHANGHAI)  # offset respected
    assert points["B-2"].price == Decimal("59.90") and points["B-2"].source == PriceSource.CSV


def test_the_preview_saves_nothing(client):
    signed = sign_in(client)
    ProductFactory(merchant=signed.merchant, sku="A-1")

    _upload(signed, "sku,price,recorded_at\nA-1,199.00,2026-04-20 10:00\n")

    assert not PricePoint.objects.exists()


def test_a_bad_row_is_reported_with_its_row_number_and_nothing_is_saved(client):
    signed = sign_in(client)
    ProductFactory(merchant=signed.merchant, sku="A-1")
    text = (
        "sku,price,recorded_at\n"
        "A-1,199.00,2026-04-20 10:00\n"
        "A-1,0,2026-04-21 10:00\n"
        "NOPE,10,2026-04-21 10:00\n"
        "A-1,12,yesterday\n"
    )

    response = _upload(signed, text)

    assert response.status_code == 400
    errors = dict(response.context["row_errors"])
    assert set(errors) == {3, 4, 5}
    assert "greater than zero" in errors[3]
    assert "NOPE" in errors[4]
    assert "yesterday" in errors[5]
    assert not PricePoint.objects.exists()


def test_someone_elses_sku_is_a_bad_row(client):
    signed = sign_in(client)
    ProductFactory(sku="THEIRS")

    response = _upload(signed, "sku,price,recorded_at\nTHEIRS,10,2026-04-20 10:00\n")

    assert response.status_code == 400
    assert "no product with SKU “THEIRS”" in response.content.decode()


def test_a_tampered_confirmation_is_checked_again(client):
    signed = sign_in(client)
    ProductFactory(sku="THEIRS")

    response = signed.client.post(
        reverse("merchant:price_upload_confirm"), {"csv_text": "sku,price,recorded_at\nTHEIRS,10,2026-04-20 10:00\n"}
    )

    assert response.status_code == 400
    assert not PricePoint.objects.exists()


def test_a_price_that_exists_already_fails_the_whole_list(client):
    signed = sign_in(client)
    product = ProductFactory(merchant=signed.merchant, sku="A-1")
    PricePointFactory(product=product, recorded_at=datetime(2026, 4, 20, 10, 0, tzinfo=SHANGHAI))

    response = _upload(signed, "sku,price,recorded_at\nA-1,5,2026-04-19 10:00\nA-1,6,2026-04-20 10:00\n")

    assert response.status_code == 400
    assert dict(response.context["row_errors"]).keys() == {3}
    assert PricePoint.objects.count() == 1


def test_the_same_product_and_time_twice_in_one_file_is_refused(client):
    signed = sign_in(client)
    ProductFactory(merchant=signed.merchant, sku="A-1")

    response = _upload(signed, "sku,price,recorded_at\nA-1,5,2026-04-19 10:00\nA-1,6,2026-04-19 10:00\n")

    assert "Row 2 already gives a price" in response.content.decode()


@pytest.mark.parametrize(
    ("encoding", "prefix"),
    [("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("gbk", b"")],
    ids=["utf-8", "utf-8-bom", "gbk"],
)
def test_price_lists_in_utf8_bom_and_gbk_are_read(client, encoding, prefix):
    signed = sign_in(client)
    ProductFactory(merchant=signed.merchant, sku="茶-1")
    text = "商品编码,价格,时间\n茶-1,￥128.00,2026/04/20 10:00\n"

    upload = SimpleUploadedFile("价格.csv", prefix + text.encode(encoding), content_type="text/csv")

    response = signed.client.post(reverse("merchant:price_upload"), {"file": upload})

    assert response.status_code == 200, response.context.get("row_errors")
    assert [(row[1].sku, row[2]) for row in response.context["rows"]] == [("茶-1", Decimal("128.00"))]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The submitted file is empty."),
        (b"   \n\n", "The file is empty."),
        (b"\x00\x01\x02binary", "does not look like a CSV"),
        (b"sku,price,recorded_at\nA-1,\xff\xff,2026-04-20 10:00\n", "text encoding cannot be read"),
        (b"name,cost\nA,1\n", "must name the columns"),
        (b"sku,price,recorded_at\n", "no prices"),
        (b"sku,price,recorded_at\nA-1,5\n", "too few columns"),
    ],
    ids=["zero-bytes", "blank", "binary", "bad-encoding", "wrong-header", "header-only", "short-row"],
)
def test_unreadable_price_lists_get_a_clear_message(client, content, message):
    signed = sign_in(client)
    ProductFactory(merchant=signed.merchant, sku="A-1")

    response = signed.client.post(
        reverse("merchant:price_upload"), {"file": SimpleUploadedFile("p.csv", content, content_type="text/csv")}
    )

    assert message in response.content.decode()
    assert not PricePoint.objects.exists()


def test_template_csv_downloads_with_the_expected_header(client):
    signed = sign_in(client)

    response = signed.client.get(reverse("merchant:price_template"))

    assert response["Content-Type"].startswith("text/csv")
    assert response.content.decode().splitlines()[0] == "sku,price,recorded_at"


def test_the_template_itself_passes_the_check_once_its_skus_exist(client):
    signed = sign_in(client)
    ProductFactory(merchant=signed.merchant, sku="SKU-0001")
    ProductFactory(merchant=signed.merchant, sku="SKU-0002")
    template = signed.client.get(reverse("merchant:price_template")).content.decode()

    response = _upload(signed, template)

    assert response.status_code == 200 and len(response.context["rows"]) == 2


@pytest.mark.parametrize("delimiter", ["\t", ";"], ids=["tabs", "semicolons"])
def test_price_lists_with_tabs_or_semicolons_are_read(client, delimiter):
    signed = sign_in(client)
    ProductFactory(merchant=signed.merchant, sku="A-1")
    text = (
        delimiter.join(["sku", "price", "recorded_at"]) + "\n" + delimiter.join(["A-1", "12.500", "2026-04-20 10:00"])
    )

    response = _upload(signed, text + "\n")

    assert response.status_code == 200, response.context.get("row_errors")
    assert response.context["rows"][0][2] == Decimal("12.50")


@pytest.mark.parametrize(
    ("price", "moment", "message"),
    [
        ("1e30", "2026-04-20 10:00", "too large"),
        ("NaN", "2026-04-20 10:00", "is not a price"),
        ("inf", "2026-04-20 10:00", "is not a price"),
        ("12345678901.00", "2026-04-20 10:00", "too large"),
        ("1.234567890123456789012345678901", "2026-04-20 10:00", "two decimal places"),
        ("9.90", "0001-01-01 00:00", "between the years 1970 and 2999"),
        ("9.90", "9999-12-31 23:59", "between the years 1970 and 2999"),
    ],
)
def test_a_price_or_year_out_of_range_is_a_row_error_and_nothing_is_saved(client, price, moment, message):
    signed = sign_in(client)
    ProductFactory(merchant=signed.merchant, sku="A-1")
    text = f"sku,price,recorded_at\nA-1,9.90,2026-04-19 10:00\nA-1,{price},{moment}\n"

    response = _upload(signed, text)

    assert response.status_code == 400  # the form's errors, not a 500
    errors = dict(response.context["row_errors"])
    assert set(errors) == {3}
    assert message in errors[3]
    assert response.context.get("confirm_form") is None
    assert not PricePoint.objects.exists()
