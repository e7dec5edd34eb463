"""Property-based tests of the whole API against its own OpenAPI schema (schemathesis).

The stateful test at the end chains operations along the schema's OpenAPI links
(api/schema.py LINKS): create a promotion, then read, edit, submit, withdraw or delete
it; create a product, record and list its prices; subscribe a webhook and delete it…

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
from datetime import UTC, datetime, timedelta

import hypothesis
import pytest
import schemathesis
import time_machine
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from rest_framework.renderers import JSONRenderer
from schemathesis.checks import CHECKS
from schemathesis.config import SchemathesisConfig
from schemathesis.generation import GenerationMode

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
CONFIG_DATA = {
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
CONFIG = SchemathesisConfig.from_dict(CONFIG_DATA)
# The schema as /api/v1/schema/ serves it, built without a request (no database at import).
RAW_SCHEMA = json.loads(JSONRenderer().render(SchemaGenerator().get_schema(request=None, public=True)))
APP = get_wsgi_application()
schema = schemathesis.openapi.from_dict(RAW_SCHEMA, config=CONFIG)
schema.app = APP


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


# Stateful: sequences of calls along the schema's links ------------------------------------------

# Scenarios and the calls in each: about 30 s on a 2-core machine.
STATEFUL_SCENARIOS = 80
STATEFUL_STEPS = 8
# A fixed moment: the festival (and so the promotion windows, sales days and submission
# deadline) is built relative to it, whatever the date of the run.
STATEFUL_NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
MERCHANT_RESOURCES = r"^/api/v1/(products|prices|promotions|sales-reports|webhooks|reports)/"
# What a promotion of each kind needs besides its window (promotions.models.KIND_REQUIRED_FIELDS).
KIND_VALUES = {
    "percent_off": "15.00",
    "amount_off": "5.00",
    "threshold_amount": "100.00",
    "coupon_value": "10.00",
    "coupon_quantity": 100,
    "flash_quantity": 50,
    "stream_host": "Host",
    "stream_url": "https://live.example/show",
}


@pytest.fixture
def pinned_clock():
    with time_machine.travel(STATEFUL_NOW, tick=True):
        yield


@pytest.fixture
def stateful_world(pinned_clock, festival, merchant_a, merchant_b, make_key, tmp_path):
    """Two merchants each with a key (the peers that must not see each other's objects) and
    some of their data, as a Web Fuzzing Commons auth document for schemathesis."""
    own = ProductFactory(merchant=merchant_a)
    PricePointFactory(product=own, recorded_at=STATEFUL_NOW - timedelta(days=5))
    for merchant in (merchant_a, merchant_b):
        product = ProductFactory(merchant=merchant)
        PromotionItemFactory(promotion=PromotionFactory(merchant=merchant, festival=festival), product=product)
        SalesReportFactory(merchant=merchant, festival=festival)
    users = {"alpha": make_key(merchant=merchant_a)[1], "beta": make_key(merchant=merchant_b)[1]}
    auth = tmp_path / "auth.json"
    auth.write_text(
        json.dumps(
            {
                "auth": [
                    {"name": name, "fixedHeaders": [{"name": "Authorization", "value": f"Api-Key {key}"}]}
                    for name, key in users.items()
                ]
            }
        )
    )
    return {"auth": auth, "festival": festival, "product": own}


def _stateful_schema(world):
    config = SchemathesisConfig.from_dict(
        {
            **CONFIG_DATA,
            "phases": {"stateful": {"enabled": True, "max-steps": STATEFUL_STEPS}},
            # Every call as merchant Alpha's key; Beta's is the peer the object-level check replays Alpha's reads as.
            "auth": {"wfc": {"path": str(world["auth"]), "user": "alpha", "peers": ["alpha", "beta"]}},
        }
    )
    # The merchant's own resources: the public reads (festivals, categories, merchants, parcels)
    # have no sequences and are covered above.
    stateful = schemathesis.openapi.from_dict(_key_only(RAW_SCHEMA), config=config).include(
        path_regex=MERCHANT_RESOURCES
    )
    stateful.app = APP
    festival, product = world["festival"], world["product"]

    @stateful.hook
    def map_case(context, case):
        """Bodies name other objects (a festival, a window inside it, a product, a day of the
        festival): a generated slug or date almost never names one, so the sequence would stop
        at the first 400. Schema-valid (positive) bodies get real ones; negative ones stay as drawn."""
        if case.meta is None or case.meta.generation.mode != GenerationMode.POSITIVE:
            return case
        body, label = case.body, case.operation.label
        if not isinstance(body, dict):
            return case
        if label in ("POST /api/v1/promotions/", "PATCH /api/v1/promotions/{id}/"):
            _real_promotion(body, festival, product, partial=label.startswith("PATCH"))
        elif label in ("POST /api/v1/products/", "PATCH /api/v1/products/{id}/"):
            body.pop("category", None)
        elif label == "POST /api/v1/sales-reports/":
            body.update(festival=festival.slug, date=festival.local(festival.starts_at).date().isoformat())
        elif label == "POST /api/v1/webhooks/":
            body["url"] = "https://partner.example/hooks/festival"
        return case

    return stateful


def _key_only(raw):
    """The schema without the session (cookie) scheme: these sequences use the merchant's key.
    Schemathesis counts every scheme's credential among an operation's parameters, and
    ensure_resource_availability only judges a read whose parameters all came from the link."""
    raw = json.loads(json.dumps(raw))
    raw["components"]["securitySchemes"].pop("cookieAuth")
    for item in raw["paths"].values():
        for operation in item.values():
            operation["security"] = [r for r in operation.get("security", []) if "cookieAuth" not in r]
    return raw


def _real_promotion(body, festival, product, *, partial):
    from promotions.models import KIND_FIELDS, fields_for_kind

    body.pop("categories", None)
    if not partial or "festival" in body:
        body["festival"] = festival.slug
    if not partial or {"starts_at", "ends_at"} & set(body):
        body["starts_at"] = festival.starts_at.isoformat()
        body["ends_at"] = festival.ends_at.isoformat()
    if "items" in body:
        body["items"] = [{"product": product.pk, "promo_price": "80.00"}][: len(body["items"])]
    if not partial or "kind" in body:
        kind = body["kind"]
        for name in KIND_FIELDS:
            if name not in fields_for_kind(kind):
                body.pop(name, None)
            elif name == "stream_starts_at":
                body[name] = festival.starts_at.isoformat()
            elif body.get(name) in (None, ""):
                body[name] = KIND_VALUES[name]
    else:
        for name in KIND_FIELDS:
            body.pop(name, None)


def test_api_call_sequences_keep_their_promises(stateful_world, keep_test_connection):
    """Sequences of up to STATEFUL_STEPS linked calls as a merchant's key, every check on every
    answer, including the three only sequences can trigger: a deleted object must be gone
    (use_after_free), a created one there (ensure_resource_availability), and another
    merchant's key must not read it (object_level_authorization)."""
    checks = all_checks()
    assert {"use_after_free", "ensure_resource_availability", "object_level_authorization"} <= {
        check.__name__ for check in checks
    }

    class Sequences(_stateful_schema(stateful_world).as_state_machine()):
        rule_order_seed = 15

        # Each scenario starts from the fixture's data: what one wrote (a SKU, a day's sales) would
        # change what the next can do, which Hypothesis, replaying choices, reports as flaky.
        def setup(self):
            self.savepoint = transaction.savepoint()

        def teardown(self):
            transaction.savepoint_rollback(self.savepoint)

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(response, checks=checks, transport_kwargs=kwargs or None, recorder=self.recorder)

    Sequences.run(
        settings=hypothesis.settings(
            max_examples=STATEFUL_SCENARIOS,
            stateful_step_count=STATEFUL_STEPS,
            derandomize=True,
            database=None,
            deadline=None,
            phases=[hypothesis.Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
    )
