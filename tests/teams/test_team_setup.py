"""Setting teams up: the add_team_member command and the team pages of an organiser admin."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.urls import reverse

from festival.models import Organiser, TeamMembership, TeamRole
from tests.admin_support import client_for, role_group
from tests.factories import MembershipFactory, OrganiserFactory, TeamMembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _role_groups():
    for group in ("Organiser admin", "Reviewer", "Viewer"):
        role_group(group)


@pytest.fixture
def zhejiang():
    return Organiser.objects.create(name="浙江省商务厅", short_name="浙江省商务厅")


def _run(*args):
    out = StringIO()
    call_command("add_team_member", *args, stdout=out)
    return out.getvalue()


def test_the_command_creates_a_staff_user_in_the_team_with_its_role_and_password(zhejiang):
    output = _run("zhejiang", "--organiser", "浙江省商务厅", "--role", "reviewer", "--password", "festival2020")

    user = get_user_model().objects.get(username="zhejiang")
    assert user.is_staff and not user.is_superuser and user.check_password("festival2020")
    assert list(user.team_memberships.values_list("organiser__name", "role")) == [("浙江省商务厅", "reviewer")]
    assert user.has_perm("promotions.review_promotion") and not user.has_perm("merchants.delete_merchant")
    assert "created staff user zhejiang" in output


def test_running_it_again_changes_the_role_and_adds_no_second_membership(zhejiang):
    _run("zhejiang", "--organiser", "浙江省商务厅", "--role", "reviewer")

    output = _run("zhejiang", "--organiser", "浙江省商务厅", "--role", "admin")

    assert list(TeamMembership.objects.values_list("user__username", "role")) == [("zhejiang", "admin")]
    assert "is now Organiser admin" in output


def test_an_unknown_organiser_or_role_is_refused_with_the_known_ones(zhejiang):
    with pytest.raises(CommandError, match="Known: 浙江省商务厅"):
        _run("someone", "--organiser", "四川省商务厅", "--role", "reviewer")
    with pytest.raises(CommandError):
        _run("someone", "--organiser", "浙江省商务厅", "--role", "boss")

    assert not get_user_model().objects.filter(username="someone").exists()


def test_a_merchants_account_cannot_join_a_team(zhejiang):
    member = MembershipFactory().user

    with pytest.raises(CommandError, match="works for a merchant"):
        _run(member.username, "--organiser", "浙江省商务厅", "--role", "viewer")

    assert not TeamMembership.objects.exists()
    member.refresh_from_db()
    assert not member.is_staff


def test_an_organiser_admin_adds_a_new_person_to_their_own_team_only(zhejiang):
    admin = TeamMembershipFactory(organiser=zhejiang, role=TeamRole.ADMIN).user
    sichuan = OrganiserFactory(name="四川省商务厅")
    client = client_for(admin)
    form = client.get(reverse("admin:festival_teammembership_add")).content.decode()

    added = client.post(
        reverse("admin:festival_teammembership_add"),
        {
            "username": "newbie",
            "email": "n@zj.example",
            "password": "a-long-pass-2020",
            "organiser": zhejiang.pk,
            "role": "viewer",
        },
    )
    refused = client.post(
        reverse("admin:festival_teammembership_add"),
        {"username": "intruder", "organiser": sichuan.pk, "role": "admin"},
    )

    assert "四川省商务厅" not in form
    assert added.status_code == 302
    newbie = get_user_model().objects.get(username="newbie")
    assert newbie.is_staff and newbie.check_password("a-long-pass-2020")
    assert newbie.team_memberships.get().role == "viewer"
    assert refused.status_code == 200 and "Select a valid choice" in refused.content.decode()
    assert not get_user_model().objects.filter(username="intruder").exists()


def test_the_admin_never_sets_an_existing_persons_password(zhejiang):
    admin = TeamMembershipFactory(organiser=zhejiang, role=TeamRole.ADMIN).user
    victim = UserFactory(username="victim", is_staff=True)

    response = client_for(admin).post(
        reverse("admin:festival_teammembership_add"),
        {"username": "victim", "password": "taken-over-2020", "organiser": zhejiang.pk, "role": "viewer"},
    )

    victim.refresh_from_db()
    assert response.status_code == 200 and "password stays theirs" in response.content.decode()
    assert victim.check_password("pass-word-123")
    assert not victim.team_memberships.exists()


def test_a_reviewer_sees_the_team_but_cannot_change_it(zhejiang):
    reviewer = TeamMembershipFactory(organiser=zhejiang, role=TeamRole.REVIEWER).user
    client = client_for(reviewer)

    listing = client.get(reverse("admin:festival_teammembership_changelist"))
    add = client.get(reverse("admin:festival_teammembership_add"))

    assert listing.status_code == 200 and reviewer.username in listing.content.decode()
    assert add.status_code == 403
