import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _english(settings):
    """Tests read English messages; the Chinese interface is tested explicitly."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def browser_page(live_server, transactional_db, settings):
    """A Playwright page in Debian's headless Chromium, pointed at the live server.

    Use ``browser_page.goto(live_server.url + "/…")``. Marked tests:
    ``pytestmark = pytest.mark.browser``.
    """
    import os

    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls the
    # test makes between page actions are still synchronous and safe.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
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
