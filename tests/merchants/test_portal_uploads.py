import io

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from core.tasks import make_upload_thumbnail
from core.thumbnails import thumbnail_name
from merchants.models import Certificate
from tests.factories import CertificateFactory, MerchantFactory
from tests.portal import bomb_png_bytes, bomb_upload, fake_image_upload, huge_upload, image_bytes, image_upload, sign_in

pytestmark = pytest.mark.django_db


def _certificate_data(**overrides):
    data = {
        "kind": "green_food",
        "number": "GF123456789012",
        "issuer": "China Green Food Development Center",
        "valid_from": "2026-01-01",
        "valid_until": "2027-12-31",
    }
    data.update(overrides)
    return data


def test_certificate_upload_is_saved_re_encoded_under_a_random_name(client, django_capture_on_commit_callbacks):
    signed = sign_in(client)

    with django_capture_on_commit_callbacks() as callbacks:
        response = signed.client.post(
            reverse("merchant:certificates"), {**_certificate_data(), "document": image_upload("my licence.png")}
        )

    certificate = Certificate.objects.get(merchant=signed.merchant)
    assert response.status_code == 302
    assert certificate.status == "pending"
    assert "licence" not in certificate.document.name and certificate.document.name.endswith(".png")
    assert len(callbacks) == 1  # the thumbnail is enqueued after the commit


def test_upload_strips_exif_gps(client):
    signed = sign_in(client)
    exif = Image.Exif()
    exif[0x8825] = {2: (39.0, 54.0, 0.0)}  # GPSInfo: latitude
    upload = image_upload("photo.jpg", fmt="JPEG", exif=exif.tobytes())

    signed.client.post(reverse("merchant:certificates"), {**_certificate_data(), "document": upload})

    certificate = Certificate.objects.get(merchant=signed.merchant)
    with certificate.document.open("rb") as stored, Image.open(stored) as image:
        assert 0x8825 not in image.getexif()


@pytest.mark.parametrize(
    ("make_upload", "message"),
    [
        (fake_image_upload, "not a JPEG, PNG or WebP image"),
        (bomb_upload, "not a JPEG, PNG or WebP image, or it is too large to open"),
        (huge_upload, "too large"),
    ],
    ids=["fake-image", "bomb-image", "20-MB-file"],
)
def test_a_refused_certificate_scan_gets_a_form_error_and_nothing_is_saved(client, make_upload, message):
    signed = sign_in(client)

    response = signed.client.post(reverse("merchant:certificates"), {**_certificate_data(), "document": make_upload()})

    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors["document"])
    assert not Certificate.objects.exists()
    assert 'value="GF123456789012"' in response.content.decode()  # the input is kept


def test_an_image_with_too_many_pixels_is_refused(client):
    signed = sign_in(client)
    upload = SimpleUploadedFile("wide.png", bomb_png_bytes(8000, 8000), content_type="image/png")

    response = signed.client.post(reverse("merchant:certificates"), {**_certificate_data(), "document": upload})

    assert "too many pixels" in " ".join(response.context["form"].errors["document"])


def test_a_gif_is_refused_even_with_a_png_name(client):
    signed = sign_in(client)
    buffer = io.BytesIO()
    Image.new("RGB", (5, 5)).save(buffer, format="GIF")

    upload = SimpleUploadedFile("logo.png", buffer.getvalue(), content_type="image/png")

    response = signed.client.post(reverse("merchant:certificates"), {**_certificate_data(), "document": upload})

    assert "Only JPEG, PNG and WebP" in " ".join(response.context["form"].errors["document"])


def test_a_bad_certificate_number_is_refused_with_the_format(client):
    signed = sign_in(client)

    response = signed.client.post(
        reverse("merchant:certificates"), {**_certificate_data(number="GF12"), "document": image_upload()}
    )

    assert "GF and 12 digits" in " ".join(response.context["form"].errors["number"])
    assert not Certificate.objects.exists()


def test_a_certificate_that_expires_before_it_starts_is_refused(client):
    signed = sign_in(client)

    response = signed.client.post(
        reverse("merchant:certificates"),
        {**_certificate_data(valid_from="2027-01-01", valid_until="2026-01-01"), "document": image_upload()},
    )

    assert response.context["form"].errors["valid_until"]
    assert "Constraint" not in response.content.decode()


def test_the_same_certificate_twice_is_refused_calmly(client):
    signed = sign_in(client)
    CertificateFactory(merchant=signed.merchant, kind="green_food", number="GF123456789012")

    response = signed.client.post(reverse("merchant:certificates"), {**_certificate_data(), "document": image_upload()})

    assert response.status_code == 200
    assert "already on file" in response.content.decode()


def test_certificates_page_shows_verification_status(client):
    signed = sign_in(client)
    CertificateFactory(merchant=signed.merchant, verified=True, number="GF000000000777")

    response = signed.client.get(reverse("merchant:certificates"))

    assert "GF000000000777" in response.content.decode()
    assert "Verified" in response.content.decode()


def test_logo_upload_and_refused_logo(client):
    signed = sign_in(client)
    data = {"name": signed.merchant.name}

    bad = signed.client.post(reverse("merchant:profile"), {**data, "logo": fake_image_upload("logo.webp")})
    good = signed.client.post(reverse("merchant:profile"), {**data, "logo": image_upload("logo.webp", fmt="WEBP")})

    assert bad.status_code == 200 and bad.context["form"].errors["logo"]
    assert good.status_code == 302
    signed.merchant.refresh_from_db()
    assert signed.merchant.logo.name.endswith(".webp")


def test_thumbnail_task_makes_one_thumbnail_and_is_idempotent():
    merchant = MerchantFactory()

    merchant.logo.save("logo.png", ContentFile(image_bytes("PNG", size=(800, 600))), save=True)

    first = make_upload_thumbnail(target="merchant_logo", object_id=merchant.pk)
    second = make_upload_thumbnail(target="merchant_logo", object_id=merchant.pk)

    merchant.refresh_from_db()
    assert first == second == merchant.logo_thumbnail.name
    assert merchant.logo_thumbnail.name.startswith(thumbnail_name(merchant.logo.name))
    with merchant.logo_thumbnail.open("rb") as thumb, Image.open(thumb) as image:
        assert max(image.size) <= 320


def test_thumbnail_task_returns_quietly_when_the_row_is_gone():
    assert make_upload_thumbnail(target="certificate_document", object_id=987654) is None


def test_thumbnail_task_skips_a_missing_file_quietly():
    certificate = CertificateFactory(document="certificate/zz/gone.png")

    result = make_upload_thumbnail(target="certificate_document", object_id=certificate.pk)

    certificate.refresh_from_db()
    assert result is None
    assert not certificate.document_thumbnail
