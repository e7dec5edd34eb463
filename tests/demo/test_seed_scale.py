"""seed_scale: refuses what it cannot do, and writes data the engine agrees with.

The data test runs the command for real in a PostgreSQL database of its own (COPY
needs PostgreSQL), whatever database the rest of the suite uses, then asks the
honest-price engine to re-check the stored items and compares.
"""

import json
import os
import subprocess
import sys
from pathlib import Path
from unittest import mock
from urllib.parse import urlsplit

import psycopg
import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from demo.scale import ScaleError, Size, seed_scale

ROOT = Path(__file__).resolve().parents[2]
# A database of this run's own: two runs on one machine (a developer's and CI's) must not
# drop each other's.
PG_URL = os.environ.get(
    "SCALE_TEST_DATABASE_URL", f"postgres://postgres@127.0.0.1:5432/festival_test_seed_scale_{os.getpid()}"
)

CHECK_SCRIPT = """
import json
from django.utils import timezone
from promotions.models import Promotion, PromotionItem, PromotionStatus as S
from promotions.pricing import check_items
from merchants.models import Merchant, PricePoint

now = timezone.now()
items = PromotionItem.objects.exclude(promotion__status=S.DRAFT).select_related("promotion__festival", "product")
stored = {i.pk: (i.check_status, i.reference_price, i.reference_source, i.real_discount_percent) for i in items}
engine = {
    c.item.pk: (c.status, c.reference.price, c.reference.source, c.real_discount_percent) for c in check_items(items)
}
# The seeder leaves overlaps out (a warning the engine adds for products in two promotions at once).
differing = [
    pk for pk, row in stored.items()
    if row[1:] != engine[pk][1:] or (row[0] != engine[pk][0] and not (row[0] == "pass" and engine[pk][0] == "warning"))
]
live = Promotion.objects.filter(status=S.LIVE)
# The load writes each search document itself, its triggers off: the same lines as the
# database's own function (string_agg keeps no order), and the triggers on again afterwards.
from django.db import connection
with connection.cursor() as cursor:
    cursor.execute(
        "SELECT id, search_document, promotions_search_document(id, title, merchant_id) FROM promotions_promotion"
    )
    documents = cursor.fetchall()
    cursor.execute(
        "SELECT tgname, tgenabled FROM pg_trigger WHERE tgname IN "
        "('promotions_search_document_write', 'promotions_search_items_inserted')"
    )
    triggers = dict(cursor.fetchall())
print(json.dumps({
    "documents_differing": [pk for pk, ours, theirs in documents if sorted(ours.split("\\n")) != sorted(theirs.split("\\n"))],
    "documents_with_items": sum(ours.count("\\n") >= 2 for _pk, ours, _theirs in documents),
    "search_triggers": triggers,
    "merchants": Merchant.objects.count(),
    "promotions": Promotion.objects.count(),
    "statuses": sorted(set(Promotion.objects.values_list("status", flat=True))),
    "items": len(stored),
    "differing": differing,
    "live_not_running_now": live.exclude(starts_at__lte=now, ends_at__gt=now).count(),
    "approved_already_due": Promotion.objects.filter(status=S.APPROVED, starts_at__lte=now).count(),
    "prices_per_product": PricePoint.objects.count() / max(1, PricePoint.objects.values("product").distinct().count()),
    "without_history": Promotion.objects.filter(events__isnull=True).count(),
}))
"""


def recreate_database(url, *, create=True):
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    with psycopg.connect(parts._replace(path="/postgres").geturl(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if create:
            conn.execute(f'CREATE DATABASE "{name}"')


@pytest.fixture
def scale_database():
    recreate_database(PG_URL)
    yield PG_URL
    recreate_database(PG_URL, create=False)


def manage(*args, env):
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    ).stdout


@pytest.mark.django_db
def test_seed_scale_refuses_sqlite_with_a_clear_message():
    with mock.patch.object(connection, "vendor", "sqlite"), pytest.raises(ScaleError, match="PostgreSQL"):
        seed_scale(Size(1, 1))


@pytest.mark.parametrize(
    "args",
    [["--preset", "xs", "--merchants", "5"], ["--merchants", "5"], ["--merchants", "0", "--promotions", "3"], []],
)
def test_seed_scale_says_how_to_give_a_size(args):
    with pytest.raises(CommandError, match=r"preset|--merchants"):
        call_command("seed_scale", *args)


def test_seed_scale_writes_every_status_with_checks_the_engine_agrees_with(scale_database):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(DATABASE_URL=scale_database, DJANGO_SETTINGS_MODULE="festival.settings", DEBUG="true")
    manage("migrate", "-v0", env=env)

    first = manage("seed_scale", "--merchants", "12", "--promotions", "240", env=env)
    again = manage("seed_scale", "--merchants", "12", "--promotions", "240", env=env)
    more = manage("seed_scale", "--merchants", "16", "--promotions", "320", env=env)
    facts = json.loads(manage("shell", "-c", CHECK_SCRIPT, env=env).strip().splitlines()[-1])

    assert "merchants: 12" in first and "Made" in first
    assert "nothing to add" in again
    assert "merchants: 4" in more  # only the missing ones
    assert facts["merchants"] == 16 and facts["promotions"] == 320
    assert set(facts["statuses"]) >= {"draft", "submitted", "approved", "live", "ended", "withdrawn", "cancelled"}
    assert facts["differing"] == []
    assert facts["live_not_running_now"] == 0 and facts["approved_already_due"] == 0
    assert 40 <= facts["prices_per_product"] <= 60
    assert facts["without_history"] == 0
    assert facts["documents_differing"] == [] and facts["documents_with_items"] == 320
    assert facts["search_triggers"] == {
        "promotions_search_document_write": "O",
        "promotions_search_items_inserted": "O",
    }
