"""The public site's reaction to domain events: what the public sees may have
changed, so every cached page is dropped (subscribed in PublicConfig.ready)."""

from core.events import DomainEvent, subscribe

from . import cache

# Every event of the vocabulary changes something public: a promotion or a
# participation changing status, prices recorded, a festival opening or closing.
INVALIDATING_EVENTS = frozenset(DomainEvent)


@subscribe
def drop_cached_pages(event_type, **ids):
    if event_type in INVALIDATING_EVENTS:
        cache.bump()
