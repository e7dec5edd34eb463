"""Uploads in headless Chromium: the progress script sends the form with
XMLHttpRequest and then shows the server's answer (success or form error)."""

import pytest

from merchants.models import Certificate
from tests.factories import MembershipFactory, UserFactory
from tests.portal import fake_image_upload, image_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def signed_in_page(browser_page, live_server):
    MembershipFactory(user=UserFactory(username="tea-shop"))
    page = browser_page
    page.goto(live_server.url + "/merchant/login/")
    page.get_by_label("Username").fill("tea-shop")
    page.get_by_label("Password").fill("pass-word-123")
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Certificates").click()
    return page


def _fill_certificate(page):
    page.get_by_label("Kind").select_option("green_food")
    page.get_by_label("Number").fill("GF123456789012")
    page.get_by_label("Issuer").fill("China Green Food Development Center")
    page.get_by_label("Valid from").fill("2026-01-01")
    page.get_by_label("Valid until").fill("2027-12-31")


def test_a_certificate_scan_uploads_with_progress_and_shows_the_result(signed_in_page):
    page = signed_in_page
    _fill_certificate(page)
    page.get_by_label("Scanned document").set_input_files(
        files=[{"name": "scan.png", "mimeType": "image/png", "buffer": image_bytes("PNG", size=(600, 400))}]
    )

    with page.expect_request(lambda request: request.resource_type == "xhr" and request.method == "POST"):
        page.get_by_role("button", name="Upload the certificate").click()
    page.get_by_text("The certificate was uploaded").wait_for()

    assert page.url.endswith("/merchant/certificates/")
    assert "GF123456789012" in page.locator("table").inner_text()
    assert Certificate.objects.count() == 1


def test_a_fake_image_shows_the_form_error_and_keeps_the_input(signed_in_page):
    page = signed_in_page
    _fill_certificate(page)
    fake = fake_image_upload()
    page.get_by_label("Scanned document").set_input_files(
        files=[{"name": "scan.png", "mimeType": "image/png", "buffer": fake.read()}]
    )

    page.get_by_role("button", name="Upload the certificate").click()
    page.get_by_text("not a JPEG, PNG or WebP image").wait_for()

    assert page.get_by_label("Number").input_value() == "GF123456789012"
    assert not Certificate.objects.exists()


def test_the_certificate_scan_is_kept_after_an_error(signed_in_page, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    page = signed_in_page
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    _fill_certificate(page)
    page.get_by_label("Valid until").fill("2025-12-31")  # before "valid from": an error
    page.get_by_label("Scanned document").set_input_files(
        files=[{"name": "scan.png", "mimeType": "image/png", "buffer": image_bytes("PNG", size=(600, 400))}]
    )
    page.get_by_role("button", name="Upload the certificate").click()
    page.locator("[data-kept-upload]").wait_for()
    assert "scan.png" in page.locator("[data-kept-upload]").inner_text()

    page.get_by_label("Valid until").fill("2027-12-31")  # fixed; no file chosen again
    page.get_by_role("button", name="Upload the certificate").click()
    page.get_by_text("The certificate was uploaded").wait_for()
    assert Certificate.objects.get().document
    assert errors == []
