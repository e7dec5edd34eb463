"""A merchant sees and changes only its own data: another merchant's ids answer 404."""

import pytest
from django.urls import reverse

from merchants.models import PricePoint, Product
from tests.factories import CertificateFactory, ParticipationFactory, PricePointFactory, ProductFactory
from tests.portal import sign_in

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("name", ["merchant:product_detail", "merchant:product_edit"])
def test_another_merchants_product_pages_are_404(client, name):
    signed = sign_in(client)
    theirs = ProductFactory()

    response = signed.client.get(reverse(name, args=[theirs.pk]))

    assert response.status_code == 404


def test_editing_another_merchants_product_is_404_and_changes_nothing(client):
    signed = sign_in(client)
    theirs = ProductFactory(name="Theirs")

    response = signed.client.post(reverse("merchant:product_edit", args=[theirs.pk]), {"sku": "X", "name": "Mine now"})

    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.name == "Theirs"


def test_recording_a_price_for_another_merchants_product_is_404(client):
    signed = sign_in(client)
    theirs = ProductFactory()

    response = signed.client.post(
        reverse("merchant:product_detail", args=[theirs.pk]), {"price": "1.00", "recorded_at": "2026-04-20T10:00"}
    )

    assert response.status_code == 404
    assert not PricePoint.objects.exists()


def test_lists_show_only_own_products_certificates_and_participations(client):
    signed = sign_in(client)
    ProductFactory(merchant=signed.merchant, sku="OWN-SKU")
    PricePointFactory(product=ProductFactory(sku="OTHER-SKU"))
    CertificateFactory(merchant=signed.merchant, number="GF000000000001")
    CertificateFactory(number="GF000000000002")
    other = ParticipationFactory()

    products = signed.client.get(reverse("merchant:products")).content.decode()
    certificates = signed.client.get(reverse("merchant:certificates")).content.decode()
    home = signed.client.get(reverse("merchant:home")).content.decode()

    assert "OWN-SKU" in products and "OTHER-SKU" not in products
    assert "GF000000000001" in certificates and "GF000000000002" not in certificates
    assert other.merchant.name not in home


def test_searching_does_not_reach_other_merchants(client):
    signed = sign_in(client)
    ProductFactory(sku="OTHER-SKU")

    response = signed.client.get(reverse("merchant:products"), {"q": "OTHER"})

    assert list(response.context["products"]) == []


def test_the_product_form_cannot_move_a_product_to_another_merchant(client):
    signed = sign_in(client)
    mine = ProductFactory(merchant=signed.merchant)
    other = ProductFactory()

    signed.client.post(
        reverse("merchant:product_edit", args=[mine.pk]), {"sku": mine.sku, "name": "n", "merchant": other.merchant.pk}
    )

    assert Product.objects.get(pk=mine.pk).merchant == signed.merchant


def test_the_profile_form_edits_only_the_own_merchant(client):
    signed = sign_in(client)
    other = ProductFactory().merchant

    signed.client.post(reverse("merchant:profile"), {"name": "Changed", "pk": other.pk, "id": other.pk})

    other.refresh_from_db()
    signed.merchant.refresh_from_db()
    assert other.name != "Changed" and signed.merchant.name == "Changed"
