"""The public site's reaction to changes: what the public sees may have changed, so
every cached page is dropped (connected in PublicConfig.ready).

Domain events cover what the festival's work changes (statuses, prices, reports). The
organisers' reference data — a festival's names, window and organisers, the categories —
is edited in the admin with no event; a save of it drops the pages too, once committed,
so a corrected name is public at once instead of when the cached pages' time bucket ends
(public.cache). Those edits are rare: the cache loses nothing to them.
"""

from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

from core.events import DomainEvent, is_muted, subscribe
from festival.models import Category, Festival, Organiser

from . import cache, selectors

# What public pages print of the organisers' own records (public.views: every page's frame,
# the home, the festival pages, the lists' filters).
REFERENCE_MODELS = (Festival, Category, Organiser)


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


def reference_data_changed(sender, using=None, update_fields=None, **kwargs):
    # A save of named fields is a service's (a festival's status change through
    # core.workflow), which publishes its own event where the change is public; a full save,
    # a deletion or a change of organisers is an edit. Nothing while events are muted (the
    # demo's replay).
    if update_fields is not None or is_muted():
        return
    # After the commit: a page rendered before it would otherwise be cached under the new version.
    transaction.on_commit(cache.bump, using=using)


def connect_reference_data():
    for model in REFERENCE_MODELS:
        for name, signal in (("saved", post_save), ("deleted", post_delete)):
            signal.connect(reference_data_changed, sender=model, dispatch_uid=f"public.{model.__name__}.{name}")
    m2m_changed.connect(
        reference_data_changed, sender=Festival.organisers.through, dispatch_uid="public.festival_organisers"
    )
