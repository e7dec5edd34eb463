"""Model cleaning details: a USCC with surrounding spaces, the price validator's Decimal bound."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from merchants.models import Merchant, MerchantKind, PricePoint
from merchants.uscc import make_uscc
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def test_uscc_with_spaces_and_lower_case_passes_full_clean_normalised():
    code = make_uscc("91110108MA01ABCD1")
    merchant = Merchant(name="M", uscc=f"  {code.lower()}  ", kind=MerchantKind.BRAND_ENTERPRISE, country="CN")

    merchant.full_clean()

    assert merchant.uscc == code


def test_uscc_of_spaces_only_becomes_none():
    partner = Merchant(name="Andes", uscc="   ", kind=MerchantKind.SILK_ROAD, country="CL")

    partner.full_clean()

    assert partner.uscc is None


def test_uscc_too_long_after_stripping_is_still_refused():
    merchant = Merchant(name="M", uscc=" 91110108MA01ABCD1XX ", kind=MerchantKind.BRAND_ENTERPRISE, country="CN")

    with pytest.raises(ValidationError) as excinfo:
        merchant.full_clean()

    assert "uscc" in excinfo.value.message_dict


@pytest.mark.parametrize(("price", "valid"), [("0.01", True), ("0.00", False), ("-1.00", False)])
def test_price_point_price_has_a_decimal_minimum(price, valid):
    point = PricePoint(product=ProductFactory(), price=Decimal(price), recorded_at="2020-04-01T10:00:00+08:00")
    validator = next(v for v in PricePoint._meta.get_field("price").validators if hasattr(v, "limit_value"))

    assert isinstance(validator.limit_value, Decimal)
    if valid:
        point.full_clean()
    else:
        with pytest.raises(ValidationError):
            point.full_clean()
