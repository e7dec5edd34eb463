"""GET /healthz: database, cache and broker reachable, the clock's last tick recent;
200, or 503 naming what failed — without login and without secrets."""

from datetime import timedelta

import pytest
from django.db import OperationalError, connection
from django.utils import timezone

from core.models import Heartbeat

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticked():
    Heartbeat.record("clock", at=timezone.now() - timedelta(seconds=12))


def test_all_parts_up_answers_200_without_login(client, ticked):
    response = client.get("/healthz")

    body = response.json()
    assert response.status_code == 200
    assert body["status"] == "ok" and body["failed"] == []
    assert set(body["parts"]) == {"database", "cache", "broker", "clock"}
    assert all(part["ok"] for part in body["parts"].values())
    assert 11 <= body["parts"]["clock"]["age_seconds"] < 60
    assert "no-cache" in response["Cache-Control"]


def test_database_down_is_503_naming_the_database(client, ticked, monkeypatch):
    def refuse(*args, **kwargs):
        raise OperationalError('connection to server at "10.0.0.5", port 5432 failed: password authentication failed')

    monkeypatch.setattr(connection, "cursor", refuse)
    response = client.get("/healthz")

    body = response.json()
    assert response.status_code == 503
    assert "database" in body["failed"]
    assert body["parts"]["database"] == {
        "ok": False,
        "error": "OperationalError",
        "ms": body["parts"]["database"]["ms"],
    }
    assert "10.0.0.5" not in response.content.decode() and "password" not in response.content.decode()
    assert body["parts"]["cache"]["ok"] and body["parts"]["broker"]["ok"]


def test_cache_down_is_503_naming_the_cache(client, ticked, cache_down):
    response = client.get("/healthz")

    body = response.json()
    assert response.status_code == 503
    assert body["failed"] == ["cache"]
    assert body["parts"]["cache"]["error"] == "ConnectionError"
    assert "127.0.0.1" not in response.content.decode()


def test_broker_down_is_503_naming_the_broker(client, ticked, broker_down):
    response = client.get("/healthz")

    body = response.json()
    assert response.status_code == 503
    assert body["failed"] == ["broker"]
    assert body["parts"]["broker"]["ms"] < 2000


def test_a_late_clock_is_503_with_the_age_of_its_last_tick(client, settings):
    settings.HEALTH_CLOCK_MAX_AGE_SECONDS = 180
    Heartbeat.record("clock", at=timezone.now() - timedelta(seconds=600))

    response = client.get("/healthz")

    body = response.json()
    assert response.status_code == 503
    assert body["failed"] == ["clock"]
    assert body["parts"]["clock"]["age_seconds"] >= 600
    assert "older than 180 s" in body["parts"]["clock"]["error"]


def test_a_clock_that_never_ticked_fails(client):
    body = client.get("/healthz").json()

    assert body["failed"] == ["clock"]
    assert body["parts"]["clock"]["error"] == "no clock tick recorded yet"


def test_a_clock_tick_records_the_heartbeat(client):
    from promotions.clock import run_clock_tick

    run_clock_tick()

    assert client.get("/healthz").status_code == 200


def test_parts_can_be_asked_for_one_by_one(client):
    response = client.get("/healthz?part=database&part=cache")

    assert response.status_code == 200
    assert set(response.json()["parts"]) == {"database", "cache"}
