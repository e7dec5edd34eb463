"""Small template helpers for the portal and the public pages."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django import template
from django.utils.timesince import timesince
from django.utils.translation import get_language

register = template.Library()


@register.filter
def localname(obj):
    """The English name of a category, festival or organiser when the page is in English."""
    if obj is None:
        return ""
    english = getattr(obj, "name_en", "")
    if english and (get_language() or "").startswith("en"):
        return english
    return getattr(obj, "name", str(obj))


@register.filter
def yuan(value):
    """¥1,234.50 — money is Decimal, shown with two places (fen)."""
    if value in (None, ""):
        return ""
    amount = Decimal(value).quantize(Decimal("0.01"))
    return f"¥{amount:,}"


@register.filter
def grouped(value):
    """12,345 — whole numbers with thousands separators in every language (zh-Hans has none by default)."""
    if value in (None, ""):
        return ""
    return f"{int(value):,}"


@register.filter
def get_item(mapping, key):
    return (mapping or {}).get(key)


@register.filter
def duration(value):
    """A timedelta in words, to two units: "1 day, 4 hours", "1天，4小时" (Django's translated units)."""
    if not isinstance(value, timedelta):
        return ""
    # timesince measures between two instants; any fixed instant works, the clock is never read.
    end = datetime(2000, 1, 1, tzinfo=UTC)
    return timesince(end - value, end, depth=2)


@register.simple_tag(takes_context=True)
def page_url(context, number) -> str:
    """This list's page ``number``, keeping its other query parameters (filters, search)."""
    params = context["request"].GET.copy()
    params.pop("lang", None)  # the language is a cookie once chosen
    params["page"] = number
    return "?" + params.urlencode()
