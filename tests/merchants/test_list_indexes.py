"""Lists of merchants are read in name order from an index, not sorted from every merchant
(issue 17: the API's merchant pages grew 3.6× from 1,000 to 10,000 merchants)."""

import pytest
from django.db import connection

from merchants.models import Merchant
from tests.promotions.test_clock_due_index import plan_of

pytestmark = pytest.mark.django_db


def test_merchants_in_name_order_come_from_the_name_index():
    Merchant.objects.bulk_create(
        Merchant(name=f"商户{n:05d}", kind="brand", country="GB", uscc=None) for n in range(3000)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")

    first = Merchant.objects.order_by("name", "pk")[:50]
    plan = plan_of(first.values_list("pk", flat=True))

    assert [m.name for m in first] == [f"商户{n:05d}" for n in range(50)]
    if connection.vendor == "postgresql":
        assert "merchant_name_order" in plan and "Sort" not in plan, plan
    else:
        assert "merchant_name_order" in plan and "TEMP B-TREE" not in plan, plan
