import os

import pytest
import time_machine
from django.utils import translation

from tests import clock

_session_clock = None


def pytest_addoption(parser):
    parser.addoption(
        "--clock",
        default=os.environ.get("FESTIVAL_TEST_CLOCK", clock.DEFAULT_INSTANT),
        help="the instant (ISO, with an offset) at which every test's clock starts; 'now' for the wall clock's "
        f"present. Default {clock.DEFAULT_INSTANT}; also FESTIVAL_TEST_CLOCK.",
    )


def pytest_xdist_make_scheduler(config, log):
    """With ``--dist loadscope`` (scripts/test.py), a module that runs at each of the clock's
    instants is one group per instant, not one: each instant seeds the demo afresh, so the
    instants of tests/festival/test_seed_demo.py share out over the workers instead of
    keeping one busy for a third of the run."""
    if config.getoption("dist") != "loadscope":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class ByModuleAndInstant(LoadScopeScheduling):
        def _split_scope(self, nodeid):
            scope = super()._split_scope(nodeid)
            instant = clock.instant_of(nodeid)
            return f"{scope}[{instant}]" if instant else scope

    return ByModuleAndInstant(config, log)


# The longest groups of the suite (--durations=0 on the 2-core machine): run first, so
# that no worker is left with one of them while the others have finished.
LONGEST_MODULES = (
    "tests/festival/test_seed_demo.py",
    "tests/api/test_api_schemathesis.py",
    "tests/festival/test_clock_worker.py",
    "tests/api/test_api_permission_matrix.py",
    "tests/teams/test_admin_matrix.py",
    "tests/ops/test_backup_restore.py",
)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """The longest modules first (a stable sort: each module's tests keep their order)."""
    rank = {module: position for position, module in enumerate(LONGEST_MODULES)}
    items.sort(key=lambda item: rank.get(item.nodeid.partition("::")[0], len(rank)))


def pytest_configure(config):
    """Pin the clock for the whole session, so even module fixtures and collection
    never read the wall clock; each test is then put back at its own instant."""
    global _session_clock
    instant = clock.parse(config.getoption("--clock"))
    config.clock_instant = instant
    _session_clock = time_machine.travel(instant, tick=True)
    _session_clock.start()


def pytest_unconfigure(config):
    if _session_clock is not None:
        _session_clock.stop()


def pytest_report_header(config):
    return f"test clock pinned at {config.clock_instant.isoformat()} (ticking)"


@pytest.fixture(scope="module")
def clock_at(request):
    """The instant this module's tests start at. Override it in a module, with
    ``params=clock.INSTANTS.values()``, to run the module at each instant."""
    return request.config.clock_instant


@pytest.fixture(autouse=True)
def _pinned_clock(clock_at):
    """Every test starts at its module's instant; time ticks on from there."""
    with time_machine.travel(clock_at, tick=True):
        yield clock_at


@pytest.fixture(autouse=True)
def _english(settings):
    """Tests read English messages; the Chinese interface is tested explicitly."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _no_public_page_cache(settings):
    """The public site's page cache outlives a test's database: off unless a test turns it on."""
    settings.PUBLIC_PAGE_CACHE_SECONDS = 0


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def browser_page(live_server, transactional_db, settings, monkeypatch):
    """A Playwright page in Debian's headless Chromium, pointed at the live server.

    Use ``browser_page.goto(live_server.url + "/…")``. Marked tests:
    ``pytestmark = pytest.mark.browser``.
    """

    from django.db import connections
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls the
    # test makes between page actions are still synchronous and safe.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    settings.DEBUG = False
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium",
            headless=True,
            args=["--no-sandbox", "--disable-background-networking", "--disable-gpu", "--disable-dev-shm-usage"],
        )
        context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
        context.set_default_timeout(15_000)
        page = context.new_page()
        try:
            yield page
        finally:
            context.close()
            browser.close()
            # The test ran inside Playwright's greenlet, whose context holds its
            # own database connection; close it, or PostgreSQL cannot drop the
            # test database at the end of the session.
            connections.close_all()


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Throttle counters and locks live in the cache (Redis in CI): start each test clean."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture(autouse=True)
def _celery_eager():
    """Tasks enqueued by event handlers run in-process in tests; the worker
    integration tests (tests/festival/test_clock_worker.py) start real processes."""
    from festival.celery import app

    before = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager, app.conf.task_eager_propagates = True, True
    try:
        yield
    finally:
        app.conf.task_always_eager, app.conf.task_eager_propagates = before


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """PBKDF2 costs ~0.3 s per factory user on the shared CI machine; tests don't need it to be slow."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def broker_down():
    """Celery's broker at a port nothing listens on, not eager: what a Redis outage looks like to the app."""
    from core import outbox
    from festival.celery import app
    from tests.outages import closed_port

    saved = app.conf.task_always_eager, app.conf.broker_url
    app.conf.task_always_eager = False
    app.conf.broker_url = f"redis://127.0.0.1:{closed_port()}/0"
    outbox._paused_until = 0.0
    outbox.forget_connection()
    yield
    app.conf.task_always_eager, app.conf.broker_url = saved
    outbox._paused_until = 0.0
    outbox.forget_connection()


@pytest.fixture
def cache_down(settings):
    """The default cache a Redis at a port nothing listens on (short timeouts, so a test stays quick)."""
    from tests.outages import closed_port

    working = settings.CACHES
    settings.CACHES = {
        "default": {
            "BACKEND": "core.cache.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    yield
    settings.CACHES = working


# What the migrations write besides tables: the beat schedule (promotions 0002, core 0002, api 0004,
# reports 0002) and the provinces (festival 0005). A transactional test ends with a flush that
# empties every table and runs only the post_migrate handlers (groups, permissions), and with
# xdist's loadscope a module's transactional tests run among the other modules' tests on the same
# worker: without this, a test reading the schedule or the provinces fails or passes by the order
# the workers happened to take. Put back after every flush, as the migrations left it.
MIGRATION_DATA_APPS = ("django_celery_beat",)
MIGRATION_DATA_MODELS = ("festival.Province",)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    from django.apps import apps
    from django.core import serializers
    from django.db import transaction
    from django.db.models.signals import post_migrate

    models = [m for label in MIGRATION_DATA_APPS for m in apps.get_app_config(label).get_models()]
    models = [m for m in models if m._meta.model_name != "periodictasks"]  # beat's change marker, kept by signals
    models += [apps.get_model(label) for label in MIGRATION_DATA_MODELS]
    # Schedules before the tasks that point at them.
    models.sort(key=lambda model: model._meta.model_name == "periodictask")
    with django_db_blocker.unblock():
        written = serializers.serialize("json", [row for model in models for row in model._base_manager.order_by("pk")])
    sentinel = models[-1]

    def put_back(sender, using="default", **kwargs):
        if sentinel._base_manager.using(using).exists():
            return  # a migrate, not a flush: the migrations wrote it
        with transaction.atomic(using=using):
            for row in serializers.deserialize("json", written, using=using):
                row.save(using=using)

    post_migrate.connect(
        put_back, sender=apps.get_app_config("festival"), weak=False, dispatch_uid="tests.migration_data"
    )
    yield
    post_migrate.disconnect(dispatch_uid="tests.migration_data", sender=apps.get_app_config("festival"))
