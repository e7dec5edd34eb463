"""The certificate form keeps a checked scan when another field has an error."""

import re

import pytest
from django.urls import reverse

from merchants.models import Certificate
from tests.portal import image_upload, sign_in

pytestmark = pytest.mark.django_db


def _data(**overrides):
    return {
        "kind": "green_food",
        "number": "GF123456789012",
        "issuer": "China Green Food Development Center",
        "valid_from": "2026-01-01",
        "valid_until": "2027-12-31",
        **overrides,
    }


def _token(response):
    return re.search(r'name="kept_document" value="([^"]+)"', response.content.decode()).group(1)


def test_the_scan_is_kept_after_an_error_and_used_on_the_next_post(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    signed = sign_in(client)
    url = reverse("merchant:certificates")
    first = signed.client.post(
        url, {**_data(valid_from="2027-01-01", valid_until="2026-01-01"), "document": image_upload("scan.png")}
    )
    assert first.context["form"].errors["valid_until"]
    assert "“scan.png” is kept" in first.content.decode()
    assert Certificate.objects.count() == 0

    second = signed.client.post(url, {**_data(), "kept_document": _token(first)})
    assert second.status_code == 302
    certificate = Certificate.objects.get()
    assert certificate.document
    assert not list((tmp_path / "kept-uploads").iterdir())  # the kept copy is gone


def test_another_sessions_token_is_worthless(client, settings, tmp_path):
    from django.test import Client

    settings.MEDIA_ROOT = tmp_path
    signed = sign_in(client)
    url = reverse("merchant:certificates")
    first = signed.client.post(url, {**_data(number="bad"), "document": image_upload("scan.png")})
    other = sign_in(Client())
    response = other.client.post(url, {**_data(), "kept_document": _token(first)})
    assert response.status_code == 200
    assert response.context["form"].errors["document"]
    assert Certificate.objects.count() == 0
