"""USCC overrides and certificate-gated categories, through the services."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.utils import timezone

from core.images import sanitise_image
from core.workflow import DomainError
from merchants import services
from merchants.models import Merchant, MerchantKind, Participation, ParticipationStatus
from merchants.uscc import make_uscc
from tests.factories import (
    CategoryFactory,
    CertificateFactory,
    FestivalFactory,
    MerchantFactory,
    ParticipationFactory,
    ReviewerFactory,
    SuperuserFactory,
    UserFactory,
)
from tests.portal import image_upload

pytestmark = pytest.mark.django_db

VALID = make_uscc("91110108MA01ABCDE")
FAILING_CHECK = VALID[:17] + ("0" if VALID[17] != "0" else "1")  # right format, wrong check character


def organiser_with_override():
    user = UserFactory(is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="override_uscc_check"))
    return type(user).objects.get(pk=user.pk)


def new_merchant(uscc, reason=""):
    return Merchant(name="Pilot Co.", uscc=uscc, kind=MerchantKind.BRAND_ENTERPRISE, uscc_override_reason=reason)


# USCC and its override ------------------------------------------------------------------


def test_save_merchant_normalises_the_uscc():
    merchant = services.save_merchant(new_merchant(f"  {VALID.lower()} "), by=UserFactory())

    merchant.refresh_from_db()
    assert merchant.uscc == VALID
    assert not merchant.uscc_overridden


def test_failing_check_is_refused_without_a_reason_even_for_an_organiser():
    with pytest.raises(ValidationError) as excinfo:
        services.save_merchant(new_merchant(FAILING_CHECK), by=SuperuserFactory())

    assert "uscc" in excinfo.value.message_dict
    assert not Merchant.objects.exists()


@pytest.mark.parametrize("user_factory", [organiser_with_override, SuperuserFactory], ids=["permission", "superuser"])
def test_organiser_may_accept_a_failing_check_with_a_reason_recorded(user_factory):
    organiser = user_factory()
    before = timezone.now()

    merchant = services.save_merchant(new_merchant(FAILING_CHECK, "1999 pilot-region code, verified"), by=organiser)

    merchant.refresh_from_db()
    assert merchant.uscc == FAILING_CHECK
    assert merchant.uscc_overridden
    assert merchant.uscc_override_by == organiser
    assert before <= merchant.uscc_override_at <= timezone.now()


@pytest.mark.parametrize(
    "user_factory",
    [UserFactory, ReviewerFactory, lambda: UserFactory(is_staff=True), lambda: None],
    ids=["merchant user", "reviewer", "staff", "nobody"],
)
def test_nobody_else_may_override(user_factory):
    with pytest.raises(PermissionDenied):
        services.save_merchant(new_merchant(FAILING_CHECK, "trust me"), by=user_factory())

    assert not Merchant.objects.exists()


@pytest.mark.parametrize(
    "code",
    [
        VALID[:17],  # too short
        VALID + "1",  # too long
        "I" + VALID[1:],  # forbidden letter
        VALID[:3] + "A" + VALID[4:],  # non-digit region
    ],
    ids=["short", "long", "letter I", "region"],
)
def test_format_errors_can_never_be_overridden(code):
    with pytest.raises(ValidationError) as excinfo:
        services.save_merchant(new_merchant(code, "an organiser insists"), by=SuperuserFactory())

    assert "uscc" in excinfo.value.message_dict
    assert not Merchant.objects.exists()


def test_override_is_kept_when_the_merchant_is_edited_by_someone_else():
    organiser = SuperuserFactory()
    merchant = services.save_merchant(new_merchant(FAILING_CHECK, "pilot code"), by=organiser)
    stamped_at = merchant.uscc_override_at

    merchant.website = "https://pilot.example.cn/"
    services.save_merchant(merchant, by=organiser_with_override())

    merchant.refresh_from_db()
    assert (merchant.uscc_override_by, merchant.uscc_override_at) == (organiser, stamped_at)


def test_a_reason_on_a_valid_code_is_dropped_not_recorded():
    merchant = services.save_merchant(new_merchant(VALID, "not needed"), by=SuperuserFactory())

    merchant.refresh_from_db()
    assert (merchant.uscc_override_reason, merchant.uscc_override_by, merchant.uscc_override_at) == ("", None, None)


def test_duplicate_uscc_is_a_validation_error_not_a_crash():
    services.save_merchant(new_merchant(VALID), by=UserFactory())

    with pytest.raises(ValidationError) as excinfo:
        services.save_merchant(new_merchant(VALID.lower()), by=UserFactory())

    assert "uscc" in excinfo.value.message_dict
    assert Merchant.objects.count() == 1


# Categories that need a certificate -------------------------------------------------------


@pytest.fixture
def festival():
    return FestivalFactory()


@pytest.fixture
def green_food():
    return CategoryFactory(slug="green-food", required_certificate_kind="green_food")


def window_days(festival):
    return festival.local(festival.starts_at).date(), festival.local(festival.ends_at).date()


def test_category_needing_a_certificate_is_refused_without_one(festival, green_food):
    merchant = MerchantFactory()

    with pytest.raises(DomainError) as excinfo:
        services.apply_to_festival(merchant, festival, categories=[green_food])

    assert excinfo.value.code == "certificate_required"
    assert list(excinfo.value.details) == [green_food.pk]
    assert not Participation.objects.exists()


def test_category_without_requirement_needs_no_certificate(festival):
    participation = services.apply_to_festival(MerchantFactory(), festival, categories=[CategoryFactory()])

    assert participation.status == ParticipationStatus.APPLIED
    assert participation.events.get().to_status == ParticipationStatus.APPLIED


@pytest.mark.parametrize(
    "certificate",
    [
        {"status": "pending"},
        {"status": "rejected"},
        {"status": "verified", "kind": "organic", "number": "12345678901234567"},
        {"status": "verified", "valid_until": "day before last"},
        {"status": "verified", "valid_from": "day after first"},
        {"status": "verified", "valid_until": "expired"},
    ],
    ids=["pending", "rejected", "other kind", "expires inside", "starts inside", "expired"],
)
def test_certificate_that_does_not_cover_the_window_does_not_count(festival, green_food, certificate):
    first, last = window_days(festival)
    dates = {
        "day before last": last - timedelta(days=1),
        "day after first": first + timedelta(days=1),
        "expired": first - timedelta(days=30),
    }
    fields = {"valid_from": first - timedelta(days=365), "valid_until": last + timedelta(days=365)}
    fields.update({k: dates.get(v, v) for k, v in certificate.items()})
    merchant = MerchantFactory()
    CertificateFactory(merchant=merchant, **fields)

    with pytest.raises(DomainError) as excinfo:
        services.apply_to_festival(merchant, festival, categories=[green_food])

    assert excinfo.value.code == "certificate_required"


def test_verified_certificate_valid_exactly_across_the_local_window_counts(festival, green_food):
    # valid_from is the first festival day in the festival's zone, which is the day before in UTC.
    first, last = window_days(festival)
    merchant = MerchantFactory()
    CertificateFactory(merchant=merchant, verified=True, valid_from=first, valid_until=last)

    participation = services.apply_to_festival(merchant, festival, categories=[green_food])
    participation = services.approve_participation(participation, by=ReviewerFactory())

    assert participation.status == ParticipationStatus.APPROVED


def test_approval_rechecks_the_certificate(festival, green_food):
    merchant = MerchantFactory()
    certificate = CertificateFactory(merchant=merchant, verified=True)
    participation = services.apply_to_festival(merchant, festival, categories=[green_food])
    services.reject_certificate(certificate, by=ReviewerFactory(), reason="Revoked by its issuer")

    with pytest.raises(DomainError) as excinfo:
        services.approve_participation(participation, by=ReviewerFactory())

    assert excinfo.value.code == "certificate_required"
    participation.refresh_from_db()
    assert participation.status == ParticipationStatus.APPLIED


def test_registration_must_be_open(festival):
    with pytest.raises(DomainError) as excinfo:
        services.apply_to_festival(
            MerchantFactory(),
            festival,
            categories=[CategoryFactory()],
            now=festival.registration_closes_at + timedelta(1),
        )

    assert excinfo.value.code == "closed"


def test_applying_needs_a_category(festival):
    with pytest.raises(DomainError) as excinfo:
        services.apply_to_festival(MerchantFactory(), festival, categories=[])

    assert excinfo.value.code == "no_categories"


def test_applying_twice_is_refused(festival):
    participation = ParticipationFactory(festival=festival, applied=True)

    with pytest.raises(DomainError) as excinfo:
        services.apply_to_festival(participation.merchant, festival, categories=[CategoryFactory()])

    assert excinfo.value.code == "duplicate"
    assert Participation.objects.count() == 1


def test_save_merchant_makes_a_thumbnail_of_a_new_logo_after_commit_and_not_of_an_unchanged_one(
    django_capture_on_commit_callbacks,
):
    merchant = MerchantFactory()
    merchant.logo = ContentFile(sanitise_image(image_upload()).read(), name="logo.png")
    with django_capture_on_commit_callbacks(execute=True):
        services.save_merchant(merchant, by=None)
    merchant.refresh_from_db()
    first_thumbnail = merchant.logo_thumbnail.name

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.save_merchant(merchant, by=None)

    assert first_thumbnail.startswith("thumbnails/")
    assert callbacks == []  # the logo did not change: nothing to redo
