"""Property-based tests of the whole API against its own OpenAPI schema (schemathesis).

Every operation is one test item per caller (a merchant's key holding every scope,
a carrier's key, no key), sent through the WSGI app with ALL of schemathesis's checks
(``schemathesis.checks.CHECKS``: no 500, status code / content type / headers / body
conform, schema-valid data accepted, schema-invalid data refused, missing required
header, unsupported method, Allow header, ignored auth, use after free, resource
availability, object-level authorization) over the examples, coverage and fuzzing
phases, positive and negative data. Seeded and derandomized: the same requests in
every run.
"""

import json

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from rest_framework.renderers import JSONRenderer
from schemathesis.checks import CHECKS
from schemathesis.config import SchemathesisConfig

from tests.factories import (
    PricePointFactory,
    ProductFactory,
    PromotionFactory,
    PromotionItemFactory,
    SalesReportFactory,
)

pytestmark = pytest.mark.django_db

EXAMPLES_PER_OPERATION = 10
# Statuses a schema-valid request may get besides schemathesis's defaults (2xx, 3xx, 401,
# 403, 404, 409, 429). Only where the honest answer is that the schema cannot say more:
REFERENCES_REFUSED = ["2xx", "3xx", "400", "401", "403", "404", "409", "429"]
EXPECTED_400 = [
    # Bodies naming other objects (a festival's slug, a category's slug, a product's id):
    # whether that object exists, is open or is yours is data, not shape; the server answers
    # 400 with the field named in ``errors`` (docs/api.md), which the schema documents.
    ("POST", "/api/v1/promotions/"),
    ("PATCH", "/api/v1/promotions/{id}/"),
    ("POST", "/api/v1/products/"),
    ("PATCH", "/api/v1/products/{id}/"),
    ("POST", "/api/v1/prices/"),
    ("POST", "/api/v1/products/{id}/prices/"),
    ("POST", "/api/v1/sales-reports/"),
    ("POST", "/api/v1/parcels/"),
    # A webhook target must be a URL Django's URLValidator takes and that is not a private
    # address (api/webhook_targets.py): more than JSON Schema's ``format: uri`` can state.
    ("POST", "/api/v1/webhooks/"),
    # "Filter by festival or by date": one of two optional parameters is needed, which
    # OpenAPI's query parameters cannot express (the operation's description says so).
    ("GET", "/api/v1/parcels/"),
]
CONFIG = SchemathesisConfig.from_dict(
    {
        "seed": 15,
        "suppress-health-check": ["all"],
        "generation": {
            "mode": "all",
            "max-examples": EXAMPLES_PER_OPERATION,
            "deterministic": True,
            "database": "none",
        },
        "phases": {"stateful": {"enabled": False}},
        "operations": [
            {
                "include-method": method,
                "include-path": path,
                "checks": {"positive_data_acceptance": {"expected-statuses": REFERENCES_REFUSED}},
            }
            for method, path in EXPECTED_400
        ],
    }
)
# The schema as /api/v1/schema/ serves it, built without a request (no database at import).
schema = schemathesis.openapi.from_dict(
    json.loads(JSONRenderer().render(SchemaGenerator().get_schema(request=None, public=True))), config=CONFIG
)
schema.app = get_wsgi_application()


def all_checks():
    import schemathesis.specs.openapi.checks  # noqa: F401  (registers the OpenAPI checks)

    return CHECKS.get_all()


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


@pytest.fixture
def carrier_key():
    from api.services import create_api_key
    from tests.factories import CarrierFactory, ParcelReportFactory

    carrier = CarrierFactory(code="SF")
    ParcelReportFactory(carrier=carrier)
    return create_api_key(name="SF", scopes=["read", "parcels:write"], carrier=carrier)[1]


def test_all_checks_are_run():
    names = {check.__name__ for check in all_checks()}
    assert {"positive_data_acceptance", "negative_data_rejection", "use_after_free", "ignored_auth"} <= names
    assert len(list(schema.get_all_operations())) >= 20


@pytest.mark.parametrize("caller", ["merchant key", "carrier key", "anonymous"])
@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    derandomize=True,  # the same examples in every CI run
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_matches_its_schema_and_never_fails(case, caller, api_data, carrier_key, keep_test_connection):
    keys = {"merchant key": api_data, "carrier key": carrier_key}
    headers = {"Authorization": f"Api-Key {keys[caller]}"} if caller in keys else {}
    case.call_and_validate(headers=headers, checks=all_checks())
