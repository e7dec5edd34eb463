"""Property-based tests of the whole API against its own OpenAPI schema (schemathesis).

Every operation gets a bounded number of generated requests, sent through the
WSGI app with a merchant's key holding every scope: no answer may be a 500,
and every answer must match the schema (status code, content type, body).
"""

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.factories import (
    PricePointFactory,
    ProductFactory,
    PromotionFactory,
    PromotionItemFactory,
    SalesReportFactory,
)

pytestmark = pytest.mark.django_db

EXAMPLES_PER_OPERATION = 40
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def api_data(festival, merchant_a, merchant_b, make_key):
    product = ProductFactory(merchant=merchant_a)
    PricePointFactory(product=product)
    for status in ("draft", "approved", "live"):
        PromotionItemFactory(
            promotion=PromotionFactory(merchant=merchant_a, festival=festival, status=status), product=product
        )
    PromotionFactory(merchant=merchant_b, festival=festival, approved=True)
    SalesReportFactory(merchant=merchant_a, festival=festival)
    _api_key, raw_key = make_key(merchant=merchant_a)
    return raw_key


@pytest.fixture
def keep_test_connection():
    """Requests run in the test's transaction, as with Django's test client: the
    WSGI handler must not close the connection at the end of each request."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def _operations():
    app = get_wsgi_application()
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", app)
    return [result.ok() for result in schema.get_all_operations()]


@pytest.fixture
def carrier_key():
    from api.services import create_api_key
    from tests.factories import CarrierFactory, ParcelReportFactory

    carrier = CarrierFactory(code="SF")
    ParcelReportFactory(carrier=carrier)
    return create_api_key(name="SF", scopes=["read", "parcels:write"], carrier=carrier)[1]


@pytest.mark.parametrize(
    ("caller", "examples"),
    [
        ("merchant key", EXAMPLES_PER_OPERATION),
        ("carrier key", EXAMPLES_PER_OPERATION // 4),
        ("anonymous", EXAMPLES_PER_OPERATION // 4),
    ],
)
def test_api_matches_its_schema_and_never_fails(api_data, carrier_key, keep_test_connection, caller, examples):
    keys = {"merchant key": api_data, "carrier key": carrier_key}
    headers = {"Authorization": f"Api-Key {keys[caller]}"} if caller in keys else {}
    operations = _operations()
    assert len(operations) >= 20

    for operation in operations:

        @settings(
            max_examples=examples,
            deadline=None,
            database=None,
            derandomize=True,  # the same examples in every CI run
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def check(case):
            case.call_and_validate(headers=headers, checks=CHECKS)

        check()
