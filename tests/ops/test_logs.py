"""Structured logs: one JSON line per request and per task, a request id carried from
the request into the tasks it enqueues, and no stack trace ever shown to a user."""

import json
import logging
from datetime import timedelta

import pytest
from django.urls import include, path
from django.utils import timezone

from api.models import ApiScope, WebhookSubscription
from api.services import create_api_key
from core import logs
from core.models import OutboxMessage
from core.tasks import enqueue_on_commit
from tests.api.conftest import key_client
from tests.factories import FestivalFactory, MerchantFactory, ParticipationFactory, PromotionFactory

pytestmark = pytest.mark.django_db


def boom(request):
    raise RuntimeError("secret-internal-detail in module festival.settings")


urlpatterns = [path("boom/", boom), path("", include("festival.urls"))]
handler500 = "public.views.server_error"


def json_lines(caplog, logger):
    formatter = logs.JsonFormatter()
    return [json.loads(formatter.format(record)) for record in caplog.records if record.name == logger]


def test_each_request_logs_one_json_line_with_its_id(client, caplog):
    caplog.set_level(logging.INFO)

    response = client.get("/robots.txt")

    (line,) = json_lines(caplog, "festival.requests")
    request_id = response["X-Request-ID"]
    assert len(request_id) == 32
    assert line["request_id"] == request_id
    assert (line["method"], line["path"], line["status"]) == ("GET", "/robots.txt", 200)
    assert line["level"] == "INFO" and line["duration_ms"] >= 0


def test_a_sane_incoming_request_id_is_kept_and_a_forged_one_replaced(client):
    kept = client.get("/robots.txt", HTTP_X_REQUEST_ID="lb-7f3a.9")
    replaced = client.get("/robots.txt", HTTP_X_REQUEST_ID='x" injected\nline')
    too_long = client.get("/robots.txt", HTTP_X_REQUEST_ID="a" * 65)

    assert kept["X-Request-ID"] == "lb-7f3a.9"
    assert replaced["X-Request-ID"] != 'x" injected\nline' and len(replaced["X-Request-ID"]) == 32
    assert too_long["X-Request-ID"] != "a" * 65


def test_the_request_id_travels_into_the_tasks_the_request_enqueues(
    caplog, monkeypatch, django_capture_on_commit_callbacks
):
    caplog.set_level(logging.INFO)
    festival, merchant_a = FestivalFactory(), MerchantFactory()
    ParticipationFactory(merchant=merchant_a, festival=festival)
    _, raw = create_api_key(name="partner", scopes=list(ApiScope.values), merchant=merchant_a)
    WebhookSubscription.objects.create(url="https://partner.example/hooks", events=["promotion.withdrawn"])
    promotion = PromotionFactory(merchant=merchant_a, festival=festival, live=True)
    monkeypatch.setattr("api.webhooks._post", lambda url, body, headers: type("R", (), {"status_code": 200})())
    monkeypatch.setattr("api.webhooks.validate_webhook_url", lambda url: None)

    with django_capture_on_commit_callbacks(execute=True):
        response = key_client(raw).post(f"/api/v1/promotions/{promotion.pk}/withdraw/", HTTP_X_REQUEST_ID="trace-42")

    assert response.status_code == 200, response.content
    assert set(OutboxMessage.objects.values_list("task", "request_id")) == {
        ("api.publish_webhook_event", "trace-42"),
        ("api.deliver_webhook", "trace-42"),
    }
    tasks = json_lines(caplog, "festival.tasks")
    assert [(t["task"], t["state"], t["request_id"]) for t in tasks] == [
        ("api.publish_webhook_event", "SUCCESS", "trace-42"),
        ("api.deliver_webhook", "SUCCESS", "trace-42"),
    ]
    assert all(line["request_id"] == "trace-42" for line in json_lines(caplog, "festival.requests"))


def test_the_request_id_is_put_in_the_message_headers_when_published():
    headers = {}
    with logs.bound("trace-43"):
        logs._on_before_task_publish(sender="x", headers=headers)
    already = {"request_id": "from-the-outbox-row"}
    with logs.bound("trace-44"):
        logs._on_before_task_publish(sender="x", headers=already)

    assert headers == {"request_id": "trace-43"}
    assert already == {"request_id": "from-the-outbox-row"}


def test_a_task_without_a_request_gets_an_id_of_its_own(caplog, django_capture_on_commit_callbacks):
    caplog.set_level(logging.INFO)

    with django_capture_on_commit_callbacks(execute=True):
        enqueue_on_commit("promotions.send_reviewer_digest")

    (line,) = json_lines(caplog, "festival.tasks")
    assert line["task"] == "promotions.send_reviewer_digest" and len(line["request_id"]) == 32
    assert OutboxMessage.objects.get().request_id == ""


@pytest.mark.urls("tests.ops.test_logs")
def test_a_server_error_shows_a_plain_page_and_logs_the_trace(client, caplog, settings):
    settings.DEBUG = False
    client.raise_request_exception = False
    caplog.set_level(logging.INFO)

    response = client.get("/boom/", HTTP_X_REQUEST_ID="trace-500")

    page = response.content.decode()
    assert response.status_code == 500
    assert "Something went wrong" in page
    assert "Traceback" not in page and "secret-internal-detail" not in page and "RuntimeError" not in page
    errors = json_lines(caplog, "django.request")
    assert errors and errors[0]["request_id"] == "trace-500" and "secret-internal-detail" in errors[0]["exception"]
    (line,) = json_lines(caplog, "festival.requests")
    assert (line["status"], line["level"], line["request_id"]) == (500, "ERROR", "trace-500")


def test_the_json_formatter_writes_one_line_even_for_multiline_messages():
    record = logging.LogRecord("x", logging.WARNING, __file__, 1, "two\nlines %s", ("是",), None)
    record.when = timezone.now() - timedelta(seconds=1)

    line = logs.JsonFormatter().format(record)

    assert "\n" not in line
    assert json.loads(line)["message"] == "two\nlines 是"
