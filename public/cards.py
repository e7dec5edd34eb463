"""Promotion cards (home, festival, promotions list, merchant page): read set-wise,
rendered once, kept by what they show.

A page shows up to 24 cards of three items each. The home and the promotions list
read their cards' promotions and items with their page's query
(``selectors.card_lists``); other pages' items are read here in one query
(``selectors.card_items``). ``promotion_card_lists`` then looks each card's HTML up
under a key made of everything the card shows (among the cards this process kept
last, ``RECENT``, then in the default cache): its URLs, title, status and terms, its
dates and the festival's time zone and lookback, the merchant's name, each item's name,
prices and stored check, the language, and the source of the card and badge
templates. A card whose key is not there is built (``PromotionCard``: the badge
words translated once per language and lookback, a date range written once per
pair of days, URLs reversed once per page) and rendered with
``public/_promotion_card.html``, then kept for ``PUBLIC_CARD_CACHE_SECONDS``.

Since the key is the card's content, a cached card is never stale: a changed
price, status or name makes another key, whatever made the change (no event
needed); the page around the cards is rendered on every page-cache miss as
before (public.cache). ``_promotion_card.html`` prints only ``PromotionCard``;
a field added there must be added to ``_inputs`` (the key) too
(tests/public/test_cards.py checks every input changes the key).
"""

from __future__ import annotations

import hashlib
import logging
import pickle
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from django.conf import settings
from django.core.cache import cache
from django.core.signals import setting_changed
from django.template.loader import get_template
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import translation
from django.utils.safestring import SafeString, mark_safe

from festival.models import Festival
from promotions import pricing
from promotions.models import Promotion, PromotionItem

from .selectors import card_items

CARD_TEMPLATE = "public/_promotion_card.html"
# Every template a card's HTML comes from: their source is part of each card's key.
CARD_TEMPLATES = (CARD_TEMPLATE, "public/_badge.html")
KEY_PREFIX = "public:card:"
KEY_VERSION = 1  # bump when what a key covers changes
_SENTINEL = 987654321

logger = logging.getLogger(__name__)


@dataclass
class CardItem:
    name: str
    badge: pricing.HonestPriceBadge | None


@dataclass
class PromotionCard:
    """What ``_promotion_card.html`` prints: plain values, all of them covered by the card's key."""

    pk: int
    title: str
    status: str
    url: str
    merchant_url: str
    merchant_name: str
    banner_url: str
    terms: str
    window: str
    items: list[CardItem] = field(default_factory=list)


@dataclass(frozen=True)
class RenderedCard:
    """A card as a page prints it (``{{ card.html }}``)."""

    pk: int
    html: SafeString


def stored_badge(item: PromotionItem, ended=None) -> pricing.HonestPriceBadge | None:
    """The item's badge (promotions.pricing.honest_price_badge), or None.

    Public pages claim only what the stored check (made at submission) says,
    which also keeps a page of many items free of per-item price queries.
    """
    if item.checked_at is None:
        return None
    return pricing.honest_price_badge(item, ended=ended)


def url_for_pk(name: str) -> Callable[[object], str]:
    """``reverse(name, args=[pk])`` as a function, reversed once: ``name`` takes one integer."""
    head, tail = _url_around_pk(name, get_script_prefix(), get_urlconf())
    return lambda pk: f"{head}{int(pk)}{tail}"


@lru_cache(maxsize=64)
def _url_around_pk(name: str, script_prefix: str, urlconf) -> tuple[str, str]:
    """What ``name``'s URL has before and after its pk, under the active script prefix and
    URLconf (the key: a reverse costs a page as much as a card's lookup)."""
    head, _sentinel, tail = reverse(name, args=[_SENTINEL]).partition(str(_SENTINEL))
    return head, tail


def _forget_urls(**kwargs):
    _url_around_pk.cache_clear()  # a changed ROOT_URLCONF (tests) reverses anew


setting_changed.connect(_forget_urls)


def _banner_url(promotion: Promotion) -> str:
    if not promotion.banner:
        return ""
    return promotion.banner_thumbnail.url if promotion.banner_thumbnail else promotion.banner.url


def promotion_cards(
    promotions: Iterable[Promotion], *, festival: Festival | None = None, items: dict[int, list[tuple]] | None = None
) -> list[RenderedCard]:
    """The cards of ``promotions`` (a ``selectors.with_cards`` queryset, or its rows).

    ``festival``: the festival all of them belong to, when the query left it out
    (``with_cards(..., festival=festival)``). ``items``: their card items when already
    read (``selectors.listed_promotions``), else they are read here.
    """
    return promotion_card_lists(promotions, festival=festival, items=items)[0]


def promotion_card_lists(
    *lists: Iterable[Promotion], festival: Festival | None = None, items: dict[int, list[tuple]] | None = None
) -> list[list[RenderedCard]]:
    """The cards of several lists of promotions: their items read in one query (unless
    given, as ``selectors.card_items`` reads them), their HTML looked up in this process
    (``RECENT``), then in the cache in one round trip, only the missing ones rendered."""
    lists = [list(promotions) for promotions in lists]
    promotions = {promotion.pk: promotion for shown in lists for promotion in shown}
    if not promotions:
        return [[] for _shown in lists]
    if items is None:
        items = card_items(list(promotions))
    promotion_url = url_for_pk("public:promotion")
    merchant_url = url_for_pk("public:merchant")
    context = (KEY_VERSION, _templates_digest(), translation.get_language())
    # This process keeps each card under its inputs themselves (a lookup hashes the tuple);
    # the shared cache needs a string, their digest, made only for the cards not kept here.
    inputs = {}
    for pk, promotion in promotions.items():
        if festival is not None:
            promotion.festival = festival
        inputs[pk] = (
            context,
            _inputs(promotion, items.get(pk, []), promotion_url(pk), merchant_url(promotion.merchant_id)),
        )
    seconds = settings.PUBLIC_CARD_CACHE_SECONDS
    html = {}
    if seconds:
        kept = RECENT.get_many(inputs.values())
        html = {pk: kept[key] for pk, key in inputs.items() if key in kept}
    shared_keys = {pk: _shared_key(inputs[pk]) for pk in promotions if pk not in html} if seconds else {}
    if shared_keys:
        try:
            shared = cache.get_many(shared_keys.values())
        except Exception as exc:  # the cache is an accelerator, never a dependency (public.cache)
            logger.warning("promotion cards rendered uncached, the cache is unavailable: %s", exc)
            shared, seconds = {}, 0
        read = {pk: mark_safe(shared[key]) for pk, key in shared_keys.items() if key in shared}  # our own rendering
        html.update(read)
        RECENT.set_many({inputs[pk]: card for pk, card in read.items()})
    fresh = {}
    for pk, promotion in promotions.items():
        if pk not in html:
            card = build_card(promotion, inputs[pk][1])
            html[pk] = fresh[pk] = get_template(CARD_TEMPLATE).render({"card": card})
    if seconds and fresh:
        try:
            cache.set_many({shared_keys[pk]: str(card) for pk, card in fresh.items()}, seconds)
        except Exception as exc:
            logger.warning("promotion cards not cached, the cache is unavailable: %s", exc)
        RECENT.set_many({inputs[pk]: card for pk, card in fresh.items()})
    return [[RenderedCard(pk=promotion.pk, html=html[promotion.pk]) for promotion in shown] for shown in lists]


def _shared_key(inputs: tuple) -> str:
    """A card's key in the shared cache: the digest of its inputs (``promotion_card_lists``)."""
    (version, templates, language), _card = inputs
    digest = hashlib.blake2b(pickle.dumps(inputs, protocol=4), digest_size=20).hexdigest()
    return f"{KEY_PREFIX}{version}:{templates}:{language}:{digest}"


class RecentCards:
    """The cards this process read or rendered last, in front of the shared cache: a
    card's key is its content, so a card kept here is never stale, and a page whose
    cards are all here makes no cache round trip for them."""

    def __init__(self, size: int):
        self.size = size
        self._cards: OrderedDict[Hashable, SafeString] = OrderedDict()
        self._lock = threading.Lock()

    def get_many(self, keys: Iterable[Hashable]) -> dict[Hashable, SafeString]:
        found = {}
        with self._lock:
            for key in keys:
                card = self._cards.get(key)
                if card is not None:
                    self._cards.move_to_end(key)
                    found[key] = card
        return found

    def set_many(self, cards: dict[Hashable, SafeString]) -> None:
        with self._lock:
            for key, card in cards.items():
                self._cards[key] = card
                self._cards.move_to_end(key)
            while len(self._cards) > self.size:
                self._cards.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._cards.clear()


# About 2 KB a card: a few MB a process.
RECENT = RecentCards(2048)


def _inputs(promotion: Promotion, item_rows: list[tuple], url: str, merchant_url: str) -> tuple:
    """Everything ``build_card`` reads, as plain values: the card's key is made of this."""
    festival = promotion.festival
    return (
        url,
        merchant_url,
        _banner_url(promotion),
        promotion.title,
        promotion.status,
        promotion.kind,
        promotion.percent_off,
        promotion.amount_off,
        promotion.threshold_amount,
        promotion.coupon_value,
        promotion.coupon_quantity,
        promotion.flash_quantity,
        promotion.stream_host,
        promotion.starts_at,
        promotion.ends_at,
        festival.time_zone,
        festival.price_lookback_days,
        promotion.merchant_name,
        tuple(item_rows),
    )


def build_card(promotion: Promotion, inputs: tuple) -> PromotionCard:
    """The card of ``promotion`` from its ``_inputs`` (the items are ``selectors.CARD_ITEM_FIELDS`` rows)."""
    from .templatetags.public_site import promotion_terms, window  # the tags are the one way to write them

    url, merchant_url, banner_url, *_fields, merchant_name, item_rows = inputs
    lines = []
    for _promotion_id, pk, name, promo_price, check_status, reference_price, reference_source, checked_at in item_rows:
        item = PromotionItem(
            pk=pk,
            promotion=promotion,
            promo_price=promo_price,
            check_status=check_status,
            reference_price=reference_price,
            reference_source=reference_source,
            checked_at=checked_at,
        )
        lines.append(CardItem(name=name, badge=stored_badge(item)))
    return PromotionCard(
        pk=promotion.pk,
        title=promotion.title,
        status=promotion.status,
        url=url,
        merchant_url=merchant_url,
        merchant_name=merchant_name,
        banner_url=banner_url,
        terms=promotion_terms(promotion),
        window=window(promotion.festival, promotion.starts_at, promotion.ends_at),
        items=lines,
    )


def _templates_digest() -> str:
    # DEBUG serves templates edited on disk without a restart, so their source is read each time.
    return _read_templates_digest() if settings.DEBUG else _kept_templates_digest()


def _read_templates_digest() -> str:
    digest = hashlib.blake2b(digest_size=8)
    for name in CARD_TEMPLATES:
        digest.update(get_template(name).template.source.encode())
    return digest.hexdigest()


_kept_templates_digest = lru_cache(maxsize=1)(_read_templates_digest)
