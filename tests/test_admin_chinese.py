"""Every admin page in Chinese: each changelist, add form, change form and custom page,
rendered as a superuser in zh-Hans, shows no text of ours left in English (compared with
the zh_Hans catalogue) and no raw status code ("submitted", "draft → submitted")."""

import ast
import contextlib
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib import admin
from django.db import models
from django.urls import NoReverseMatch, reverse
from django.utils import translation

from festival.roles import CONSUMER_ASSOCIATION, ORGANISER_ADMIN, POST_BUREAU, REVIEWER, VIEWER
from logistics.models import ParcelReportVersion
from promotions.models import PromotionEvent
from tests.admin_support import client_for, populate_festival
from tests.factories import CoverageFactory, FestivalFactory, ParcelReportFactory, PromotionFactory, SuperuserFactory

pytestmark = pytest.mark.django_db

PO_FILE = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
SKIPPED_TAGS = {"script", "style", "textarea", "option", "code", "pre"}
LABEL_TAGS = {"th", "label", "h2", "legend"}
# Words that stay as they are in Chinese (codes, abbreviations) and Django's own English-only bits.
KEPT_WORDS = {"sku", "url", "api", "id", "gmv", "csv", "xlsx", "json", "uscc", "email", "e-mail"}
# Django's own visually-hidden column headers of the app list, untranslated in Django's zh_Hans catalogue.
KEPT_WORDS |= {"model name", "add link", "change or view list link"}
# The role groups' names are data (festival.roles), shown as the groups' own names.
KEPT_WORDS |= {name.casefold() for name in (ORGANISER_ADMIN, REVIEWER, VIEWER, CONSUMER_ASSOCIATION, POST_BUREAU)}
ARROW = "→"


def catalogue() -> dict[str, str]:
    """Our msgids (singular) and their Chinese, read from the .po (fuzzy entries count as untranslated)."""
    entries = {}
    for block in PO_FILE.read_text(encoding="utf-8").split("\n\n"):
        lines = block.strip().splitlines()
        fuzzy = any(line.startswith("#,") and "fuzzy" in line for line in lines)
        strings, key = {}, None
        for line in lines:
            match = re.match(r'^(msgctxt|msgid|msgid_plural|msgstr(?:\[0\])?) (".*")$', line)
            if match:
                key = match.group(1)
                strings[key] = ast.literal_eval(match.group(2))
            elif line.startswith('"') and key:
                strings[key] += ast.literal_eval(line)
        msgid = strings.get("msgid")
        if msgid:
            entries[msgid] = "" if fuzzy else strings.get("msgstr", strings.get("msgstr[0]", ""))
    return entries


def _normal(text):
    return re.sub(r"\s+", " ", text).strip().rstrip(":：").strip().casefold()


class TextNodes(HTMLParser):
    """The visible text of a page (and button values, placeholders and titles)."""

    def __init__(self):
        super().__init__()
        self.skipping = 0
        self.labelling = 0
        self.nodes = []
        self.labels = []  # text of column headers and field labels: UI, never data

    def handle_starttag(self, tag, attrs):
        if tag in SKIPPED_TAGS:
            self.skipping += 1
        if tag in LABEL_TAGS:
            self.labelling += 1
        attrs = dict(attrs)
        if tag == "input" and attrs.get("type") in ("submit", "button") and attrs.get("value"):
            self.nodes.append(attrs["value"])
        for name in ("placeholder", "title", "aria-label"):
            if attrs.get(name):
                self.nodes.append(attrs[name])

    def handle_endtag(self, tag):
        if tag in SKIPPED_TAGS and self.skipping:
            self.skipping -= 1
        if tag in LABEL_TAGS and self.labelling:
            self.labelling -= 1

    def handle_data(self, data):
        if not self.skipping and data.strip():
            self.nodes.append(data)
            if self.labelling:
                self.labels.append(data)


def text_nodes(html):
    parser = TextNodes()
    parser.feed(html)
    return [_normal(node) for node in parser.nodes if _normal(node)]


def english_labels(html):
    parser = TextNodes()
    parser.feed(html)
    return [
        _normal(label)
        for label in parser.labels
        if re.fullmatch(r"[A-Za-z][A-Za-z \-]+", _normal(label)) and _normal(label) not in KEPT_WORDS
    ]


def status_codes() -> set[str]:
    """The stored values of every status field of our models (e.g. "changes_requested")."""
    codes = set()
    for model in admin.site._registry:
        for field in model._meta.get_fields():
            if isinstance(field, models.CharField) and field.choices and "status" in field.name:
                codes.update(str(value) for value, _label in field.choices if value)
    return codes


def problems_in(html, untranslated, codes) -> list[str]:
    found = [f"English label: {label!r}" for label in english_labels(html)]
    for node in text_nodes(html):
        if node in untranslated:
            found.append(f"untranslated: {node!r}")
        parts = [part.strip() for part in node.split(ARROW)]
        if node in codes or (len(parts) > 1 and any(part in codes for part in parts)):
            found.append(f"raw status code: {node!r}")
        if re.search(r"以\s*[a-z_]+/[a-z_]+", node) or re.fullmatch(r"以\s*[a-z][a-z _]*", node):
            found.append(f"raw codes in a label: {node!r}")
    return found


# The periodic-task tables (superusers' "System settings") are django-celery-beat's, with its
# own English-only catalogue, and django-axes' lockout tables (no Chinese catalogue; their names are
# ours in festival/library_translations.py): not ours to translate.
LIBRARY_APPS = {"django_celery_beat", "axes"}


def admin_pages(client):
    """Every changelist, add form and one change form per registered model, and the custom pages."""
    pages = []
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label in LIBRARY_APPS:
            continue
        info = model._meta.app_label, model._meta.model_name
        pages.append(reverse("admin:{}_{}_changelist".format(*info)))
        request = client.request_factory_request
        if model_admin.has_add_permission(request):
            with contextlib.suppress(NoReverseMatch):
                pages.append(reverse("admin:{}_{}_add".format(*info)))
        obj = model_admin.get_queryset(request).first()
        if obj is not None:
            pages.append(reverse("admin:{}_{}_change".format(*info), args=[obj.pk]))
    pages.append(reverse("admin:index"))
    pages.append(reverse("admin:promotions_dashboard"))
    pages.append(reverse("admin:merchants_merchant_import"))
    pages.append(reverse("admin:logistics_dashboard"))
    pages.append(reverse("admin:logistics_parcelreport_import"))
    for app_label in {model._meta.app_label for model in admin.site._registry} - LIBRARY_APPS:
        pages.append(reverse("admin:app_list", args=[app_label]))
    return pages


@pytest.fixture
def populated():
    festival = FestivalFactory()
    populate_festival(festival, 4)
    superuser = SuperuserFactory()
    report = ParcelReportFactory(date=festival.local(festival.starts_at).date())
    ParcelReportVersion.objects.create(report=report, collected=1, delivered=1, rural_collected=0, rural_delivered=0,
                                       channel="api", replaced_through="import")  # fmt: skip
    CoverageFactory()
    promotion = PromotionFactory(festival=festival, submitted=True)
    PromotionEvent.objects.create(promotion=promotion, from_status="draft", to_status="submitted", actor=superuser)
    return superuser, festival


def test_every_admin_page_is_in_chinese(populated, rf):
    superuser, _festival = populated
    client = client_for(superuser)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    request = rf.get("/admin/")
    request.user = superuser
    client.request_factory_request = request
    entries = catalogue()
    untranslated = {_normal(msgid) for msgid, msgstr in entries.items() if not msgstr}
    untranslated = {msgid for msgid in untranslated if re.search("[a-z]{3}", msgid) and "%" not in msgid}
    codes = status_codes()

    index = client.get(reverse("admin:index")).content.decode()
    assert "系统设置" in index and "待审核的促销活动" in index
    failures = {}
    with translation.override("zh-hans"):
        pages = admin_pages(client)
    for url in pages:
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
        assert response.status_code == 200, url
        found = problems_in(response.content.decode(), untranslated, codes)
        if found:
            failures[url] = sorted(set(found))
    assert failures == {}, "\n".join(sorted({f"{p} ({url})" for url, found in failures.items() for p in found}))


def test_the_check_sees_an_untranslated_msgid_and_a_raw_code():
    codes = {"submitted", "draft"}
    html = (
        "<th>Reviewed by</th><td>draft → submitted</td><p>以 revoked/created</p><script>var a='draft'</script>"
        "<label>Invited by</label><td>Tea shop</td>"
    )
    found = problems_in(html, {"reviewed by"}, codes)
    assert found == [
        "English label: 'reviewed by'",
        "English label: 'invited by'",
        "untranslated: 'reviewed by'",
        "raw status code: 'draft → submitted'",
        "raw codes in a label: '以 revoked/created'",
    ]
