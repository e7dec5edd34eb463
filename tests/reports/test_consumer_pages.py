"""The consumer's side: the form (fixed contract), bad inputs, rate limits, CSRF, the status page and the screenshot."""

import io
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from PIL import Image

from reports.models import PriceReport

from .helpers import live_item

pytestmark = pytest.mark.django_db


def _url(item):
    return f"/promotions/{item.promotion_id}/report/"


def _data(item, /, **overrides):
    data = {
        "item": item.pk,
        "reason": "checkout_differs",
        "seen_price": "95.00",
        "seen_at": (timezone.localtime(timezone.now(), item.promotion.festival.tz) - timedelta(hours=1)).strftime(
            "%Y-%m-%dT%H:%M"
        ),
        "description": "Checkout said 95.",
        "email": "ann@example.com",
    }
    data.update(overrides)
    return data


def _png():
    buffer = io.BytesIO()
    Image.new("RGB", (20, 20), "red").save(buffer, format="PNG")
    buffer.seek(0)
    buffer.name = "shot.png"
    return buffer


def test_the_public_promotion_page_links_each_item_to_the_report_form(client):
    item = live_item()
    body = client.get(f"/promotions/{item.promotion_id}/").content.decode()
    assert f'href="/promotions/{item.promotion_id}/report/?item={item.pk}"' in body


def test_get_shows_the_form_with_the_items_of_the_promotion(client):
    item = live_item()
    response = client.get(_url(item) + f"?item={item.pk}")
    assert response.status_code == 200
    body = response.content.decode()
    assert item.product.name in body and 'name="seen_price"' in body and "csrfmiddlewaretoken" in body


def test_post_files_the_report_and_redirects_303_to_the_status_page(client):
    item = live_item()
    response = client.post(_url(item), {**_data(item), "screenshot": _png()})
    report = PriceReport.objects.get()
    assert response.status_code == 303
    assert response["Location"] == f"/reports/{report.code}/"
    assert report.screenshot and report.screenshot.name.endswith(".png") and "shot" not in report.screenshot.name
    status = client.get(response["Location"])
    body = status.content.decode()
    assert status.status_code == 200 and "Received" in body and item.product.name in body
    assert "ann@example.com" not in body  # the email is never shown, not even here
    shot = client.get(f"/reports/{report.code}/screenshot/")
    assert shot.status_code == 200 and shot["Content-Type"] == "image/png"


def test_the_screenshot_has_no_media_url(client, settings):
    item = live_item()
    client.post(_url(item), {**_data(item), "screenshot": _png()})
    report = PriceReport.objects.get()
    from pathlib import Path

    assert not str(Path(report.screenshot.path)).startswith(str(Path(settings.MEDIA_ROOT).resolve()))
    with pytest.raises(ValueError):
        report.screenshot.url  # noqa: B018


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("seen_price", "abc", "Enter the price as a number"),
        ("seen_price", "0", "greater than or equal to 0.01"),
        ("seen_at", "yesterday", "Enter a date and time"),
        ("seen_at", "2099-01-01T10:00", "cannot be in the future"),
        ("reason", "made_up", "Select a valid choice"),
        ("item", "999999", "Select a valid choice"),
        ("description", "", "This field is required"),
        ("description", "x" * 2001, "at most 2000 characters"),
        ("email", "not-an-email", "Enter a valid email address"),
    ],
)
def test_bad_input_gets_a_message_on_its_field_and_nothing_is_saved(client, field, value, message):
    item = live_item()
    response = client.post(_url(item), _data(item, **{field: value}))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert PriceReport.objects.count() == 0


def test_a_file_that_is_not_an_image_is_refused(client):
    item = live_item()
    fake = io.BytesIO(b"%PDF-1.4 not an image")
    fake.name = "shot.png"
    response = client.post(_url(item), {**_data(item), "screenshot": fake})
    assert response.status_code == 400
    assert "not a JPEG, PNG or WebP image" in response.content.decode()
    assert PriceReport.objects.count() == 0


def test_an_item_of_another_promotion_is_refused(client):
    item, other = live_item(), live_item()
    response = client.post(_url(item), _data(item, item=other.pk))
    assert response.status_code == 400 and PriceReport.objects.count() == 0


def test_non_public_promotions_cannot_be_reported(client):
    from tests.factories import PromotionItemFactory

    draft = PromotionItemFactory()
    assert client.get(_url(draft)).status_code == 404
    assert client.post(_url(draft), _data(draft)).status_code == 404
    assert PriceReport.objects.count() == 0


def test_csrf_is_required():
    item = live_item()
    client = Client(enforce_csrf_checks=True)
    response = client.post(_url(item), _data(item))
    assert response.status_code == 403 and PriceReport.objects.count() == 0


def test_per_ip_limit_answers_with_a_clear_page(client, settings):
    settings.REPORTS_PER_IP_PER_HOUR = 2
    item = live_item()
    for n in range(2):
        assert client.post(_url(item), _data(item, email=f"p{n}@example.com")).status_code == 303
    response = client.post(_url(item), _data(item, email="p3@example.com"))
    assert response.status_code == 429
    assert "Too many reports for now" in response.content.decode()
    assert PriceReport.objects.count() == 2
    other_ip = client.post(_url(item), _data(item, email="p4@example.com"), REMOTE_ADDR="198.51.100.7")
    assert other_ip.status_code == 303


def test_per_item_limit_counts_all_senders(client, settings):
    settings.REPORTS_PER_ITEM_PER_HOUR = 2
    item, other = live_item(), live_item()
    for n in range(2):
        client.post(_url(item), _data(item, email=f"p{n}@example.com"), REMOTE_ADDR=f"198.51.100.{n}")
    response = client.post(_url(item), _data(item, email="p9@example.com"), REMOTE_ADDR="198.51.100.99")
    assert response.status_code == 429
    assert client.post(_url(other), _data(other), REMOTE_ADDR="198.51.100.99").status_code == 303


def test_failed_posts_do_not_count_towards_the_limit(client, settings):
    settings.REPORTS_PER_IP_PER_HOUR = 1
    item = live_item()
    client.post(_url(item), _data(item, seen_price="abc"))
    assert client.post(_url(item), _data(item)).status_code == 303


def test_status_page_needs_the_full_code(client):
    item = live_item()
    client.post(_url(item), _data(item))
    code = PriceReport.objects.get().code
    assert client.get(f"/reports/{code[:-1]}/").status_code == 404
    assert client.get(f"/reports/{code[:10]}/").status_code == 404
    assert client.get(f"/reports/{code[:10]}/screenshot/").status_code == 404


def test_a_failing_mail_server_never_loses_a_report(client, monkeypatch):
    def broken(*args, **kwargs):
        raise OSError("mail server down")

    monkeypatch.setattr("festival.notifications.send_mail", broken)
    item = live_item()
    response = client.post(_url(item), _data(item))
    assert response.status_code == 303
    assert PriceReport.objects.count() == 1
