from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from promotions import services
from promotions.models import Promotion, PromotionStatus
from tests.factories import (
    FestivalFactory,
    ParticipationFactory,
    PricePointFactory,
    ProductFactory,
    PromotionFactory,
    PromotionItemFactory,
    ReviewerFactory,
)
from tests.portal import bomb_upload, fake_image_upload, huge_upload, image_upload, sign_in

pytestmark = pytest.mark.django_db
LOCAL = "%Y-%m-%dT%H:%M"


@pytest.fixture
def shop(client):
    """A signed-in merchant, approved in a festival, with two products priced ¥100 before it."""
    signed = sign_in(client)
    festival = FestivalFactory()
    ParticipationFactory(merchant=signed.merchant, festival=festival)
    products = [ProductFactory(merchant=signed.merchant, sku=f"TEA-{n}") for n in (1, 2)]
    for product in products:
        PricePointFactory(product=product, price=Decimal("100.00"), recorded_at=festival.starts_at - timedelta(days=3))
    signed.festival = festival
    signed.products = products
    return signed


def promotion_data(festival, items, *, kind="threshold", **overrides):
    start = festival.local(festival.starts_at).replace(second=0, microsecond=0) + timedelta(days=1)
    data = {
        "title": "Spend 200, save 30",
        "description": "",
        "kind": kind,
        "starts_at": start.strftime(LOCAL),
        "ends_at": (start + timedelta(days=3)).strftime(LOCAL),
        "threshold_amount": "200" if kind == "threshold" else "",
        "amount_off": "30" if kind == "threshold" else "",
        "percent_off": "20" if kind == "percent_off" else "",
        "items-TOTAL_FORMS": str(len(items)),
        "items-INITIAL_FORMS": "0",
        "items-MIN_NUM_FORMS": "0",
        "items-MAX_NUM_FORMS": "1000",
    }
    for index, (product_pk, price) in enumerate(items):
        data[f"items-{index}-product"] = str(product_pk)
        data[f"items-{index}-promo_price"] = str(price)
    data.update(overrides)
    return data


def _create_url(festival):
    return reverse("merchant:promotion_create", args=[festival.pk])


def test_the_form_shows_the_window_in_the_festival_zone_and_groups_kind_fields(shop):
    response = shop.client.get(_create_url(shop.festival))

    page = response.content.decode()
    festival = shop.festival
    assert response.status_code == 200
    first_minute = festival.local(festival.starts_at).replace(second=0, microsecond=0) + timedelta(minutes=1)
    assert f'min="{first_minute:%Y-%m-%dT%H:%M}"' in page
    assert 'data-kind-group="threshold coupon"' in page  # the spend threshold serves both
    assert 'data-kind-group="livestream"' in page


def test_create_a_threshold_promotion_with_two_items(shop):
    items = [(shop.products[0].pk, "80.00"), (shop.products[1].pk, "85.50")]

    response = shop.client.post(_create_url(shop.festival), promotion_data(shop.festival, items))

    promotion = Promotion.objects.get(merchant=shop.merchant)
    assert response.status_code == 302
    assert response["Location"] == reverse("merchant:promotion_detail", args=[promotion.pk])
    assert (promotion.status, promotion.kind, promotion.threshold_amount, promotion.amount_off) == (
        PromotionStatus.DRAFT,
        "threshold",
        Decimal("200"),
        Decimal("30"),
    )
    assert sorted(promotion.items.values_list("promo_price", flat=True)) == [Decimal("80.00"), Decimal("85.50")]


def test_dates_are_read_in_the_festivals_time_zone_not_the_servers(shop):
    shop.festival.time_zone = "Europe/London"
    shop.festival.save()
    data = promotion_data(shop.festival, [(shop.products[0].pk, "80")])

    shop.client.post(_create_url(shop.festival), data)

    promotion = Promotion.objects.get()
    expected = datetime.strptime(data["starts_at"], LOCAL).replace(tzinfo=ZoneInfo("Europe/London"))
    assert promotion.starts_at == expected


def test_a_field_the_kind_does_not_use_is_refused(shop):
    data = promotion_data(shop.festival, [(shop.products[0].pk, "80")], kind="percent_off", threshold_amount="200")

    response = shop.client.post(_create_url(shop.festival), data)

    assert response.status_code == 200
    assert "does not use this field" in " ".join(response.context["form"].errors["threshold_amount"])
    assert not Promotion.objects.exists()


def test_a_field_the_kind_needs_is_required(shop):
    data = promotion_data(shop.festival, [(shop.products[0].pk, "80")], threshold_amount="")

    response = shop.client.post(_create_url(shop.festival), data)

    assert "needs this field" in " ".join(response.context["form"].errors["threshold_amount"])
    assert "Constraint" not in response.content.decode()
    assert not Promotion.objects.exists()


def test_an_amount_off_above_the_threshold_is_refused(shop):
    data = promotion_data(shop.festival, [(shop.products[0].pk, "80")], amount_off="300")

    response = shop.client.post(_create_url(shop.festival), data)

    assert response.context["form"].errors["amount_off"]
    assert not Promotion.objects.exists()


def test_dates_outside_the_festival_window_are_refused_and_the_input_kept(shop):
    before = shop.festival.local(shop.festival.starts_at) - timedelta(days=2)
    data = promotion_data(shop.festival, [(shop.products[0].pk, "80")], starts_at=before.strftime(LOCAL))

    response = shop.client.post(_create_url(shop.festival), data)

    assert "inside the festival window" in " ".join(response.context["form"].errors["starts_at"])
    assert f'value="{before.strftime(LOCAL)}"' in response.content.decode()
    assert 'value="Spend 200, save 30"' in response.content.decode()
    assert not Promotion.objects.exists()


def test_an_end_before_the_start_is_refused(shop):
    data = promotion_data(shop.festival, [(shop.products[0].pk, "80")])
    data["ends_at"], data["starts_at"] = data["starts_at"], data["ends_at"]

    response = shop.client.post(_create_url(shop.festival), data)

    assert response.context["form"].errors["ends_at"]
    assert not Promotion.objects.exists()


@pytest.mark.parametrize("price", ["0", "0.00", "-1"])
def test_a_promotional_price_of_zero_is_refused(shop, price):
    response = shop.client.post(
        _create_url(shop.festival), promotion_data(shop.festival, [(shop.products[0].pk, price)])
    )

    assert "greater than zero" in response.content.decode()
    assert not Promotion.objects.exists()


def test_someone_elses_product_id_is_refused(shop):
    theirs = ProductFactory()

    response = shop.client.post(_create_url(shop.festival), promotion_data(shop.festival, [(theirs.pk, "80")]))

    assert "Choose one of your own products." in response.content.decode()
    assert not Promotion.objects.exists()


def test_the_same_product_twice_is_refused(shop):
    items = [(shop.products[0].pk, "80"), (shop.products[0].pk, "70")]

    response = shop.client.post(_create_url(shop.festival), promotion_data(shop.festival, items))

    assert "already listed" in response.content.decode()
    assert not Promotion.objects.exists()


def test_a_promotion_needs_at_least_one_item(shop):
    response = shop.client.post(_create_url(shop.festival), promotion_data(shop.festival, []))

    assert "Add at least one item" in response.content.decode()
    assert not Promotion.objects.exists()


def test_deleted_rows_of_the_formset_are_left_out(shop):
    data = promotion_data(shop.festival, [(shop.products[0].pk, "80"), (shop.products[1].pk, "70")])
    data["items-1-DELETE"] = "on"

    shop.client.post(_create_url(shop.festival), data)

    assert list(Promotion.objects.get().items.values_list("product__sku", flat=True)) == ["TEA-1"]


def test_a_banner_is_saved_and_its_thumbnail_enqueued_after_commit(shop, django_capture_on_commit_callbacks):
    data = promotion_data(shop.festival, [(shop.products[0].pk, "80")], banner=image_upload("banner.jpg", fmt="JPEG"))

    with django_capture_on_commit_callbacks() as callbacks:
        response = shop.client.post(_create_url(shop.festival), data)

    promotion = Promotion.objects.get()
    assert response.status_code == 302
    assert promotion.banner.name.startswith("promotion/") and promotion.banner.name.endswith(".jpg")
    assert len(callbacks) == 1


@pytest.mark.parametrize(
    "make_upload", [fake_image_upload, bomb_upload, huge_upload], ids=["fake-image", "bomb-image", "20-MB-file"]
)
def test_a_refused_banner_gets_a_form_error_and_nothing_is_saved(shop, make_upload):
    data = promotion_data(shop.festival, [(shop.products[0].pk, "80")], banner=make_upload())

    response = shop.client.post(_create_url(shop.festival), data)

    assert response.status_code == 200
    assert response.context["form"].errors["banner"]
    assert not Promotion.objects.exists()


def test_only_festivals_the_merchant_was_approved_in_may_be_filed_in(shop):
    other = FestivalFactory()
    ParticipationFactory(merchant=shop.merchant, festival=other, applied=True)

    response = shop.client.get(_create_url(other))

    assert response.status_code == 404


def test_new_promotion_goes_straight_to_the_only_festival(shop):
    response = shop.client.get(reverse("merchant:promotion_new"))

    assert response["Location"] == _create_url(shop.festival)


def test_edit_a_draft(shop):
    promotion = PromotionFactory(
        merchant=shop.merchant,
        festival=shop.festival,
        kind="threshold",
        percent_off=None,
        threshold_amount=200,
        amount_off=30,
    )
    PromotionItemFactory(promotion=promotion, product=shop.products[0])
    data = promotion_data(shop.festival, [(shop.products[1].pk, "60")], title="Renamed")

    response = shop.client.post(reverse("merchant:promotion_edit", args=[promotion.pk]), data)

    promotion.refresh_from_db()
    assert response.status_code == 302
    assert promotion.title == "Renamed"
    assert list(promotion.items.values_list("product__sku", "promo_price")) == [("TEA-2", Decimal("60.00"))]


def test_edit_form_shows_the_current_items_and_dates_in_the_festival_zone(shop):
    promotion = PromotionFactory(merchant=shop.merchant, festival=shop.festival)
    PromotionItemFactory(promotion=promotion, product=shop.products[0], promo_price=Decimal("77.00"))

    response = shop.client.get(reverse("merchant:promotion_edit", args=[promotion.pk]))

    page = response.content.decode()
    assert 'value="77.00"' in page
    assert f'value="{shop.festival.local(promotion.starts_at):%Y-%m-%dT%H:%M}"' in page


def test_a_submitted_promotion_cannot_be_edited(shop):
    promotion = PromotionFactory(merchant=shop.merchant, festival=shop.festival, submitted=True)

    response = shop.client.post(reverse("merchant:promotion_edit", args=[promotion.pk]), {}, follow=True)

    assert "can no longer be edited" in response.content.decode()


def test_preview_shows_the_check_of_each_item_without_storing_it(shop):
    promotion = PromotionFactory(merchant=shop.merchant, festival=shop.festival)
    good = PromotionItemFactory(promotion=promotion, product=shop.products[0], promo_price=Decimal("80.00"))
    PromotionItemFactory(promotion=promotion, product=shop.products[1], promo_price=Decimal("99.00"))

    response = shop.client.get(reverse("merchant:promotion_preview", args=[promotion.pk]))

    page = response.content.decode()
    checks = {check.item.product.sku: check for check in response.context["checks"]}
    assert (checks["TEA-1"].status, checks["TEA-2"].status) == ("pass", "fail")
    assert "¥100.00" in page and "20.00%" in page
    assert "only 1.00% below the reference price" in page
    assert response.context["can_submit"] is False
    good.refresh_from_db()
    assert good.checked_at is None


def test_submitting_with_a_failing_item_is_refused_with_the_reason_per_item(shop):
    promotion = PromotionFactory(merchant=shop.merchant, festival=shop.festival)
    PromotionItemFactory(promotion=promotion, product=shop.products[0], promo_price=Decimal("80.00"))
    PromotionItemFactory(promotion=promotion, product=shop.products[1], promo_price=Decimal("99.00"))

    response = shop.client.post(reverse("merchant:promotion_submit", args=[promotion.pk]))

    assert response.status_code == 400
    assert list(response.context["refusals"]) == ["TEA-2"]
    assert "Submission refused" in response.content.decode()
    promotion.refresh_from_db()
    assert promotion.status == PromotionStatus.DRAFT


def test_submit_then_submit_again_answers_calmly(shop):
    promotion = PromotionFactory(merchant=shop.merchant, festival=shop.festival)
    PromotionItemFactory(promotion=promotion, product=shop.products[0], promo_price=Decimal("80.00"))
    url = reverse("merchant:promotion_submit", args=[promotion.pk])

    first = shop.client.post(url, follow=True)
    second = shop.client.post(url, follow=True)

    promotion.refresh_from_db()
    assert promotion.status == PromotionStatus.SUBMITTED
    assert "Submitted for review" in first.content.decode()
    assert "already submitted" in second.content.decode()
    assert promotion.events.filter(to_status="submitted").count() == 1


def test_withdraw_then_withdraw_again_answers_calmly(shop):
    promotion = PromotionFactory(merchant=shop.merchant, festival=shop.festival, submitted=True)
    url = reverse("merchant:promotion_withdraw", args=[promotion.pk])

    shop.client.post(url, {"note": "Out of stock"})
    again = shop.client.post(url, follow=True)

    promotion.refresh_from_db()
    assert promotion.status == PromotionStatus.WITHDRAWN
    assert promotion.events.get(to_status="withdrawn").note == "Out of stock"
    assert "already withdrawn" in again.content.decode()


def test_an_ended_promotion_cannot_be_withdrawn_and_says_why(shop):
    promotion = PromotionFactory(merchant=shop.merchant, festival=shop.festival, ended=True)

    response = shop.client.post(reverse("merchant:promotion_withdraw", args=[promotion.pk]), follow=True)

    assert "Cannot change promotion" in response.content.decode()
    promotion.refresh_from_db()
    assert promotion.status == PromotionStatus.ENDED


def test_changes_requested_shows_the_note_then_edit_and_resubmit(shop):
    promotion = PromotionFactory(merchant=shop.merchant, festival=shop.festival)
    PromotionItemFactory(promotion=promotion, product=shop.products[0], promo_price=Decimal("80.00"))
    promotion = services.submit_promotion(promotion, by=shop.user)
    services.request_changes(promotion, by=ReviewerFactory(), note="Please add a banner and a description.")

    detail = shop.client.get(reverse("merchant:promotion_detail", args=[promotion.pk]))
    shop.client.post(
        reverse("merchant:promotion_edit", args=[promotion.pk]),
        promotion_data(shop.festival, [(shop.products[0].pk, "80")], kind="percent_off", description="Now described"),
    )
    resubmitted = shop.client.post(reverse("merchant:promotion_submit", args=[promotion.pk]), follow=True)

    assert "Please add a banner and a description." in detail.content.decode()
    assert "Check prices and resubmit" in detail.content.decode()
    promotion.refresh_from_db()
    assert promotion.status == PromotionStatus.SUBMITTED
    assert promotion.description == "Now described"
    history = [event.to_status for event in resubmitted.context["events"]]
    assert history == ["submitted", "changes_requested", "submitted"]


def test_detail_shows_the_organisers_decision_and_history(shop):
    promotion = PromotionFactory(merchant=shop.merchant, festival=shop.festival)
    PromotionItemFactory(promotion=promotion, product=shop.products[0], promo_price=Decimal("80.00"))
    promotion = services.submit_promotion(promotion, by=shop.user)
    services.approve_promotion(promotion, by=ReviewerFactory(username="reviewer-li"))

    response = shop.client.get(reverse("merchant:promotion_detail", args=[promotion.pk]))

    page = response.content.decode()
    assert "Approved" in page and "reviewer-li" in page
    assert response.context["can_withdraw"] is True


def test_delete_a_draft(shop):
    promotion = PromotionFactory(merchant=shop.merchant, festival=shop.festival)

    response = shop.client.post(reverse("merchant:promotion_delete", args=[promotion.pk]))

    assert response.status_code == 302
    assert not Promotion.objects.exists()


def test_a_submitted_promotion_cannot_be_deleted(shop):
    promotion = PromotionFactory(merchant=shop.merchant, festival=shop.festival, submitted=True)

    response = shop.client.post(reverse("merchant:promotion_delete", args=[promotion.pk]), follow=True)

    assert "can be deleted" in response.content.decode()
    assert Promotion.objects.exists()


def test_the_form_warns_when_the_submission_deadline_has_passed(shop):
    shop.festival.submission_deadline = shop.festival.registration_opens_at + timedelta(days=1)
    shop.festival.save()

    response = shop.client.get(_create_url(shop.festival))

    assert "can no longer be submitted" in response.content.decode()


def test_a_festival_that_has_ended_takes_no_new_promotions(shop):
    now = timezone.now()
    past = FestivalFactory(
        registration_opens_at=now - timedelta(days=60),
        registration_closes_at=now - timedelta(days=50),
        submission_deadline=now - timedelta(days=49),
        starts_at=now - timedelta(days=48),
        ends_at=now - timedelta(days=40),
    )
    ParticipationFactory(merchant=shop.merchant, festival=past)

    response = shop.client.get(_create_url(past))
    chooser = shop.client.get(reverse("merchant:promotion_new"))

    assert response.status_code == 404
    assert chooser["Location"] == _create_url(shop.festival)  # the only open one


def test_a_coupon_promotion_with_its_optional_threshold(shop):
    data = promotion_data(
        shop.festival,
        [(shop.products[0].pk, "80")],
        kind="coupon",
        coupon_value="20",
        coupon_quantity="500",
        threshold_amount="199",
    )

    response = shop.client.post(_create_url(shop.festival), data)

    promotion = Promotion.objects.get()
    assert response.status_code == 302
    assert (promotion.coupon_value, promotion.coupon_quantity, promotion.threshold_amount) == (
        Decimal("20"),
        500,
        Decimal("199"),
    )


def test_a_livestream_must_start_while_the_promotion_runs_in_festival_time(shop):
    data = promotion_data(
        shop.festival,
        [(shop.products[0].pk, "80")],
        kind="livestream",
        stream_host="Li Jiaqi",
        stream_url="live.example.com/1",
    )
    start = datetime.strptime(data["starts_at"], LOCAL)
    late = dict(data, stream_starts_at=(start + timedelta(days=5)).strftime(LOCAL))
    good = dict(data, stream_starts_at=(start + timedelta(hours=20)).strftime(LOCAL))

    refused = shop.client.post(_create_url(shop.festival), late)
    accepted = shop.client.post(_create_url(shop.festival), good)

    assert "while the promotion runs" in " ".join(refused.context["form"].errors["stream_starts_at"])
    assert accepted.status_code == 302
    promotion = Promotion.objects.get()
    assert promotion.stream_url == "https://live.example.com/1"
    assert promotion.stream_starts_at == (start + timedelta(hours=20)).replace(tzinfo=shop.festival.tz)


def test_choosing_between_two_open_festivals(shop):
    second = FestivalFactory(name="Second festival")
    ParticipationFactory(merchant=shop.merchant, festival=second)

    chooser = shop.client.get(reverse("merchant:promotion_new"))
    chosen = shop.client.get(reverse("merchant:promotion_new"), {"festival": second.pk})
    refused = shop.client.get(reverse("merchant:promotion_new"), {"festival": FestivalFactory().pk})

    assert chooser.status_code == 200 and "Second festival" in chooser.content.decode()
    assert chosen["Location"] == _create_url(second)
    assert refused.status_code == 200 and refused.context["form"].errors["festival"]
