"""The public site's reaction to domain events: what the public sees may have
changed, so every cached page is dropped (subscribed in PublicConfig.ready)."""

from core.events import DomainEvent, subscribe

from . import cache, selectors


@subscribe
def drop_cached_pages(event_type, **ids):
    # Every event of the vocabulary can change something public (a promotion or a
    # participation changing status, a festival opening or closing, a report's
    # counts), except a price recorded for a product that no public promotion sells:
    # merchants and partners record those all day, and each would empty the cache.
    product_ids = ids.get("product_ids")
    if event_type == DomainEvent.PRICES_RECORDED and product_ids and not selectors.sold_publicly(product_ids):
        return
    cache.bump()
