"""Merchant, certificate, product and price invariants, in model validation and in the database."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from festival.models import CertificateKind
from merchants.models import Certificate, Merchant, MerchantKind, Participation, PricePoint, Product
from merchants.uscc import make_uscc
from tests.factories import (
    CertificateFactory,
    FestivalFactory,
    MerchantFactory,
    ParticipationFactory,
    PricePointFactory,
    ProductFactory,
)

pytestmark = pytest.mark.django_db


def certificate(kind, number):
    return Certificate(
        merchant=MerchantFactory(),
        kind=kind,
        number=number,
        issuer="Issuer",
        valid_from=date(2020, 1, 1),
        valid_until=date(2022, 12, 31),
    )


@pytest.mark.parametrize(
    "kind, number",
    [
        (CertificateKind.GREEN_FOOD, "GF320100201234"),
        (CertificateKind.GREEN_FOOD, " gf320100201234 "),  # normalised
        (CertificateKind.ORGANIC, "12345678901234567"),
        (CertificateKind.GEOGRAPHICAL_INDICATION, "AGI01234"),
        (CertificateKind.TIME_HONOURED, "中华老字号 2006-0123"),  # free text
        (CertificateKind.POLLUTION_FREE, "WGH-20-01234"),  # free text
    ],
)
def test_certificate_numbers_in_their_public_format_are_accepted(kind, number):
    cert = certificate(kind, number)

    cert.full_clean()

    assert cert.number.strip() == cert.number


def test_certificate_number_is_normalised_for_formatted_kinds():
    cert = certificate(CertificateKind.GREEN_FOOD, " gf320100201234 ")

    cert.full_clean()

    assert cert.number == "GF320100201234"


@pytest.mark.parametrize(
    "kind, number",
    [
        (CertificateKind.GREEN_FOOD, "GF32010020123"),  # 11 digits
        (CertificateKind.GREEN_FOOD, "GF3201002012345"),  # 13 digits
        (CertificateKind.GREEN_FOOD, "LB320100201234"),  # wrong prefix
        (CertificateKind.ORGANIC, "1234567890123456"),  # 16 digits
        (CertificateKind.ORGANIC, "123456789012345678"),  # 18 digits
        (CertificateKind.ORGANIC, "1234567890123456A"),
        (CertificateKind.GEOGRAPHICAL_INDICATION, "AGI1234"),
        (CertificateKind.GEOGRAPHICAL_INDICATION, "AG012345"),
        (CertificateKind.GEOGRAPHICAL_INDICATION, "AGI012345"),
    ],
)
def test_certificate_numbers_out_of_format_are_refused(kind, number):
    cert = certificate(kind, number)

    with pytest.raises(ValidationError) as excinfo:
        cert.full_clean()

    assert "number" in excinfo.value.message_dict


def test_certificate_cannot_expire_before_it_is_valid():
    cert = certificate(CertificateKind.TIME_HONOURED, "free")
    cert.valid_until = date(2019, 12, 31)

    with pytest.raises(ValidationError) as excinfo:
        cert.full_clean()

    assert "valid_until" in excinfo.value.message_dict


def test_certificate_covers_festival_days_in_the_festival_zone():
    # The festival opens at 00:00 Shanghai on 28 April, which is still 27 April in UTC.
    festival = FestivalFactory(
        registration_opens_at=datetime(2020, 4, 1, tzinfo=UTC),
        starts_at=datetime(2020, 4, 27, 16, 0, tzinfo=UTC),
        ends_at=datetime(2020, 5, 10, 15, 59, 59, tzinfo=UTC),
    )
    cert = CertificateFactory(verified=True, valid_from=date(2020, 4, 28), valid_until=date(2020, 5, 10))

    assert cert.covers(festival)
    cert.valid_until = date(2020, 5, 9)
    assert not cert.covers(festival)
    cert.valid_until, cert.valid_from = date(2020, 5, 10), date(2020, 4, 29)
    assert not cert.covers(festival)


def test_pending_or_rejected_certificate_covers_nothing():
    festival = FestivalFactory()
    cert = CertificateFactory(valid_from=date(2000, 1, 1), valid_until=date(2100, 1, 1))

    assert not cert.covers(festival)
    cert.status = "rejected"
    assert not cert.covers(festival)


def test_certificate_expiry():
    cert = CertificateFactory.build(valid_until=date(2020, 5, 10))

    assert cert.is_expired(today=date(2020, 5, 11))
    assert not cert.is_expired(today=date(2020, 5, 10))


def test_merchant_clean_normalises_uscc_and_country():
    merchant = Merchant(name="M", uscc="9144030071526726xg", kind=MerchantKind.BRAND_ENTERPRISE, country="cn")

    merchant.full_clean()

    assert (merchant.uscc, merchant.country) == ("9144030071526726XG", "CN")


def test_chinese_merchant_needs_a_uscc_foreign_partner_does_not():
    chinese = Merchant(name="M", uscc="", kind=MerchantKind.BRAND_ENTERPRISE, country="CN")
    partner = Merchant(name="Andes", uscc="", kind=MerchantKind.SILK_ROAD, country="CL")

    with pytest.raises(ValidationError) as excinfo:
        chinese.full_clean()
    partner.full_clean()

    assert "uscc" in excinfo.value.message_dict
    assert partner.uscc is None


def test_merchant_country_must_be_iso_alpha2():
    merchant = Merchant(name="M", uscc=None, kind=MerchantKind.SILK_ROAD, country="Chile")

    with pytest.raises(ValidationError) as excinfo:
        merchant.full_clean()

    assert "country" in excinfo.value.message_dict


def test_merchant_with_failing_check_character_needs_an_override_reason():
    merchant = Merchant(name="M", uscc="914403001922038210", kind=MerchantKind.BRAND_ENTERPRISE)

    with pytest.raises(ValidationError) as excinfo:
        merchant.full_clean()
    merchant.uscc_override_reason = "Early pilot-region code, confirmed with the registry."
    merchant.full_clean()

    assert "uscc" in excinfo.value.message_dict


def test_duplicate_uscc_is_refused_by_validation_with_a_clear_message():
    existing = MerchantFactory()
    duplicate = Merchant(name="Other", uscc=existing.uscc, kind=MerchantKind.BRAND_ENTERPRISE)

    with pytest.raises(ValidationError) as excinfo:
        duplicate.full_clean()

    assert "already registered" in str(excinfo.value.message_dict["uscc"])


# Database constraints: they hold even when validation is bypassed.


def test_db_unique_uscc():
    existing = MerchantFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        Merchant.objects.create(name="Copy", uscc=existing.uscc, kind=MerchantKind.BRAND_ENTERPRISE)


def test_db_several_foreign_partners_without_uscc():
    Merchant.objects.create(name="A", uscc=None, kind=MerchantKind.SILK_ROAD, country="CL")
    Merchant.objects.create(name="B", uscc=None, kind=MerchantKind.SILK_ROAD, country="RW")

    assert Merchant.objects.filter(uscc__isnull=True).count() == 2


@pytest.mark.parametrize(
    "fields",
    [
        {"uscc": None, "country": "CN"},  # a Chinese merchant without USCC
        {"uscc": "", "country": "CL"},  # blank instead of NULL would defeat the unique index
        {"uscc": make_uscc("91110108000000001"), "country": "cl"},  # not an upper-case ISO code
    ],
)
def test_db_merchant_checks(fields):
    with pytest.raises(IntegrityError), transaction.atomic():
        Merchant.objects.create(name="M", kind=MerchantKind.SILK_ROAD, **fields)


def test_db_unique_sku_per_merchant():
    product = ProductFactory(sku="SKU-1")

    ProductFactory(sku="SKU-1")  # another merchant may use the same SKU
    with pytest.raises(IntegrityError), transaction.atomic():
        Product.objects.create(merchant=product.merchant, sku="SKU-1", name="Copy")

    assert Product.objects.filter(sku="SKU-1").count() == 2


def test_db_one_participation_per_merchant_and_festival():
    participation = ParticipationFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        Participation.objects.create(merchant=participation.merchant, festival=participation.festival)


@pytest.mark.parametrize("price", [Decimal("0"), Decimal("-1.00")])
def test_db_price_points_are_positive(price):
    product = ProductFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        PricePoint.objects.create(product=product, price=price, recorded_at=timezone.now())


def test_db_one_price_per_product_and_instant():
    point = PricePointFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        PricePoint.objects.create(product=point.product, price=Decimal("1.00"), recorded_at=point.recorded_at)


def test_db_certificate_validity_ordered():
    merchant = MerchantFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        Certificate.objects.create(
            merchant=merchant,
            kind=CertificateKind.TIME_HONOURED,
            number="x",
            issuer="MOFCOM",
            valid_from=date(2020, 1, 2),
            valid_until=date(2020, 1, 1),
        )


def test_db_certificate_number_once_per_merchant_and_kind():
    cert = CertificateFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        CertificateFactory(merchant=cert.merchant, kind=cert.kind, number=cert.number)
