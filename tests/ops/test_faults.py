"""Redis (cache and broker) stopped mid-run, with a real web server (gunicorn), a
real Celery worker and beat: pages and the API keep answering, a reviewer's
decision answers in normal time, and every event raised during the outage is
delivered once Redis is back — each exactly once.

The test starts its own redis-server on a spare port (6391–6399) and kills it;
the processes share the test database and the test's clock (tests/clock_shim.py).
Redis clients are told to give up fast (REDIS_CONNECT_TIMEOUT / REDIS_SOCKET_TIMEOUT),
so the whole test takes seconds.
"""

import re
import subprocess
import sys
import time
from collections import Counter

import pytest
import requests
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from api.models import ApiScope, DeliveryStatus, WebhookDelivery, WebhookSubscription
from api.services import create_api_key
from core.models import OutboxMessage
from festival.models import SentNotification
from festival.roles import REVIEWER
from promotions.models import CheckStatus, PromotionStatus
from tests.admin_support import staff_user
from tests.factories import (
    FestivalFactory,
    MerchantFactory,
    ParticipationFactory,
    PromotionFactory,
    PromotionItemFactory,
)
from tests.festival.test_clock_worker import Processes, Receiver, wait_for
from tests.outages import RedisServer, closed_port

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def stack(transactional_db, tmp_path):
    """redis-server, gunicorn, a Celery worker and beat (relaying the outbox every second)."""
    redis_server = RedisServer(tmp_path)
    redis_server.start()
    PeriodicTask.objects.all().delete()
    every_second, _ = IntervalSchedule.objects.get_or_create(every=1, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.create(name="relay (test)", task="core.relay_outbox", interval=every_second)
    processes = Processes(
        tmp_path,
        REDIS_URL=redis_server.url,
        REDIS_CONNECT_TIMEOUT="0.3",
        REDIS_SOCKET_TIMEOUT="0.5",
        ALLOWED_HOSTS="127.0.0.1",
        PUBLIC_PAGE_CACHE_SECONDS="300",
    )
    web_port = closed_port()
    processes.web_url = f"http://127.0.0.1:{web_port}"
    try:
        processes._start(
            "web",
            [
                *("-m", "gunicorn", "festival.wsgi", "-b", f"127.0.0.1:{web_port}", "-w", "1", "--threads", "4"),
                *("--no-control-socket", "--timeout", "60"),
            ],
        )
        processes.start_worker(wait=False)
        processes.start_beat()
        wait_for(lambda: _get(f"{processes.web_url}/healthz?part=database") == 200, timeout=60, message="gunicorn")
        wait_for(lambda: "ready." in processes.log("w1"), timeout=60, message="the worker")
        wait_for(lambda: "core.relay_outbox" in processes.log("w1"), timeout=30, message="beat's first relay")
        processes.redis = redis_server
        yield processes
    finally:
        processes.kill_all()
        redis_server.kill()
        connection.close()


def _get(url, **kwargs):
    try:
        return requests.get(url, timeout=5, **kwargs).status_code
    except requests.RequestException:
        return None


def admin_session(user) -> requests.Session:
    store = SessionStore()
    store["_auth_user_id"] = str(user.pk)
    store["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
    store["_auth_user_hash"] = user.get_session_auth_hash()
    store.create()
    session = requests.Session()
    session.cookies.set(settings.SESSION_COOKIE_NAME, store.session_key)
    return session


def test_redis_down_pages_and_api_answer_and_every_event_is_delivered_once_after(stack):
    started = time.monotonic()
    festival = FestivalFactory()
    merchant = MerchantFactory()
    ParticipationFactory(merchant=merchant, festival=festival)
    _, raw_key = create_api_key(name="partner", scopes=list(ApiScope.values), merchant=merchant)
    submitted = PromotionFactory(merchant=merchant, festival=festival, submitted=True)
    PromotionItemFactory(promotion=submitted, check_status=CheckStatus.PASS, checked_at=timezone.now())
    live = PromotionFactory(merchant=merchant, festival=festival, live=True)
    reviewer = staff_user(REVIEWER)
    browser = admin_session(reviewer)
    decide = f"{stack.web_url}/admin/promotions/promotion/{submitted.pk}/decide/approve/"
    form = browser.get(decide, timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
    api = {"Authorization": f"Api-Key {raw_key}"}

    with Receiver() as receiver:
        WebhookSubscription.objects.create(url=receiver.url, events=["promotion.approved", "promotion.withdrawn"])

        stack.redis.kill()
        pages = {
            path: _get(f"{stack.web_url}{path}")
            for path in ("/", f"/festivals/{festival.slug}/promotions/", f"/promotions/{live.pk}/", "/merchants/")
        }
        api_read = _get(f"{stack.web_url}/api/v1/promotions/", headers=api)
        health = requests.get(f"{stack.web_url}/healthz", timeout=10)
        clicked = time.monotonic()
        approval = browser.post(decide, data={"csrfmiddlewaretoken": token, "note": "Fine."}, timeout=30)
        approval_seconds = time.monotonic() - clicked
        withdrawal = requests.post(f"{stack.web_url}/api/v1/promotions/{live.pk}/withdraw/", headers=api, timeout=30)
        waiting_during_outage = OutboxMessage.objects.filter(sent_at__isnull=True).count()
        delivered_during_outage = len(receiver.requests)

        stack.redis.start()
        wait_for(
            lambda: (
                len(receiver.requests) >= 2
                and SentNotification.objects.filter(key__startswith="promotion.approved:").exists()
            ),
            timeout=40,
            interval=0.2,
            message="the outage's events to be delivered",
        )
        time.sleep(2)  # would a duplicate still arrive?

    submitted.refresh_from_db()
    live.refresh_from_db()
    assert pages == dict.fromkeys(pages, 200)
    assert api_read == 200
    assert health.status_code == 503 and set(health.json()["failed"]) >= {"cache", "broker"}
    assert approval.status_code == 200 and approval.url.endswith(f"/promotion/{submitted.pk}/change/"), approval.url
    assert approval_seconds < 2.0, f"the approval took {approval_seconds:.1f} s with Redis down"
    assert withdrawal.status_code == 200, withdrawal.text
    assert (submitted.status, live.status) == (PromotionStatus.APPROVED, PromotionStatus.WITHDRAWN)
    assert waiting_during_outage >= 2 and delivered_during_outage == 0
    events = Counter(r["headers"]["X-Festival-Event"] for r in receiver.requests)
    assert events == {"promotion.approved": 1, "promotion.withdrawn": 1}
    assert len({r["headers"]["X-Festival-Event-Id"] for r in receiver.requests}) == 2
    assert WebhookDelivery.objects.filter(status=DeliveryStatus.SUCCEEDED).count() == 2
    assert SentNotification.objects.filter(key__startswith="promotion.approved:").count() == 1
    assert not OutboxMessage.objects.filter(sent_at__isnull=True).exists()
    worker_log = stack.log("w1")
    assert worker_log.count('"task": "api.deliver_webhook"') == 2, worker_log[-3000:]
    assert time.monotonic() - started < 30


def test_the_clock_lock_is_renewed_while_held_and_freed_seconds_after_its_holder_dies(tmp_path, settings):
    from core import locks

    redis_server = RedisServer(tmp_path)
    redis_server.start()
    settings.REDIS_URL = redis_server.url
    try:
        with locks.exclusive("renewal-test", ttl=1) as first:
            time.sleep(2.5)  # more than twice the TTL: only renewal keeps it
            with locks.exclusive("renewal-test", ttl=1) as second_while_held:
                pass
        with locks.exclusive("renewal-test", ttl=1) as after_release:
            pass

        # A holder killed mid-tick (no release, no renewal): free within the TTL.
        import redis

        client = redis.Redis.from_url(redis_server.url)
        client.set("festival:lock:killed-holder", "dead-worker", px=1000)
        with locks.exclusive("killed-holder", ttl=1) as at_once:
            pass
        time.sleep(1.2)
        with locks.exclusive("killed-holder", ttl=1) as seconds_later:
            pass
        client.close()
    finally:
        redis_server.kill()

    assert (first, second_while_held, after_release) == (True, False, True)
    assert (at_once, seconds_later) == (False, True)


def test_with_redis_a_killed_workers_task_is_redelivered_in_minutes_and_the_clock_lock_is_short():
    """The production settings (REDIS_URL set): late acknowledgement, a visibility
    timeout just above the hard time limit and above every countdown, a 10 s lock."""
    script = (
        "import json; from django.conf import settings as s; print(json.dumps([s.CELERY_TASK_ACKS_LATE, "
        "s.CELERY_TASK_REJECT_ON_WORKER_LOST, s.CELERY_TASK_TIME_LIMIT, "
        "s.CELERY_BROKER_TRANSPORT_OPTIONS['visibility_timeout'], s.WEBHOOK_RETRY_MAX_SECONDS, "
        "s.CLOCK_LOCK_TTL_SECONDS, s.CELERY_RESULT_BACKEND]))"
    )
    env = {"DJANGO_SETTINGS_MODULE": "festival.settings", "REDIS_URL": "redis://127.0.0.1:6399/0"}
    env = {**{k: v for k, v in __import__("os").environ.items() if not k.startswith("CLOCK_")}, **env}
    out = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {script}"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    acks_late, reject_on_lost, time_limit, visibility, retry_max, lock_ttl, backend = __import__("json").loads(out)

    assert acks_late and reject_on_lost
    assert time_limit < visibility <= 420
    assert retry_max < visibility
    assert lock_ttl == 10
    assert backend is None  # no result store to wait on when Redis is down
