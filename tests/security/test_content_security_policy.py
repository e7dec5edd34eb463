"""Content Security Policy, Permissions-Policy and no inline script on any page.

A crawler follows the site's own links as an anonymous visitor, a merchant and
an organiser (superuser), from the public home, the portal, the admin and the
API docs, and checks every HTML page it reaches."""

import re
from collections import deque
from html.parser import HTMLParser
from urllib.parse import urldefrag, urlparse

import pytest
from django.urls import reverse

from tests.factories import (
    FestivalFactory,
    MembershipFactory,
    ParticipationFactory,
    ProductFactory,
    PromotionFactory,
    SuperuserFactory,
)

pytestmark = pytest.mark.django_db

SKIP = re.compile(
    r"/(logout|delete|withdraw|submit|revoke)/|^/static/|^/media/|^/i18n/|/history/|\?(?!festival|page=2)"
)
MAX_PAGES = 90


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links, self.problems = [], []
        self._in_script = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        for name in attributes:
            if name.startswith("on"):
                self.problems.append(f"inline event handler {name}= on <{tag}>")
        if tag == "a" and attributes.get("href"):
            self.links.append(attributes["href"])
        for name in ("href", "src", "action"):
            if (attributes.get(name) or "").strip().lower().startswith("javascript:"):
                self.problems.append(f"javascript: URL in <{tag} {name}>")
        if tag == "script":
            data_block = attributes.get("type") in {"application/json", "application/ld+json"}
            self._in_script = None if ("src" in attributes or data_block or attributes.get("nonce")) else tag

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.problems.append(f"inline <script> without a nonce: {data.strip()[:60]!r}")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = None


def _check(response, url):
    policy = response.headers.get("Content-Security-Policy", "")
    directives = dict([*part.strip().split(" ", 1), ""][:2] for part in policy.split(";") if part.strip())
    assert directives.get("default-src") == "'self'", (url, policy)
    script_src = directives.get("script-src", "")
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src, (url, policy)
    assert "frame-ancestors 'none'" in policy
    assert "camera=()" in response.headers.get("Permissions-Policy", ""), url
    page = _Page()
    page.feed(response.content.decode())
    nonce = re.search(r"'nonce-([^']+)'", script_src)
    for found in re.finditer(r"<script[^>]*\snonce=\"([^\"]+)\"", response.content.decode()):
        assert nonce and found.group(1) == nonce.group(1), (url, "a nonce that is not this response's")
    assert not page.problems, (url, page.problems)
    return page.links


def _crawl(client, seeds):
    seen, queue, checked = set(), deque(seeds), []
    while queue and len(checked) < MAX_PAGES:
        url = urldefrag(queue.popleft())[0]
        if url in seen or SKIP.search(url):
            continue
        seen.add(url)
        response = client.get(url)
        assert response.status_code < 500, url
        if response.status_code != 200 or "text/html" not in response.headers.get("Content-Type", ""):
            continue
        checked.append(url)
        for link in _check(response, url):
            parsed = urlparse(link)
            if parsed.netloc in ("", "testserver") and parsed.path.startswith("/"):
                queue.append(parsed.path + (f"?{parsed.query}" if parsed.query else ""))
    return checked


@pytest.fixture
def site():
    festival = FestivalFactory()
    membership = MembershipFactory()
    ParticipationFactory(merchant=membership.merchant, festival=festival)
    ProductFactory(merchant=membership.merchant)
    PromotionFactory(merchant=membership.merchant, festival=festival, approved=True)
    PromotionFactory(merchant=membership.merchant, festival=festival)
    return festival, membership


def test_public_pages_and_api_docs(client, site):
    checked = _crawl(client, ["/", reverse("merchant:login"), "/api/v1/docs/"])

    assert "/" in checked and "/api/v1/docs/" in checked
    assert any(url.startswith("/promotions/") for url in checked)
    docs = client.get("/api/v1/docs/").content.decode()
    init = re.search(r'<script src="(/api/v1/docs/\?[^"]+)"', docs)
    assert init, "Swagger UI's set-up is a script file"
    assert client.get(init.group(1).replace("&amp;", "&")).status_code == 200


def test_portal_pages(client, site):
    _, membership = site
    client.force_login(membership.user)

    checked = _crawl(client, [reverse("merchant:home")])

    assert len(checked) >= 5, checked


def test_admin_pages(client, site):
    festival, _ = site
    client.force_login(SuperuserFactory())

    checked = _crawl(
        client, [reverse("admin:index"), reverse("admin:promotions_dashboard_festival", args=[festival.pk])]
    )

    assert len(checked) >= 20, checked
    assert any("dashboard" in url for url in checked)


def test_every_admin_export_page(client, site):
    """The crawl stops at MAX_PAGES, so the export pages (django-import-export's template,
    whose "select all" toggle had an inline onchange=) are checked one by one."""
    from django.contrib import admin

    client.force_login(SuperuserFactory())
    exporting = [
        model_admin
        for model_admin in admin.site._registry.values()
        if hasattr(model_admin, "get_export_resource_classes")
    ]
    assert len(exporting) >= 3
    for model_admin in exporting:
        meta = model_admin.model._meta
        url = reverse(f"admin:{meta.app_label}_{meta.model_name}_export")
        response = client.get(url)
        assert response.status_code == 200, url
        _check(response, url)
        assert 'class="select-toggle"' in response.content.decode(), url


def test_the_checker_catches_inline_scripts_and_handlers(rf):
    """The crawler's own check fails on what it must catch."""
    from django.http import HttpResponse

    for html in (
        "<script>alert(1)</script>",
        '<button onclick="x()">',
        '<a href="javascript:x()">',
    ):
        response = HttpResponse(html)
        response.headers["Content-Security-Policy"] = "default-src 'self'; script-src 'self'; frame-ancestors 'none'"
        response.headers["Permissions-Policy"] = "camera=()"
        with pytest.raises(AssertionError):
            _check(response, "/")
