"""Another merchant's promotions answer 404 on every portal view, and change nothing."""

import pytest
from django.urls import reverse

from promotions.models import Promotion, PromotionStatus
from tests.factories import FestivalFactory, ParticipationFactory, PromotionFactory, PromotionItemFactory
from tests.portal import sign_in

pytestmark = pytest.mark.django_db

GET_VIEWS = ["merchant:promotion_detail", "merchant:promotion_edit", "merchant:promotion_preview"]
POST_VIEWS = [
    "merchant:promotion_edit",
    "merchant:promotion_submit",
    "merchant:promotion_withdraw",
    "merchant:promotion_delete",
]


@pytest.fixture
def theirs():
    item = PromotionItemFactory(promotion__title="Their secret sale")
    return item.promotion


@pytest.mark.parametrize("name", GET_VIEWS)
def test_viewing_another_merchants_promotion_is_404(client, theirs, name):
    signed = sign_in(client)

    response = signed.client.get(reverse(name, args=[theirs.pk]))

    assert response.status_code == 404


@pytest.mark.parametrize("name", POST_VIEWS)
def test_acting_on_another_merchants_promotion_is_404_and_changes_nothing(client, theirs, name):
    signed = sign_in(client)

    response = signed.client.post(reverse(name, args=[theirs.pk]), {"title": "Hijacked"})

    assert response.status_code == 404
    theirs.refresh_from_db()
    assert (theirs.status, theirs.title) == (PromotionStatus.DRAFT, "Their secret sale")


def test_filing_in_a_festival_the_merchant_is_not_approved_in_is_404(client):
    signed = sign_in(client)
    festival = ParticipationFactory().festival  # someone else's approved participation

    assert signed.client.get(reverse("merchant:promotion_create", args=[festival.pk])).status_code == 404
    assert signed.client.post(reverse("merchant:promotion_create", args=[festival.pk]), {}).status_code == 404
    assert not Promotion.objects.exists()


def test_home_never_lists_another_merchants_promotions(client, theirs):
    signed = sign_in(client)
    PromotionFactory(merchant=signed.merchant, festival=FestivalFactory(), title="My own sale")

    page = signed.client.get(reverse("merchant:home")).content.decode()

    assert "My own sale" in page and "Their secret sale" not in page


def test_the_item_product_choices_are_only_own_products(client, theirs):
    signed = sign_in(client)
    festival = FestivalFactory()
    ParticipationFactory(merchant=signed.merchant, festival=festival)

    response = signed.client.get(reverse("merchant:promotion_create", args=[festival.pk]))

    choices = response.context["formset"].forms[0].fields["product"].queryset
    assert not choices.filter(merchant=theirs.merchant).exists()
