"""The clock with a REAL Celery worker and REAL beat on the real broker.

Redis when REDIS_URL is set (CI), else kombu's filesystem transport in a temp
folder; the subprocesses use the test database (DATABASE_URL built from the
test connection). Beat runs the clock every second from a PeriodicTask row.
Every process started here is killed in a ``finally``.
"""

import hashlib
import hmac
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from api.models import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookSubscription
from festival.models import Festival, FestivalEvent, FestivalStatus
from promotions import services as promotion_services
from promotions.models import Promotion, PromotionEvent, PromotionKind, PromotionStatus
from tests import clock
from tests.factories import FestivalFactory, MerchantFactory, ParticipationFactory
from tests.outages import race

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module", params=["default", "23:30Z"])
def clock_at(request):
    """The session's instant, and 23:30 UTC, when the festival's day (Beijing) is
    already the next one: worker and beat run on the test's clock (tests/clock_shim.py)."""
    if request.param == "default":
        return request.config.clock_instant
    return clock.parse(clock.INSTANTS[request.param])


ROOT = Path(settings.BASE_DIR)
S = PromotionStatus
F = FestivalStatus


def database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{Path(db['NAME']).resolve()}"
    auth = quote(db["USER"] or "")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"])
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def wait_for(predicate, *, timeout, interval=0.1, message="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {message}")


class Processes:
    """Worker and beat subprocesses sharing the test database and one broker."""

    def __init__(self, tmp_path, **env):
        self.tmp_path = tmp_path
        self.running: dict[str, subprocess.Popen] = {}
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "festival.settings",
            "DATABASE_URL": database_url(),
            "LANGUAGE_CODE": "en",
            "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
            "WEBHOOK_ALLOW_PRIVATE_TARGETS": "1",
            "WEBHOOK_RETRY_BASE_SECONDS": "1",
            "CLOCK_LOCK_TTL_SECONDS": "5",
            "PYTHONUNBUFFERED": "1",
            **env,
        }
        if not settings.REDIS_URL:
            broker = tmp_path / "broker"
            for folder in ("out", "processed", "control"):
                (broker / folder).mkdir(parents=True, exist_ok=True)
            self.env["CELERY_BROKER_DIR"] = str(broker)

    def log(self, name) -> str:
        path = self.tmp_path / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def start_worker(self, name="w1", *, wait=True):
        command = [
            *("-m", "celery", "-A", "festival", "worker", "-P", "solo", "-n", f"{name}@%h", "-l", "info"),
            *("--without-gossip", "--without-mingle", "--without-heartbeat"),
        ]
        self._start(name, command)
        if wait:
            wait_for(lambda: "ready." in self.log(name), timeout=60, message=f"worker {name} to start")

    def start_beat(self, name="beat"):
        command = ["-m", "celery", "-A", "festival", "beat", "-l", "info", "--max-interval", "1"]
        command += ["-s", str(self.tmp_path / f"{name}-schedule"), "--pidfile", ""]
        self._start(name, command)

    def _start(self, name, command):
        log = open(self.tmp_path / f"{name}.log", "ab")  # noqa: SIM115 - closed with the process
        # The worker and beat keep the test's pinned clock (tests/clock_shim.py).
        shim = ["-m", "tests.clock_shim", str(clock.offset_from_wall_clock()), *command[1:2]]
        self.running[name] = subprocess.Popen(
            [sys.executable, *shim, *command[2:]],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()

    def wait_for_a_tick(self, worker="w1"):
        """Beat and worker are both up once the worker has run a clock tick."""
        wait_for(
            lambda: "festival.sync_festival_clock" in self.log(worker) and "succeeded" in self.log(worker),
            timeout=60,
            interval=0.2,
            message="the first clock tick",
        )

    def kill(self, name):
        process = self.running.pop(name)
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)

    def kill_all(self):
        for name in list(self.running):
            self.kill(name)


@pytest.fixture
def celery_processes(transactional_db, tmp_path):
    """Starts nothing by itself; whatever a test starts is SIGKILLed afterwards, whatever happens."""
    if settings.REDIS_URL:
        import redis

        redis.Redis.from_url(settings.REDIS_URL).flushdb()  # no stale queue or clock lock
    PeriodicTask.objects.all().delete()
    every_second, _ = IntervalSchedule.objects.get_or_create(every=1, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.create(name="clock (test)", task="festival.sync_festival_clock", interval=every_second)
    processes = Processes(tmp_path, CLOCK_BATCH_SIZE="5")
    try:
        yield processes
    finally:
        processes.kill_all()
        connection.close()


def approved_promotions(festival, count, *, starts_at, ends_at):
    merchant = MerchantFactory()
    ParticipationFactory(merchant=merchant, festival=festival)
    return Promotion.objects.bulk_create(
        Promotion(
            festival=festival,
            merchant=merchant,
            title=f"Promotion {n}",
            kind=PromotionKind.PERCENT_OFF,
            percent_off=10,
            starts_at=starts_at,
            ends_at=ends_at,
            status=S.APPROVED,
        )
        for n in range(count)
    )


def clock_records_are_unique():
    per_move = Counter(PromotionEvent.objects.values_list("promotion_id", "to_status"))
    per_festival_move = Counter(FestivalEvent.objects.values_list("festival_id", "to_status"))
    return max(per_move.values(), default=1) == 1 and max(per_festival_move.values(), default=1) == 1


def status_counts():
    return Counter(Promotion.objects.values_list("status", flat=True))


def test_window_opening_ahead_goes_running_live_then_ended(celery_processes):
    celery_processes.start_worker()
    celery_processes.start_beat()
    celery_processes.wait_for_a_tick()
    now = timezone.now()
    festival = FestivalFactory(
        registration_opens_at=now - timedelta(days=2),
        registration_closes_at=now - timedelta(days=1),
        submission_deadline=now - timedelta(hours=1),
        starts_at=now + timedelta(seconds=5),
        ends_at=now + timedelta(seconds=14),
        status=F.REGISTRATION,
    )
    promotions = approved_promotions(festival, 12, starts_at=festival.starts_at, ends_at=festival.ends_at)

    before = (Festival.objects.get(pk=festival.pk).status, status_counts())
    wait_for(lambda: status_counts()[S.LIVE] == 12, timeout=40, interval=0.2, message="promotions to go live")
    festival.refresh_from_db()
    running = festival.status
    wait_for(lambda: status_counts()[S.ENDED] == 12, timeout=40, interval=0.2, message="promotions to end")
    wait_for(
        lambda: FestivalEvent.objects.filter(festival=festival, to_status=F.CLOSED).exists(),
        timeout=20,
        message="festival to close",
    )

    assert before == (F.REGISTRATION, Counter({S.APPROVED: 12}))
    assert running in (F.RUNNING, F.CLOSED)
    assert list(festival.events.values_list("to_status", flat=True)) == [F.RUNNING, F.CLOSED]
    went_live = Promotion.objects.filter(pk__in=[p.pk for p in promotions]).values_list("went_live_at", flat=True)
    assert all(moment >= festival.starts_at for moment in went_live)
    assert PromotionEvent.objects.filter(to_status=S.LIVE).count() == 12
    assert PromotionEvent.objects.filter(to_status=S.ENDED).count() == 12
    assert clock_records_are_unique()


def test_worker_killed_mid_run_loses_nothing_and_moves_nothing_twice(celery_processes):
    now = timezone.now()
    festival = FestivalFactory(
        registration_opens_at=now - timedelta(days=2),
        registration_closes_at=now - timedelta(days=1),
        submission_deadline=now - timedelta(hours=2),
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=1),
        status=F.RUNNING,
    )
    total = 3000  # 600 batches of 5: the tick takes long enough to be caught in the middle
    approved_promotions(festival, total, starts_at=festival.starts_at, ends_at=festival.ends_at)
    celery_processes.start_beat()
    celery_processes.start_worker(wait=False)

    live_at_kill = wait_for(
        lambda: Promotion.objects.filter(status=S.LIVE).count(), timeout=60, interval=0.01, message="first batch"
    )
    celery_processes.kill("w1")
    after_kill = status_counts()
    consistent_after_kill = PromotionEvent.objects.filter(to_status=S.LIVE).count() == after_kill[S.LIVE]
    celery_processes.start_worker("w1-again")
    wait_for(lambda: status_counts()[S.LIVE] == total, timeout=60, interval=0.2, message="all promotions live")

    assert 0 < live_at_kill < total, "the worker was not killed mid-run"
    assert after_kill[S.LIVE] < total
    assert consistent_after_kill  # each committed batch has its records, no half batch
    assert PromotionEvent.objects.filter(to_status=S.LIVE).count() == total
    assert clock_records_are_unique()


def test_two_workers_and_two_beats_record_each_transition_once(celery_processes):
    now = timezone.now()
    festival = FestivalFactory(
        registration_opens_at=now - timedelta(days=2),
        registration_closes_at=now - timedelta(days=1),
        submission_deadline=now - timedelta(seconds=1),
        starts_at=now + timedelta(seconds=2),
        ends_at=now + timedelta(seconds=14),
        status=F.REGISTRATION,
    )
    total = 400
    approved_promotions(festival, total, starts_at=festival.starts_at, ends_at=festival.ends_at)
    for name in ("w1", "w2"):
        celery_processes.start_worker(name, wait=False)
    celery_processes.start_beat("beat1")
    celery_processes.start_beat("beat2")

    wait_for(lambda: status_counts()[S.ENDED] == total, timeout=90, interval=0.3, message="all promotions ended")
    wait_for(lambda: festival.events.filter(to_status=F.CLOSED).exists(), timeout=20, message="festival closed")
    ticks = sum(celery_processes.log(name).count("festival.sync_festival_clock") for name in ("w1", "w2"))

    assert clock_records_are_unique()
    assert PromotionEvent.objects.filter(to_status=S.ENDED).count() == total
    assert PromotionEvent.objects.filter(to_status=S.LIVE).count() <= total
    assert list(festival.events.values_list("to_status", flat=True)) == [F.RUNNING, F.CLOSED]
    assert all(celery_processes.log(name).count("succeeded") for name in ("w1", "w2"))
    assert ticks > 2


def test_two_clock_runs_at_once_without_the_lock_move_each_promotion_once(transactional_db):
    """The conditional updates alone (no tick lock) keep concurrent runs from double moves."""
    now = timezone.now()
    festival = FestivalFactory(
        registration_opens_at=now - timedelta(days=2),
        registration_closes_at=now - timedelta(days=1),
        submission_deadline=now - timedelta(hours=2),
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=1),
        status=F.RUNNING,
    )
    approved_promotions(festival, 300, starts_at=festival.starts_at, ends_at=festival.ends_at)
    moved, errors = race(lambda: promotion_services.start_due_promotions(now=now, batch_size=7))

    assert errors == []
    assert sum(moved) == 300
    assert PromotionEvent.objects.filter(to_status=S.LIVE).count() == 300
    assert clock_records_are_unique()


class Receiver:
    """A webhook receiver on 127.0.0.1 answering a scripted list of status codes."""

    def __init__(self, answers=()):
        self.answers, self.requests = list(answers), []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                status = receiver.answers.pop(0) if receiver.answers else 200
                receiver.requests.append({"headers": dict(self.headers), "body": body, "answered": status})
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def signature_verifies(secret, request):
    """The receiver's side of docs/webhooks.md, written out independently."""
    timestamp = request["headers"]["X-Festival-Timestamp"]
    expected = hmac.new(secret.encode(), timestamp.encode() + b"." + request["body"], hashlib.sha256).hexdigest()
    sent = request["headers"]["X-Festival-Signature"].removeprefix("v1=")
    return hmac.compare_digest(expected, sent) and abs(time.time() - int(timestamp)) < 300


def test_webhooks_reach_a_real_receiver_signed_and_retried(celery_processes):
    with Receiver() as steady, Receiver([500, 500, 200]) as flaky:
        good = WebhookSubscription.objects.create(url=steady.url, events=["promotion.live"])
        shaky = WebhookSubscription.objects.create(url=flaky.url, events=["promotion.live"])
        celery_processes.start_worker()
        celery_processes.start_beat()
        now = timezone.now()
        festival = FestivalFactory(
            registration_opens_at=now - timedelta(days=2),
            registration_closes_at=now - timedelta(days=1),
            submission_deadline=now - timedelta(hours=2),
            starts_at=now - timedelta(hours=1),
            ends_at=now + timedelta(hours=1),
            status=F.RUNNING,
        )
        (promotion,) = approved_promotions(festival, 1, starts_at=now + timedelta(seconds=1), ends_at=festival.ends_at)

        wait_for(
            lambda: WebhookDelivery.objects.filter(subscription=shaky, status=DeliveryStatus.SUCCEEDED).exists(),
            timeout=60,
            interval=0.2,
            message="the flaky receiver's delivery to succeed",
        )
        time.sleep(1.5)  # would a stray retry or duplicate still arrive?

    steady_delivery = WebhookDelivery.objects.get(subscription=good)
    shaky_delivery = WebhookDelivery.objects.get(subscription=shaky)
    assert len(steady.requests) == 1
    assert signature_verifies(good.secret, steady.requests[0])
    payload = json.loads(steady.requests[0]["body"])
    assert (payload["type"], payload["data"]["id"], payload["data"]["status"]) == (
        "promotion.live",
        promotion.pk,
        "live",
    )
    assert payload["id"] == str(steady_delivery.event_id)
    assert [r["answered"] for r in flaky.requests] == [500, 500, 200]
    assert all(signature_verifies(shaky.secret, r) for r in flaky.requests)
    assert len({r["headers"]["X-Festival-Event-Id"] for r in flaky.requests}) == 1
    assert (shaky_delivery.status, shaky_delivery.attempts) == (DeliveryStatus.SUCCEEDED, 3)
    assert list(WebhookAttempt.objects.filter(delivery=shaky_delivery).values_list("status_code", flat=True)) == [
        500,
        500,
        200,
    ]
    assert steady_delivery.status == DeliveryStatus.SUCCEEDED
