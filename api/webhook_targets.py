"""Webhook delivery targets: http(s) only, and no loopback or private addresses
unless settings.WEBHOOK_ALLOW_PRIVATE_TARGETS (tests, local demos) allows them."""

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    return ip.is_global and not ip.is_multicast


def validate_webhook_url(url: str, *, resolve: bool = True) -> None:
    """Raise ValidationError unless ``url`` is an http(s) URL that points to a public host.

    With ``resolve`` the host name is looked up and every address it resolves to
    must be public (so a name pointing at 127.0.0.1 is refused too). Delivery
    calls this again right before each request.
    """
    parts = urlsplit(url or "")
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ValidationError(_("A webhook URL must start with http:// or https:// and name a host."), code="scheme")
    if getattr(settings, "WEBHOOK_ALLOW_PRIVATE_TARGETS", False):
        return
    host = parts.hostname
    try:
        addresses = [str(ipaddress.ip_address(host))]
    except ValueError:
        if host == "localhost" or host.endswith(".localhost") or host.endswith(".local"):
            raise ValidationError(_("Webhooks cannot be delivered to local addresses."), code="private") from None
        if not resolve:
            return
        try:
            infos = socket.getaddrinfo(host, parts.port or 443, proto=socket.IPPROTO_TCP)
        except (socket.gaierror, UnicodeError):
            raise ValidationError(
                _("The webhook host “%(host)s” cannot be found.") % {"host": host}, code="dns"
            ) from None
        addresses = sorted({info[4][0] for info in infos})
    if not all(_is_public(address) for address in addresses):
        raise ValidationError(
            _("Webhooks cannot be delivered to loopback or private network addresses."), code="private"
        )
