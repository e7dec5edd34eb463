"""Inviting a merchant's staff: user + membership, and an emailed account-setup link."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils.encoding import force_str
from django.utils.http import urlsafe_base64_decode

from core.workflow import DomainError
from festival.roles import ORGANISER_ADMIN
from merchants import services
from merchants.models import Membership
from tests.admin_support import client_for, staff_user
from tests.factories import MerchantFactory, UserFactory

pytestmark = pytest.mark.django_db

SETUP_LINK = re.compile(r"https?://\S+/merchant/setup/(?P<uidb64>[^/\s]+)/(?P<token>[^/\s]+)/")


def test_invite_creates_the_account_and_emails_a_working_setup_link(django_capture_on_commit_callbacks):
    organiser = staff_user(ORGANISER_ADMIN)
    merchant = MerchantFactory(name="Daoxiangcun")

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(organiser).post(
            reverse("admin:merchants_merchant_invite", args=[merchant.pk]),
            {"email": "Li.Na@Daoxiangcun.example", "role": "staff"},
        )

    assert response.status_code == 302
    membership = Membership.objects.get(merchant=merchant)
    user = membership.user
    assert (user.email, user.is_staff, user.has_usable_password()) == ("li.na@daoxiangcun.example", False, False)
    assert (membership.role, membership.invited_by) == ("staff", organiser)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["li.na@daoxiangcun.example"]
    assert "Daoxiangcun" in message.subject
    link = SETUP_LINK.search(message.body)
    assert link is not None, message.body
    assert force_str(urlsafe_base64_decode(link["uidb64"])) == str(user.pk)
    assert default_token_generator.check_token(user, link["token"])


def test_invite_refuses_an_address_that_already_has_an_account(django_capture_on_commit_callbacks):
    UserFactory(username="taken@example.com", email="taken@example.com")
    merchant = MerchantFactory()

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(staff_user(ORGANISER_ADMIN)).post(
            reverse("admin:merchants_merchant_invite", args=[merchant.pk]),
            {"email": "TAKEN@example.com", "role": "owner"},
        )

    assert response.status_code == 200
    assert "taken@example.com already has an account." in response.content.decode()
    assert not Membership.objects.exists()
    assert mail.outbox == []


def test_invite_member_needs_an_organiser():
    merchant = MerchantFactory()
    reviewer = staff_user("Reviewer")

    with pytest.raises(PermissionDenied) as refused:
        services.invite_member(merchant, email="x@example.com", role="staff", by=reviewer)

    assert "Only organisers can invite merchant staff." in str(refused.value)
    assert not get_user_model().objects.filter(email="x@example.com").exists()


def test_invite_member_rejects_a_bad_address_and_role():
    merchant = MerchantFactory()
    organiser = staff_user(ORGANISER_ADMIN)

    with pytest.raises(DomainError, match="valid email"):
        services.invite_member(merchant, email="not an email", role="staff", by=organiser)
    with pytest.raises(DomainError, match="owner or staff"):
        services.invite_member(merchant, email="ok@example.com", role="boss", by=organiser)


def test_inviting_again_before_setup_resends_the_link(django_capture_on_commit_callbacks):
    merchant = MerchantFactory()
    organiser = staff_user(ORGANISER_ADMIN)
    with django_capture_on_commit_callbacks(execute=True):
        first = services.invite_member(merchant, email="new@example.com", role="staff", by=organiser)

    with django_capture_on_commit_callbacks(execute=True):
        again = services.invite_member(merchant, email="new@example.com", role="staff", by=organiser)

    assert again == first
    assert Membership.objects.count() == 1
    assert len(mail.outbox) == 2
