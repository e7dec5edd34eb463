"""Small security helpers shared by the apps (login throttling's client address)."""

from django.conf import settings


def client_ip(request):
    """The client's address for login throttling. Behind our HTTPS proxy
    (settings.SECURE_PROXY_SSL_HEADER set) it is the last X-Forwarded-For entry,
    which the proxy wrote; earlier entries come from the client and are not trusted."""
    if settings.SECURE_PROXY_SSL_HEADER:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        last = forwarded.split(",")[-1].strip()
        if last:
            return last
    return request.META.get("REMOTE_ADDR", "")
