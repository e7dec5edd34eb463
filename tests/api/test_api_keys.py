from io import StringIO

import pytest
from django.contrib.admin.sites import site
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from api.models import ApiKey, ApiScope
from api.services import create_api_key, create_webhook_subscription
from tests.api.conftest import key_client
from tests.factories import MembershipFactory, MerchantFactory, ProductFactory, SuperuserFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_create_api_key_command_prints_the_key_last_and_stores_only_its_hash():
    merchant = MerchantFactory()
    out = StringIO()

    call_command(
        "create_api_key",
        "--name",
        "Platform X",
        "--merchant",
        merchant.uscc.lower(),
        "--scopes",
        "read,prices:write",
        stdout=out,
    )

    raw_key = out.getvalue().strip().splitlines()[-1]
    api_key = ApiKey.objects.get(name="Platform X")
    assert api_key.merchant == merchant
    assert api_key.scopes == ["read", "prices:write"]
    assert raw_key not in (api_key.hashed_key, api_key.id)
    assert api_key.is_valid(raw_key)
    own, _foreign = ProductFactory(merchant=merchant), ProductFactory()
    products = key_client(raw_key).get("/api/v1/products/")
    assert products.status_code == 200
    assert [p["id"] for p in products.json()["results"]] == [own.pk]  # the key's merchant's products only


def test_create_api_key_command_refuses_unknown_scope_and_merchant():
    with pytest.raises(CommandError, match="Unknown scope"):
        call_command("create_api_key", "--name", "x", "--scopes", "read,admin", stdout=StringIO())
    with pytest.raises(CommandError, match="No merchant"):
        call_command("create_api_key", "--name", "x", "--merchant", "91110000000000000X", stdout=StringIO())
    assert not ApiKey.objects.exists()


def test_revoked_key_gets_401_and_last_used_is_recorded():
    api_key, raw_key = create_api_key(name="p", scopes=["read"])
    other_key, _raw = create_api_key(name="other", scopes=["webhooks:write"])
    create_webhook_subscription(url="https://example.com/other", events=["promotion.approved"], api_key=other_key)
    client = key_client(raw_key)

    webhooks = client.get("/api/v1/webhooks/")
    assert webhooks.status_code == 200
    assert webhooks.json()["results"] == []  # another key's subscriptions are not listed
    api_key.refresh_from_db()
    assert api_key.last_used_at is not None

    api_key.revoked = True
    api_key.save()
    response = client.get("/api/v1/festivals/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Api-Key"


def test_wrong_or_malformed_key_gets_401():
    _api_key, raw_key = create_api_key(name="p", scopes=["read"])

    assert key_client(raw_key + "x").get("/api/v1/festivals/").status_code == 401
    assert key_client("nonsense").get("/api/v1/festivals/").status_code == 401
    assert key_client("a" * 500).get("/api/v1/festivals/").status_code == 401


def test_last_used_is_written_at_most_once_a_minute():
    _api_key, raw_key = create_api_key(name="p", scopes=["read"])
    client = key_client(raw_key)
    with CaptureQueriesContext(connection) as first:
        client.get("/api/v1/webhooks/")

    with CaptureQueriesContext(connection) as second:
        client.get("/api/v1/webhooks/")

    updates = [q["sql"] for q in first.captured_queries if q["sql"].startswith("UPDATE")]
    assert len(updates) == 1 and "last_used_at" in updates[0]
    assert len(second) == len(first) - 1  # the same reads, without the write
    assert not any(q["sql"].startswith("UPDATE") for q in second.captured_queries)


def test_admin_creates_key_shows_it_once_and_revokes(client):
    client.force_login(SuperuserFactory())
    merchant = MerchantFactory()

    response = client.post(
        reverse("admin:api_apikey_add"),
        {"name": "Partner", "merchant": merchant.pk, "scopes": ["read", "promotions:write"]},
        follow=True,
    )

    api_key = ApiKey.objects.get(name="Partner")
    shown = [str(m) for m in response.context["messages"]]
    assert any("store it now" in m for m in shown)
    raw_key = next(m for m in shown if "store it now" in m).split(": ", 1)[1].split(" ")[0]
    assert api_key.is_valid(raw_key)
    assert api_key.scopes == ["read", "promotions:write"]

    client.post(
        reverse("admin:api_apikey_changelist"), {"action": "revoke_keys", "_selected_action": [api_key.pk]}, follow=True
    )
    api_key.refresh_from_db()
    assert api_key.revoked
    changelist = client.get(reverse("admin:api_apikey_changelist"))
    assert changelist.status_code == 200
    assert raw_key not in changelist.content.decode()
    assert client.get(reverse("admin:api_apikey_add")).status_code == 200
    change = client.get(reverse("admin:api_apikey_change", args=[api_key.pk]))
    assert change.status_code == 200
    assert raw_key not in change.content.decode()
    assert site.is_registered(ApiKey)


def test_owner_creates_sees_once_and_revokes_a_merchant_key(client):
    owner = MembershipFactory().user
    client.force_login(owner)

    response = client.post(reverse("merchant_keys:create"), {"name": "ERP", "scopes": ["read", "prices:write"]})

    assert response.status_code == 200
    api_key = ApiKey.objects.get(name="ERP")
    raw_key = response.context["raw_key"]
    assert api_key.merchant == owner.membership.merchant
    assert api_key.is_valid(raw_key)
    assert "no-store" in response["Cache-Control"]
    listing = client.get(reverse("merchant_keys:list"))
    assert raw_key not in listing.content.decode()
    assert api_key.prefix in listing.content.decode()

    client.post(reverse("merchant_keys:revoke", args=[api_key.prefix]))
    api_key.refresh_from_db()
    assert api_key.revoked


def test_staff_member_and_foreign_owner_cannot_manage_keys(client):
    api_key, _raw = create_api_key(name="k", scopes=["read"], merchant=MerchantFactory())
    staff = MembershipFactory(role="staff").user
    foreign_owner = MembershipFactory().user

    client.force_login(staff)
    assert client.get(reverse("merchant_keys:list")).status_code == 403
    assert client.post(reverse("merchant_keys:create"), {"name": "x", "scopes": ["read"]}).status_code == 403
    client.force_login(foreign_owner)
    assert client.post(reverse("merchant_keys:revoke", args=[api_key.prefix])).status_code == 404
    api_key.refresh_from_db()
    assert not api_key.revoked
    assert ApiScope.READ in api_key.scopes


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("merchant_keys:list"))

    assert response.status_code == 302
    assert UserFactory() is not None
