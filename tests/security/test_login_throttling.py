"""Finding 2: login throttling (django-axes, database handler) on /admin/login/ and /merchant/login/."""

import pytest
from django.urls import reverse

from tests.factories import MembershipFactory, SuperuserFactory, UserFactory

pytestmark = pytest.mark.django_db

LIMIT = 10


def _post(client, url, username, password, ip="203.0.113.5"):
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_ten_wrong_portal_passwords_then_the_right_one_is_refused(client):
    MembershipFactory(user=UserFactory(username="shop"))
    url = reverse("merchant:login")
    for _ in range(LIMIT - 1):
        assert _post(client, url, "shop", "wrong").status_code == 200
    locked = _post(client, url, "shop", "wrong")
    assert locked.status_code == 429

    response = _post(client, url, "shop", "pass-word-123")

    assert response.status_code == 429
    body = response.content.decode()
    assert "Too many failed login attempts" in body
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("merchant:home")).status_code == 302


def test_ten_wrong_admin_passwords_then_the_right_one_is_refused(client):
    SuperuserFactory(username="boss")
    url = reverse("admin:login")
    for _ in range(LIMIT):
        _post(client, url, "boss", "wrong")

    response = _post(client, url, "boss", "pass-word-123")

    assert response.status_code == 429
    assert "Too many failed login attempts" in response.content.decode()
    assert client.get(reverse("admin:index")).status_code == 302


def test_nine_wrong_passwords_then_the_right_one_logs_in_and_resets_the_count(client):
    MembershipFactory(user=UserFactory(username="shop"))
    url = reverse("merchant:login")
    for _ in range(LIMIT - 1):
        _post(client, url, "shop", "wrong")

    assert _post(client, url, "shop", "pass-word-123").status_code == 302
    client.post(reverse("merchant:logout"))
    # The success reset the count: nine more failures still do not lock.
    for _ in range(LIMIT - 1):
        _post(client, url, "shop", "wrong")
    assert _post(client, url, "shop", "pass-word-123").status_code == 302


def test_a_locked_user_from_one_address_does_not_lock_other_users_or_addresses(client):
    MembershipFactory(user=UserFactory(username="shop"))
    MembershipFactory(user=UserFactory(username="other"))
    url = reverse("merchant:login")
    for _ in range(LIMIT):
        _post(client, url, "shop", "wrong", ip="203.0.113.5")
    assert _post(client, url, "shop", "pass-word-123", ip="203.0.113.5").status_code == 429

    # Another user from the same address logs in.
    assert _post(client, url, "other", "pass-word-123", ip="203.0.113.5").status_code == 302
    client.post(reverse("merchant:logout"))
    # The same user from another address logs in (the lock is per user and address).
    assert _post(client, url, "shop", "pass-word-123", ip="198.51.100.7").status_code == 302


def test_the_lockout_message_is_translated(client):
    MembershipFactory(user=UserFactory(username="shop"))
    url = reverse("merchant:login")
    for _ in range(LIMIT):
        _post(client, url, "shop", "wrong")

    response = client.post(
        url, {"username": "shop", "password": "x"}, REMOTE_ADDR="203.0.113.5", HTTP_ACCEPT_LANGUAGE="zh-hans"
    )

    assert response.status_code == 429
    assert "登录失败次数过多" in response.content.decode()


def test_organisers_see_and_clear_lockouts_in_the_admin(client):
    MembershipFactory(user=UserFactory(username="shop"))
    url = reverse("merchant:login")
    for _ in range(LIMIT):
        _post(client, url, "shop", "wrong")
    client.force_login(SuperuserFactory(username="boss"))

    listing = client.get(reverse("admin:axes_accessattempt_changelist"))

    assert listing.status_code == 200
    assert "shop" in listing.content.decode()
    assert "203.0.113.5" in listing.content.decode()


def test_behind_the_proxy_the_address_is_the_last_forwarded_hop(rf, settings):
    from core.security import client_ip

    request = rf.get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.9")
    settings.SECURE_PROXY_SSL_HEADER = None
    assert client_ip(request) == "10.0.0.1"
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    assert client_ip(request) == "203.0.113.9"
