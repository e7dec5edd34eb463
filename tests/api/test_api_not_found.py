"""Every address under /api/v1/ answers in JSON, the unmatched ones too: a consumer of the
API never parses the site's HTML 404 page (schemathesis found it for ids in Chinese)."""

import pytest

pytestmark = pytest.mark.django_db

NOT_FOUND = {"detail": "Not found.", "code": "not_found"}


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/festivals/%E4%B8%AD%E5%9B%BD/",  # 中国: not a slug the route accepts
        "/api/v1/promotions/%E4%B8%AD/",
        "/api/v1/promotions/abc/",
        "/api/v1/promotions/1/no-such-action/",
        "/api/v1/no-such-resource/",
        "/api/v1/promotions/999999/",  # a route's own 404, for comparison
    ],
)
def test_unknown_addresses_answer_the_apis_json_404(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == NOT_FOUND


def test_an_address_without_its_slash_is_still_redirected_first(client):
    response = client.get("/api/v1/promotions")
    assert response.status_code == 301
    assert response["Location"] == "/api/v1/promotions/"


def test_the_site_keeps_its_html_404(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
