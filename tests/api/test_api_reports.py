"""GET /api/v1/reports/ (scope reports:read) and the report.* webhook events."""

import pytest

from api import webhooks
from api.models import WebhookDelivery, WebhookSubscription
from tests.factories import PriceReportFactory

from .conftest import key_client

pytestmark = pytest.mark.django_db
URL = "/api/v1/reports/"


@pytest.fixture
def reports(merchant_a, merchant_b):
    return (
        PriceReportFactory(item__promotion__merchant=merchant_a, email="secret@example.com", ip_hash="a" * 64),
        PriceReportFactory(item__promotion__merchant=merchant_b, email="other@example.com"),
    )


def test_organiser_key_with_the_scope_reads_all_without_code_or_email(make_key, reports):
    client = key_client(make_key(scopes=["reports:read"])[1])
    response = client.get(URL)
    assert response.status_code == 200
    ids = [row["id"] for row in response.json()["results"]]
    assert sorted(ids) == sorted(r.pk for r in reports)
    body = response.content.decode()
    for report in reports:
        assert report.code not in body
    assert "secret@example.com" not in body and "a" * 64 not in body
    assert "code" not in response.json()["results"][0] and "email" not in response.json()["results"][0]


def test_merchant_bound_key_reads_only_its_own(make_key, merchant_a, reports):
    client = key_client(make_key(merchant=merchant_a, scopes=["reports:read"])[1])
    response = client.get(URL)
    assert [row["id"] for row in response.json()["results"]] == [reports[0].pk]
    assert client.get(f"{URL}{reports[1].pk}/").status_code == 404


def test_a_key_without_the_scope_and_anonymous_are_refused(make_key, reports):
    without = key_client(make_key(scopes=["read"])[1]).get(URL)
    assert without.status_code == 403 and "reports:read" in without.json()["detail"]
    anonymous = key_client().get(URL)
    assert anonymous.status_code in (401, 403) and "results" not in anonymous.json()


def _sub(api_key=None):
    return WebhookSubscription.objects.create(
        url="http://127.0.0.1:9/hook", events=["report.received", "report.upheld"], api_key=api_key
    )


def test_report_webhooks_go_to_organisers_and_the_reported_merchant_only(make_key, merchant_a, merchant_b, reports):
    organiser = _sub(make_key(scopes=["reports:read", "webhooks:write"])[0])
    own = _sub(make_key(merchant=merchant_a, scopes=["reports:read", "webhooks:write"])[0])
    foreign = _sub(make_key(merchant=merchant_b, scopes=["reports:read", "webhooks:write"], name="b")[0])
    no_scope = _sub(make_key(scopes=["webhooks:write"], name="plain")[0])
    webhooks.publish_event("report.received", [reports[0].pk])
    receivers = set(WebhookDelivery.objects.values_list("subscription_id", flat=True))
    assert receivers == {organiser.pk, own.pk}
    assert foreign.pk not in receivers and no_scope.pk not in receivers
    payload = WebhookDelivery.objects.filter(subscription=own).get().payload
    assert payload["type"] == "report.received" and payload["data"]["id"] == reports[0].pk
    assert "secret@example.com" not in str(payload) and reports[0].code not in str(payload)
