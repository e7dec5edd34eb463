from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from festival.models import CertificateKind
from merchants.models import Participation, ParticipationStatus, Product
from tests.factories import (
    CategoryFactory,
    CertificateFactory,
    FestivalFactory,
    MembershipFactory,
    ParticipationFactory,
    ProductFactory,
    PromotionFactory,
)
from tests.portal import sign_in

pytestmark = pytest.mark.django_db


def test_home_lists_festivals_and_promotions_grouped_with_next_steps(client):
    signed = sign_in(client)
    festival = FestivalFactory(name="Spring Festival")
    PromotionFactory(merchant=signed.merchant, festival=festival, title="Draft one")
    PromotionFactory(merchant=signed.merchant, festival=festival, title="Fix me", changes_requested=True)
    PromotionFactory(title="Not mine", festival=festival)

    response = signed.client.get(reverse("merchant:home"))

    page = response.content.decode()
    assert response.status_code == 200
    assert "Spring Festival" in page
    groups = {group["status"]: group for group in response.context["promotion_groups"]}
    assert [p.title for p in groups["draft"]["promotions"]] == ["Draft one"]
    assert "read the reviewer" in str(groups["changes_requested"]["next_step"])
    assert "Not mine" not in page
    # what needs the merchant comes first
    assert response.context["promotion_groups"][0]["status"] == "changes_requested"


def test_home_offers_festivals_with_open_registration(client):
    signed = sign_in(client)
    FestivalFactory(name="Open Festival")

    response = signed.client.get(reverse("merchant:home"))

    assert "Open Festival" in response.content.decode()
    assert "Apply to take part" in response.content.decode()


def test_apply_with_categories_creates_an_application(client):
    signed = sign_in(client)
    festival = FestivalFactory()
    brands = CategoryFactory(name="Brands")

    response = signed.client.post(reverse("merchant:apply", args=[festival.pk]), {"categories": [brands.pk]})

    assert response.status_code == 302
    participation = Participation.objects.get(merchant=signed.merchant, festival=festival)
    assert participation.status == ParticipationStatus.APPLIED
    assert list(participation.categories.all()) == [brands]


def test_apply_offers_a_certificate_category_disabled_with_the_reason(client):
    signed = sign_in(client)
    festival = FestivalFactory()
    green = CategoryFactory(name="Green food", required_certificate_kind=CertificateKind.GREEN_FOOD)

    response = signed.client.get(reverse("merchant:apply", args=[festival.pk]))

    page = response.content.decode()
    row = next(row for row in response.context["form"].category_rows if row["category"] == green)
    assert row["refusal"] and "verified" in row["refusal"]
    assert (
        f'id="category-{green.pk}"\n              disabled' in page
        or "disabled" in page.split(f'id="category-{green.pk}"')[1][:80]
    )


def test_apply_refuses_a_certificate_category_without_a_verified_certificate(client):
    signed = sign_in(client)
    festival = FestivalFactory()
    green = CategoryFactory(required_certificate_kind=CertificateKind.GREEN_FOOD)
    CertificateFactory(merchant=signed.merchant, kind=CertificateKind.GREEN_FOOD)  # pending, not verified

    response = signed.client.post(reverse("merchant:apply", args=[festival.pk]), {"categories": [green.pk]})

    assert response.status_code == 200
    assert response.context["form"].errors["categories"]
    assert not Participation.objects.filter(merchant=signed.merchant).exists()


def test_apply_offers_a_certificate_category_with_a_verified_valid_certificate(client):
    signed = sign_in(client)
    festival = FestivalFactory()
    green = CategoryFactory(required_certificate_kind=CertificateKind.GREEN_FOOD)
    CertificateFactory(merchant=signed.merchant, kind=CertificateKind.GREEN_FOOD, verified=True)

    response = signed.client.post(reverse("merchant:apply", args=[festival.pk]), {"categories": [green.pk]})

    assert response.status_code == 302
    assert Participation.objects.get(merchant=signed.merchant).categories.get() == green


def test_apply_without_categories_keeps_the_form_and_says_why(client):
    signed = sign_in(client)
    festival = FestivalFactory()

    response = signed.client.post(reverse("merchant:apply", args=[festival.pk]), {})

    assert response.status_code == 200
    assert "Choose at least one category." in response.content.decode()


def test_apply_twice_answers_calmly(client):
    signed = sign_in(client)
    participation = ParticipationFactory(merchant=signed.merchant, applied=True)

    response = signed.client.post(
        reverse("merchant:apply", args=[participation.festival.pk]), {"categories": [CategoryFactory().pk]}, follow=True
    )

    assert "already applied" in response.content.decode()
    assert Participation.objects.filter(merchant=signed.merchant).count() == 1


def test_apply_when_registration_is_closed_says_so(client):
    signed = sign_in(client)
    now = timezone.now()
    festival = FestivalFactory(
        registration_opens_at=now - timedelta(days=30),
        registration_closes_at=now - timedelta(days=20),
        submission_deadline=now - timedelta(days=19),
        starts_at=now - timedelta(days=18),
    )

    response = signed.client.post(reverse("merchant:apply", args=[festival.pk]), {"categories": [CategoryFactory().pk]})

    assert response.status_code == 200
    assert "not open" in response.content.decode()
    assert not Participation.objects.exists()


def test_profile_saves_contact_details(client):
    signed = sign_in(client)

    response = signed.client.post(
        reverse("merchant:profile"),
        {"name": "New Name", "legal_name": "New Name Ltd", "website": "shop.example.com", "contact_email": "a@b.cn"},
    )

    assert response.status_code == 302
    signed.merchant.refresh_from_db()
    assert (signed.merchant.name, signed.merchant.website) == ("New Name", "https://shop.example.com")


def test_profile_with_a_bad_email_keeps_the_input(client):
    signed = sign_in(client)

    response = signed.client.post(reverse("merchant:profile"), {"name": "Kept Name", "contact_email": "not-an-email"})

    assert response.status_code == 200
    assert response.context["form"].errors["contact_email"]
    assert 'value="Kept Name"' in response.content.decode()
    signed.merchant.refresh_from_db()
    assert signed.merchant.name != "Kept Name"


def test_products_list_shows_only_own_products_with_latest_price(client):
    signed = sign_in(client)
    ProductFactory(merchant=signed.merchant, sku="MINE-1")
    ProductFactory(sku="THEIRS-1")

    response = signed.client.get(reverse("merchant:products"))

    assert "MINE-1" in response.content.decode()
    assert "THEIRS-1" not in response.content.decode()


def test_add_a_product(client):
    signed = sign_in(client)

    response = signed.client.post(
        reverse("merchant:product_add"), {"sku": "TEA-01", "name": "Longjing tea", "unit": "盒"}
    )

    product = Product.objects.get(merchant=signed.merchant, sku="TEA-01")
    assert response.status_code == 302 and response["Location"] == reverse("merchant:product_detail", args=[product.pk])


def test_add_a_product_with_a_taken_sku_is_refused_and_keeps_the_input(client):
    signed = sign_in(client)
    ProductFactory(merchant=signed.merchant, sku="TEA-01")

    response = signed.client.post(reverse("merchant:product_add"), {"sku": "TEA-01", "name": "Second tea"})

    assert response.status_code == 200
    assert response.context["form"].errors["sku"]
    assert 'value="Second tea"' in response.content.decode()
    assert Product.objects.filter(merchant=signed.merchant).count() == 1


def test_the_same_sku_as_another_merchant_is_fine(client):
    signed = sign_in(client)
    ProductFactory(sku="TEA-01")

    response = signed.client.post(reverse("merchant:product_add"), {"sku": "TEA-01", "name": "My tea"})

    assert response.status_code == 302


def test_edit_a_product(client):
    signed = sign_in(client)
    product = ProductFactory(merchant=signed.merchant, sku="TEA-01")

    response = signed.client.post(
        reverse("merchant:product_edit", args=[product.pk]), {"sku": "TEA-01", "name": "Renamed"}
    )

    assert response.status_code == 302
    product.refresh_from_db()
    assert product.name == "Renamed"


def test_owners_see_the_api_keys_link_and_staff_do_not(client):
    owner = sign_in(client)
    owner_page = owner.client.get(reverse("merchant:home")).content.decode()
    staff = sign_in(client, MembershipFactory(role="staff"))

    staff_page = staff.client.get(reverse("merchant:home")).content.decode()

    assert reverse("merchant_keys:list") in owner_page
    assert reverse("merchant_keys:list") not in staff_page
