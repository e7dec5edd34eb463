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
