"""Template helpers of the public pages, over the honest price engine."""

from django import template

from promotions import pricing

register = template.Library()


@register.simple_tag
def honest_badge(item):
    """The item's "lowest price in the 7 days before: ¥X, now ¥Y, Z% off" badge, or None.

    Public pages claim only what the stored check (made at submission) says, which
    also keeps a page of many items free of per-item price queries.
    """
    if item.checked_at is None:
        return None
    return pricing.honest_price_badge(item)
