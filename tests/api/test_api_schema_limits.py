"""The schema states the limits the server enforces (issue 15, "Loose API input"):
each mismatch schemathesis found has a test here."""

import pytest
from drf_spectacular.generators import SchemaGenerator

from tests.api.conftest import key_client

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def spec():
    return SchemaGenerator().get_schema(request=None, public=True)


def _parameter(spec, path, name):
    return next(p for p in spec["paths"][path]["get"]["parameters"] if p["name"] == name)["schema"]


def test_merchant_country_filter_states_its_max_length_and_longer_is_refused(spec, client):
    assert _parameter(spec, "/api/v1/merchants/", "country")["maxLength"] == 2
    assert _parameter(spec, "/api/v1/merchants/", "province")["maxLength"] == 6
    response = client.get("/api/v1/merchants/", {"country": "CHN"})
    assert response.status_code == 400
    assert "at most 2 characters" in response.json()["errors"]["country"][0]


def test_promotion_merchant_filter_states_whole_numbers_from_one(spec, client):
    schema = _parameter(spec, "/api/v1/promotions/", "merchant")
    assert schema["type"] == "integer"
    assert schema["minimum"] == 1
    assert client.get("/api/v1/promotions/", {"merchant": 0}).status_code == 400
    assert client.get("/api/v1/promotions/", {"merchant": 1}).status_code == 200


def test_write_bodies_are_json_only_and_a_form_is_refused_with_415(spec, client_a):
    assert list(spec["paths"]["/api/v1/promotions/"]["post"]["requestBody"]["content"]) == ["application/json"]
    assert "415" in spec["paths"]["/api/v1/promotions/"]["post"]["responses"]
    response = client_a.post("/api/v1/webhooks/", {"url": "https://example.com/hook", "events": ["promotion.approved"]})
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


@pytest.mark.parametrize("path", ["/api/v1/webhooks/%C2%84/", "/api/v1/promotions/%0A/"])
def test_unknown_ids_are_a_json_404_for_unsafe_methods_too(path, make_key, merchant_a):
    client = key_client(make_key(merchant=merchant_a)[1])
    client.enforce_csrf_checks = True
    response = client.delete(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"


def test_an_id_with_a_newline_is_a_json_404(client):
    response = client.get("/api/v1/festivals/a%0Ab/results/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"


@pytest.mark.parametrize(("path", "name"), [("/api/v1/promotions/", "active_at"), ("/api/v1/sales-reports/", "date")])
def test_an_empty_date_filter_is_refused_not_ignored(path, name, client_a):
    response = client_a.get(path, {name: ""})
    assert response.status_code == 400
    assert name in response.json()["errors"]


def test_an_empty_category_slug_is_refused_and_null_clears_it(spec, client_a):
    schema = spec["components"]["schemas"]["ProductRequest"]["properties"]["category"]
    assert schema["minLength"] == 1
    body = {"sku": "S-1", "name": "Tea", "category": ""}
    response = client_a.post("/api/v1/products/", body, format="json")
    assert response.status_code == 400
    assert "category" in response.json()["errors"]
    assert client_a.post("/api/v1/products/", {**body, "category": None}, format="json").status_code == 201


def test_text_fields_state_the_control_character_rule_the_server_enforces(spec, client_a):
    import re

    title = spec["components"]["schemas"]["ProductRequest"]["properties"]["name"]
    assert re.fullmatch(title["pattern"], "Longjing\ttea")
    assert not re.fullmatch(title["pattern"], "Sale\u202egpj.exe")
    assert "maxLength" in title
    response = client_a.post("/api/v1/products/", {"sku": "S-2", "name": "Sale\u202egpj.exe"}, format="json")
    assert response.status_code == 400
    assert "U+202E" in response.json()["errors"]["name"][0]


def test_a_repeated_query_parameter_is_refused_not_read_as_its_last_value(client):
    """Schemathesis: ``?page=4.0&page=`` was answered as page 1 (200)."""
    repeated = client.get("/api/v1/festivals/", {"page": ["2", ""]})
    filters = client.get("/api/v1/promotions/", {"merchant": ["1", "2"]})

    assert repeated.status_code == 400 and list(repeated.json()["errors"]) == ["page"]
    assert filters.status_code == 400 and list(filters.json()["errors"]) == ["merchant"]
    assert client.get("/api/v1/festivals/", {"page": "1"}).status_code == 200


def test_an_empty_page_number_is_no_page(client):
    assert client.get("/api/v1/festivals/", {"page": ""}).status_code == 404
    assert client.get("/api/v1/festivals/", {"page": "abc"}).status_code == 404


# What the schema states, field by field, against what the serializers enforce ---------------


@pytest.fixture(scope="module")
def request_fields():
    """(component, property, serializer field, property schema) of every request body field,
    from the serializers drf-spectacular built the components of."""
    from drf_spectacular.plumbing import ResolvedComponent
    from rest_framework import serializers

    generator = SchemaGenerator()
    schemas = generator.get_schema(request=None, public=True)["components"]["schemas"]
    rows = []
    for (name, kind), component in generator.registry._components.items():
        if kind != ResolvedComponent.SCHEMA or not name.endswith("Request"):
            continue
        for field_name, prop in schemas[name]["properties"].items():
            field = component.object.fields[field_name]
            if isinstance(field, serializers.ManyRelatedField):
                field = field.child_relation
            # Blank-allowed fields: the value's schema, beside the empty string's branch.
            rows.append((name, field_name, field, prop["oneOf"][0] if "oneOf" in prop else prop))
    assert len(rows) > 30
    return rows


def test_the_text_rule_is_stated_exactly_where_a_validator_enforces_it(request_fields):
    from api.schema import NO_CONTROL_CHARACTERS, enforces_text_rule

    stated = {(c, f) for c, f, _field, prop in request_fields if prop.get("pattern") == NO_CONTROL_CHARACTERS}
    enforced = {(c, f) for c, f, field, _prop in request_fields if enforces_text_rule(field)}

    assert stated == enforced
    assert {("ProductRequest", "description"), ("PromotionCreateRequest", "stream_host")} <= stated
    assert ("PromotionCreateRequest", "festival") not in stated  # a slug lookup, not text


def test_the_stated_text_pattern_refuses_exactly_the_characters_the_validator_refuses():
    import re

    from api.schema import NO_CONTROL_CHARACTERS
    from core.validators import _refused

    for code in [*range(0x3000), *range(0xFEFF, 0xFF00)]:
        char = chr(code)
        assert bool(re.fullmatch(NO_CONTROL_CHARACTERS, f"a{char}b")) is not _refused(char), f"U+{code:04X}"


def test_a_stream_host_with_a_text_direction_character_is_refused_by_the_serializer():
    """The field was declared by hand without the model's validators: the schema stated a rule
    that only the model's full_clean, deep in the service, happened to enforce."""
    from api.serializers import PromotionUpdateSerializer

    serializer = PromotionUpdateSerializer(data={"stream_host": "Host\u202egpj"}, partial=True)

    assert not serializer.is_valid()
    assert "U+202E" in str(serializer.errors["stream_host"][0])


def test_every_decimal_bound_a_serializer_enforces_is_stated(request_fields):
    import re
    from decimal import Decimal

    from rest_framework import serializers

    from api.schema import value_bounds

    decimals = [
        (c, f, field, prop) for c, f, field, prop in request_fields if isinstance(field, serializers.DecimalField)
    ]
    bounded = 0
    for component, name, field, prop in decimals:
        low, high = value_bounds(field)
        step = Decimal(1).scaleb(-field.decimal_places)
        where = f"{component}.{name}"
        assert prop.get("minimum") == low and prop.get("maximum") == high, where
        if low is not None:
            bounded += 1
            below = f"{low - step:f}"
            assert re.fullmatch(prop["pattern"], f"{low:f}"), where
            assert not re.fullmatch(prop["pattern"], below), where
            with pytest.raises(serializers.ValidationError):
                field.run_validation(below)
        if high is not None:
            assert re.fullmatch(prop["pattern"], f"{high:f}"), where
            assert not re.fullmatch(prop["pattern"], f"{high + step:f}"), where
    # price, promo_price, bulk price, the four kind amounts (create and edit) and gmv
    assert bounded >= 12


def test_a_decimal_pattern_wants_a_digit(spec):
    import re

    pattern = spec["components"]["schemas"]["SalesReportRequest"]["properties"]["gmv"]["pattern"]
    assert all(re.fullmatch(pattern, text) for text in ("0", "0.5", ".5", "5.", "125000.00"))
    assert not any(re.fullmatch(pattern, text) for text in ("", ".", "-1", "1.234"))


def test_a_submission_refused_before_the_check_matches_the_stated_refusal(spec, client_a, merchant_a, festival):
    """Stateful schemathesis: submitting a draft without items answered a 400 without
    ``items``, which the schema's refusal required."""
    from tests.factories import PromotionFactory

    draft = PromotionFactory(merchant=merchant_a, festival=festival)
    stated = spec["components"]["schemas"]["SubmissionRefused"]

    response = client_a.post(f"/api/v1/promotions/{draft.pk}/submit/")

    assert response.status_code == 400 and response.json()["code"] == "no_items"
    assert set(stated["required"]) <= set(response.json())


def test_list_lengths_the_server_enforces_are_stated(spec, client_a):
    """Stateful schemathesis: ``{"events": []}`` was schema-valid and refused (400); nested
    lists' lengths (promotion items, parcel rows) were not stated at all."""
    from api.serializers import MAX_PROMOTION_ITEMS
    from logistics.services import MAX_ROWS

    schemas = spec["components"]["schemas"]
    events = schemas["WebhookSubscriptionRequest"]["properties"]["events"]
    assert schemas["PromotionCreateRequest"]["properties"]["items"]["maxItems"] == MAX_PROMOTION_ITEMS
    assert schemas["ParcelBatchRequest"]["properties"]["reports"]["minItems"] == 1
    assert schemas["ParcelBatchRequest"]["properties"]["reports"]["maxItems"] == MAX_ROWS
    assert events["minItems"] == 1

    response = client_a.post("/api/v1/webhooks/", {"url": "https://partner.example/hook", "events": []}, format="json")

    assert response.status_code == 400 and "events" in response.json()["errors"]


@pytest.mark.parametrize("value", [-18505768270713210, 12, 1.5])
def test_text_that_is_not_a_json_string_is_refused(value, client_a):
    """Stateful schemathesis: ``"sku": -1.85e16`` was stored as "-18505768270713210"
    although the schema says ``type: string``."""
    response = client_a.post("/api/v1/products/", {"sku": value, "name": "Tea"}, format="json")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["sku"]


@pytest.mark.parametrize("query", ["kind=", "status=", "merchant=", "active_at="])
def test_an_empty_typed_filter_is_refused_not_read_as_no_filter(client, query):
    response = client.get(f"/api/v1/promotions/?{query}")

    name = query.rstrip("=")
    assert response.status_code == 400 and name in response.json()["errors"], response.content


def test_an_empty_text_filter_is_no_filter(client):
    assert client.get("/api/v1/promotions/?festival=").status_code == 200
