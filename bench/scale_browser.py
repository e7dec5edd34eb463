#!/usr/bin/env python3
"""Are the public site, the admin and the portal usable at size in a real browser? (issue 17)

Against one seeded database (``seed_scale``; ``bench/scale.py`` makes them), starts gunicorn
with ``DEBUG`` off, then drives Debian's Chromium headless as a consumer, an organiser (logging
in through the admin's form) and the busiest merchant's owner (through the portal's form): every
page is opened as a person would open it, timed to the browser's ``load`` event, checked for a
200, a page with content and no horizontal scroll, and saved as a screenshot under
``tests/artifacts/scale/<database>/``.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/festival_scale_tenth \\
        .venv/bin/python bench/scale_browser.py [--repeat 3]

Prints per page the median load time (ms) and the HTML size. Needs ``chromium`` and
``fonts-noto-cjk`` (Debian); ``.ci/run`` installs them.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.support import ensure_secret_key, free_port, start_gunicorn  # noqa: E402

ensure_secret_key()
PASSWORD = "scale-bench-Passw0rd!"


def prepare(env):
    """Static files for whitenoise, and the two people who log in (the same users bench/scale.py uses)."""
    python = sys.executable
    subprocess.run([python, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    script = f"""
from django.contrib.auth import get_user_model
from django.db.models import Count
from demo.scale import CLOSED_SLUG, RUNNING_SLUG
from festival.models import Festival
from merchants.models import Membership, MembershipRole, Merchant, Product
from promotions.models import Promotion, PromotionStatus
User = get_user_model()
staff, _ = User.objects.get_or_create(username="scale-admin", defaults={{"is_staff": True, "is_superuser": True}})
staff.set_password({PASSWORD!r}); staff.save()
busiest = Merchant.objects.annotate(n=Count("promotions")).order_by("-n", "pk").first()
owner, created = User.objects.get_or_create(username="scale-owner")
if created:
    Membership.objects.create(user=owner, merchant=busiest, role=MembershipRole.OWNER)
owner.set_password({PASSWORD!r}); owner.save()
running = Festival.objects.get(slug=RUNNING_SLUG)
live = Promotion.objects.filter(festival=running, status=PromotionStatus.LIVE).order_by("pk").first()
print(running.slug, CLOSED_SLUG, live.pk, busiest.pk,
      Product.objects.filter(merchant=busiest).order_by("pk").first().pk,
      Promotion.objects.filter(merchant=busiest).order_by("pk").first().pk)
"""
    out = subprocess.run(
        [python, "manage.py", "shell", "-c", script], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    running, closed, promotion, merchant, product, own = out.stdout.split()[-6:]
    return {
        "running": running,
        "closed": closed,
        "promotion": promotion,
        "merchant": merchant,
        "product": product,
        "own": own,
    }


def pages(ids):
    running, closed = ids["running"], ids["closed"]
    return {
        "consumer": [
            ("public home", "/"),
            ("public festival", f"/festivals/{running}/"),
            ("public promotions", f"/festivals/{running}/promotions/"),
            ("public search 茶叶", f"/festivals/{running}/promotions/?q=茶叶"),
            ("public promotions page 15", f"/festivals/{running}/promotions/?page=15"),
            ("public promotion", f"/promotions/{ids['promotion']}/"),
            ("public merchants", "/merchants/"),
            ("public merchant", f"/merchants/{ids['merchant']}/"),
            ("public results", f"/festivals/{closed}/results/"),
        ],
        "organiser": [
            ("admin index", "/admin/"),
            ("admin review queue", "/admin/promotions/promotion/?status__exact=submitted"),
            ("admin promotions", "/admin/promotions/promotion/"),
            ("admin promotion", f"/admin/promotions/promotion/{ids['promotion']}/change/"),
            ("admin dashboard", "/admin/promotions/promotion/dashboard/"),
            ("admin participations", "/admin/merchants/participation/"),
            ("admin merchants", "/admin/merchants/merchant/"),
            ("admin merchant", f"/admin/merchants/merchant/{ids['merchant']}/change/"),
        ],
        "merchant": [
            ("portal home", "/merchant/"),
            ("portal live promotions", "/merchant/promotions/?status=live"),
            ("portal products", "/merchant/products/"),
            ("portal product", f"/merchant/products/{ids['product']}/"),
            ("portal promotion", f"/merchant/promotions/{ids['own']}/"),
        ],
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("Set DATABASE_URL to a database seed_scale filled.")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "festival.settings", "LOG_LEVEL": "WARNING", "PYTHONPATH": str(ROOT)}
    env["PUBLIC_PAGE_CACHE_SECONDS"] = "0"  # every page rendered, as for the first visitor after a change
    env.pop("DEBUG", None)
    env.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost")
    ids = prepare(env)
    artifacts = ROOT / "tests" / "artifacts" / "scale" / urlsplit(url).path.strip("/")
    artifacts.mkdir(parents=True, exist_ok=True)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_gunicorn(env, port, workers=2, ready_path="/robots.txt", timeout=60)
    from playwright.sync_api import sync_playwright

    failures = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path="/usr/bin/chromium",
                headless=True,
                args=["--no-sandbox", "--disable-background-networking", "--disable-gpu", "--disable-dev-shm-usage"],
            )
            print(f"{'page':<28} {'load p50':>9} {'HTML KB':>8}  screenshot")
            for who, listed in pages(ids).items():
                context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
                context.set_default_timeout(60_000)
                page = context.new_page()
                if who != "consumer":
                    login = "/admin/login/" if who == "organiser" else "/merchant/login/"
                    page.goto(base + login)
                    page.fill("input[name=username]", "scale-admin" if who == "organiser" else "scale-owner")
                    page.fill("input[name=password]", PASSWORD)
                    with page.expect_navigation():
                        page.press("input[name=password]", "Enter")
                for name, path in listed:
                    times, response = [], None
                    for _ in range(args.repeat):
                        started = time.perf_counter()
                        response = page.goto(base + path, wait_until="load")
                        times.append((time.perf_counter() - started) * 1000)
                    overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth + 1")
                    text = page.inner_text("main") if page.query_selector("main") else page.inner_text("body")
                    shot = artifacts / f"{name.replace(' ', '-')}.png"
                    page.screenshot(path=str(shot))
                    problems = []
                    if response is None or response.status != 200:
                        problems.append(f"HTTP {response.status if response else '?'}")
                    if page.url.rstrip("/").endswith("login"):
                        problems.append("sent to login")
                    if len(text.strip()) < 40:
                        problems.append("empty")
                    if overflow:
                        problems.append("horizontal scroll")
                    size = len(response.body()) / 1024 if response else 0
                    print(
                        f"{name:<28} {statistics.median(times):>7,.0f} ms {size:>7,.0f}  {shot.relative_to(ROOT)}"
                        + (f"  ← {', '.join(problems)}" if problems else ""),
                        flush=True,
                    )
                    if problems:
                        failures.append(name)
                context.close()
            browser.close()
    finally:
        server.terminate()
        server.wait(10)
    print(f"\n{len(failures)} page(s) with a problem" + (f": {', '.join(failures)}" if failures else "."))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
