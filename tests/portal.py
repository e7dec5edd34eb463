"""Helpers shared by the portal and public-page tests (images, CSV bytes, signed-in merchants)."""

import io
import struct
import zlib
from dataclasses import dataclass

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from tests.factories import MembershipFactory


@dataclass
class SignedIn:
    client: object
    user: object
    merchant: object


def sign_in(client, membership=None) -> SignedIn:
    membership = membership or MembershipFactory()
    client.force_login(membership.user)
    return SignedIn(client, membership.user, membership.merchant)


def image_bytes(fmt="PNG", size=(40, 30), color=(200, 30, 40), exif=None) -> bytes:
    buffer = io.BytesIO()
    image = Image.new("RGB", size, color)
    kwargs = {"exif": exif} if exif is not None else {}
    image.save(buffer, format=fmt, **kwargs)
    return buffer.getvalue()


def image_upload(name="banner.png", fmt="PNG", **kwargs) -> SimpleUploadedFile:
    content_type = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}[fmt]
    return SimpleUploadedFile(name, image_bytes(fmt, **kwargs), content_type=content_type)


def fake_image_upload(name="banner.png") -> SimpleUploadedFile:
    """Text that claims to be a PNG by name and content type."""
    return SimpleUploadedFile(name, b"<?php echo 'not an image'; ?>" * 10, content_type="image/png")


def bomb_png_bytes(width=30_000, height=30_000) -> bytes:
    """A tiny PNG whose header claims a huge canvas (a decompression bomb)."""
    data = image_bytes("PNG", size=(1, 1))
    # The IHDR chunk starts at byte 8: length(4) type(4) width(4) height(4) … crc(4)
    ihdr_start = 8
    length = struct.unpack(">I", data[ihdr_start : ihdr_start + 4])[0]
    body = bytearray(data[ihdr_start + 4 : ihdr_start + 8 + length])
    body[4:12] = struct.pack(">II", width, height)
    crc = struct.pack(">I", zlib.crc32(bytes(body)) & 0xFFFFFFFF)
    return data[:ihdr_start] + data[ihdr_start : ihdr_start + 4] + bytes(body) + crc + data[ihdr_start + 12 + length :]


def bomb_upload(name="bomb.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, bomb_png_bytes(), content_type="image/png")


def huge_upload(name="huge.jpg", megabytes=20) -> SimpleUploadedFile:
    """A real JPEG header followed by padding up to ``megabytes``."""
    head = image_bytes("JPEG", size=(10, 10))
    return SimpleUploadedFile(name, head + b"\0" * (megabytes * 1024 * 1024 - len(head)), content_type="image/jpeg")


def csv_upload(text: str, *, encoding="utf-8", name="prices.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(encoding), content_type="text/csv")
