import re

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from tests.factories import MembershipFactory, SuperuserFactory, UserFactory
from tests.portal import sign_in

pytestmark = pytest.mark.django_db


def test_login_page_renders_and_logs_a_merchant_in(client):
    membership = MembershipFactory(user=UserFactory(username="shop"))

    response = client.post(reverse("merchant:login"), {"username": "shop", "password": "pass-word-123"})

    assert response.status_code == 302
    assert response["Location"] == reverse("merchant:home")
    assert client.get(reverse("merchant:home")).context["request"].merchant == membership.merchant


def test_login_with_a_wrong_password_keeps_the_username_and_says_why(client):
    MembershipFactory(user=UserFactory(username="shop"))

    response = client.post(reverse("merchant:login"), {"username": "shop", "password": "wrong"})

    assert response.status_code == 200
    assert b'value="shop"' in response.content
    assert "correct username and password" in response.content.decode()


def test_portal_pages_need_a_login(client):
    response = client.get(reverse("merchant:products"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("merchant:login"))


def test_staff_without_membership_gets_a_clear_page_not_a_crash(client):
    client.force_login(SuperuserFactory())

    response = client.get(reverse("merchant:home"))

    assert response.status_code == 403
    assert "not linked to a merchant" in response.content.decode()


def test_logout_is_a_post_and_ends_the_session(client):
    signed = sign_in(client)

    response = signed.client.post(reverse("merchant:logout"))

    assert response.status_code == 302
    assert client.get(reverse("merchant:home")).status_code == 302


def test_password_change_needs_the_old_password(client):
    signed = sign_in(client)

    bad = signed.client.post(
        reverse("merchant:password_change"),
        {"old_password": "nope", "new_password1": "Fresh-Pass-2026", "new_password2": "Fresh-Pass-2026"},
    )
    good = signed.client.post(
        reverse("merchant:password_change"),
        {"old_password": "pass-word-123", "new_password1": "Fresh-Pass-2026", "new_password2": "Fresh-Pass-2026"},
    )

    assert bad.status_code == 200 and bad.context["form"].errors["old_password"]
    assert good.status_code == 302
    signed.user.refresh_from_db()
    assert signed.user.check_password("Fresh-Pass-2026")


def test_password_reset_mails_a_link_that_sets_a_new_password(client):
    membership = MembershipFactory(user=UserFactory(username="shop", email="shop@example.com"))

    response = client.post(reverse("merchant:password_reset"), {"email": "shop@example.com"})
    link = re.search(r"https?://[^/]+(/\S+)", mail.outbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    done = client.post(
        form_page.redirect_chain[-1][0], {"new_password1": "Fresh-Pass-2026", "new_password2": "Fresh-Pass-2026"}
    )

    assert response.status_code == 302
    assert link.startswith("/merchant/password/reset/")
    assert done.status_code == 302 and done["Location"] == reverse("merchant:password_reset_complete")
    membership.user.refresh_from_db()
    assert membership.user.check_password("Fresh-Pass-2026")


def _setup_url(user):
    return reverse(
        "merchant:account_setup",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )


def test_account_setup_from_an_invitation_sets_the_password_and_lands_on_home(client):
    user = UserFactory(username="invited")
    user.set_unusable_password()
    user.save()
    MembershipFactory(user=user)

    page = client.get(_setup_url(user), follow=True)
    response = client.post(
        page.redirect_chain[-1][0], {"new_password1": "Fresh-Pass-2026", "new_password2": "Fresh-Pass-2026"}
    )

    assert "Welcome to the merchant portal" in page.content.decode()
    assert response.status_code == 302 and response["Location"] == reverse("merchant:home")
    assert client.get(reverse("merchant:home")).status_code == 200  # signed in
    user.refresh_from_db()
    assert user.check_password("Fresh-Pass-2026")


def test_account_setup_link_works_only_once(client):
    user = UserFactory(username="invited")
    MembershipFactory(user=user)
    url = _setup_url(user)
    page = client.get(url, follow=True)
    client.post(page.redirect_chain[-1][0], {"new_password1": "Fresh-Pass-2026", "new_password2": "Fresh-Pass-2026"})
    client.logout()

    again = client.get(url, follow=True)

    assert "no longer works" in again.content.decode()


def test_account_setup_with_a_forged_token_is_refused(client):
    user = UserFactory()

    response = client.get(
        reverse(
            "merchant:account_setup", kwargs={"uidb64": urlsafe_base64_encode(force_bytes(user.pk)), "token": "x-y"}
        )
    )

    assert response.status_code == 200
    assert "no longer works" in response.content.decode()
