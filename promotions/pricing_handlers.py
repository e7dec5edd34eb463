"""Reactions of the promotions app to events published by other apps (core.events).

Subscribed once from PromotionsConfig.ready(); handlers run after the
publishing transaction commits.
"""

from core.events import DomainEvent, subscribe

from . import services


@subscribe
def recheck_items_when_prices_recorded(event_type, **ids):
    """New prices change reference prices: keep the stored checks of promotions
    not yet decided (draft, changes requested, submitted) current."""
    if event_type != DomainEvent.PRICES_RECORDED:
        return
    product_ids = ids.get("product_ids") or []
    if product_ids:
        services.refresh_checks_for_products(product_ids)
