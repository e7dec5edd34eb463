"""Template helpers of the public site: the badge, plain-words terms, dates for people."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import lru_cache

from django import template
from django.conf import settings
from django.core.signals import setting_changed
from django.db.models import Choices
from django.template.loader import render_to_string
from django.urls import get_script_prefix, get_urlconf
from django.utils import dateformat, translation
from django.utils.html import conditional_escape
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from core.templatetags import formatting
from promotions.models import PromotionKind
from promotions.pricing.badge import discount_words, zhe

register = template.Library()

BEIJING_TIME_ZONES = {"Asia/Shanghai", "Asia/Chongqing", "Asia/Harbin", "PRC"}


@register.simple_tag
def honest_badge(item, ended=None):
    """The item's badge from its stored check, or None (public.cards.stored_badge)."""
    from public.cards import stored_badge

    return stored_badge(item, ended=ended)


def _amount(value) -> str:
    value = Decimal(value).quantize(Decimal("0.01"))
    text = f"{value:f}"
    return text[:-3] if text.endswith(".00") else text


@register.simple_tag
def promotion_terms(promotion) -> str:
    """The offer in plain words: "每满200减30", "8.5折", "限量500件"."""
    kind = promotion.kind
    if kind == PromotionKind.PERCENT_OFF and promotion.percent_off:
        return discount_words(Decimal(promotion.percent_off)).replace("约", "")
    if kind == PromotionKind.AMOUNT_OFF and promotion.amount_off:
        return _("¥%(amount)s off") % {"amount": _amount(promotion.amount_off)}
    if kind == PromotionKind.THRESHOLD and promotion.threshold_amount and promotion.amount_off:
        return _("¥%(off)s off every ¥%(threshold)s spent") % {
            "off": _amount(promotion.amount_off),
            "threshold": _amount(promotion.threshold_amount),
        }
    if kind == PromotionKind.COUPON and promotion.coupon_value:
        if promotion.threshold_amount:
            words = _("¥%(value)s coupon on a spend of ¥%(threshold)s") % {
                "value": _amount(promotion.coupon_value),
                "threshold": _amount(promotion.threshold_amount),
            }
        else:
            words = _("¥%(value)s coupon") % {"value": _amount(promotion.coupon_value)}
        if promotion.coupon_quantity:
            words += _(", %(count)s coupons only") % {"count": promotion.coupon_quantity}
        return words
    if kind == PromotionKind.FLASH_SALE:
        if promotion.flash_quantity:
            return _("Flash sale, %(count)s pieces only") % {"count": promotion.flash_quantity}
        return _("Flash sale")
    if kind == PromotionKind.LIVESTREAM and promotion.stream_host:
        return _("Livestream with %(host)s") % {"host": promotion.stream_host}
    return PromotionKind(kind).label


@register.filter
def zhe_of(percent):
    return zhe(Decimal(percent))


def _day(moment: datetime | date, *, with_year: bool) -> str:
    fmt = pgettext("day, month and year", "j M Y") if with_year else pgettext("day and month", "j M")
    return dateformat.format(moment, fmt)


@register.simple_tag
def window(festival, starts_at=None, ends_at=None, now=None) -> str:
    """ "4月28日–5月10日" / "28 Apr – 10 May", in the festival's time zone; the year
    only when it is not the current one. The last day is the day before an end at midnight."""
    starts_at = festival.local(starts_at or festival.starts_at)
    ends_at = festival.local(ends_at or festival.ends_at)
    last = ends_at
    if ends_at.time() == time(0) and ends_at > starts_at:
        last = ends_at - timedelta(days=1)
    current_year = festival.local(now).year if now else None
    return _days_text(starts_at.date(), last.date(), current_year, translation.get_language())


@lru_cache(maxsize=1024)
def _days_text(first: date, last: date, current_year: int | None, language: str | None) -> str:
    """The words of ``window`` for two local days, in ``language`` (the active one): a
    page of cards asks for the same few pairs of days again and again."""
    with_year = current_year is not None and last.year != current_year
    first_text = _day(first, with_year=with_year and first.year != last.year)
    if first == last:
        return _day(last, with_year=with_year)
    return pgettext("date range", "%(first)s – %(last)s") % {
        "first": first_text,
        "last": _day(last, with_year=with_year),
    }


@register.simple_tag
def clock_time(festival, moment) -> str:
    """ "5月10日 20:00" in the festival's time zone (the time zone named by time_zone_note)."""
    local = festival.local(moment)
    return f"{_day(local, with_year=False)} {local:%H:%M}"


@register.simple_tag
def time_zone_note(festival) -> str:
    """ "北京时间" / "Beijing time" for China's zone; the zone's name otherwise (never "(Asia/Shanghai)")."""
    if festival.time_zone in BEIJING_TIME_ZONES:
        return _("Beijing time")
    return _("local time (%(zone)s)") % {"zone": festival.time_zone.split("/")[-1].replace("_", " ")}


@register.simple_tag
def select_options(choices, selected) -> str:
    """``<option value="…"[ selected]>…</option>`` for each (value, label) of ``choices``
    (pairs, or a ``Choices`` enum): a filter form's choices in one tag instead of a loop
    of tags."""
    if isinstance(choices, type) and issubclass(choices, Choices):
        return _choice_options(choices, selected, translation.get_language())
    return _options(choices, selected)


@lru_cache(maxsize=512)
def _choice_options(choices: type[Choices], selected: str, language: str | None) -> str:
    """The options of an enum's choices, in ``language`` (the active one): its labels are
    translated and escaped once per process rather than on every form."""
    return _options(choices.choices, selected)


def _options(choices, selected) -> str:
    return mark_safe(  # every value and label is escaped
        "".join(
            f'<option value="{conditional_escape(value)}"{" selected" if value == selected else ""}>'
            f"{conditional_escape(label)}</option>"
            for value, label in choices
        )
    )


@register.simple_tag(takes_context=True)
def query_with(context, **changes) -> str:
    """The current query string with some parameters changed (empty value removes one); page resets."""
    request = context.get("request")
    params = request.GET.copy() if request else {}
    if hasattr(params, "pop"):
        params.pop("page", None)
        params.pop("lang", None)
    for name, value in changes.items():
        if value in ("", None):
            params.pop(name, None)
        else:
            params[name] = value
    return "?" + urlencode(params, doseq=True) if params else "?"


register.simple_tag(formatting.page_url, takes_context=True)


@dataclass(frozen=True)
class LanguageLink:
    """This page in one of the site's languages (``?lang=``): for the hreflang alternates and the switch."""

    code: str
    hreflang: str  # BCP 47, as search engines read it: "zh-Hans", not Django's "zh-hans"
    name_local: str
    url: str
    absolute_url: str
    current: bool


@dataclass(frozen=True)
class LanguageLinks:
    languages: list[LanguageLink]
    default: LanguageLink  # settings.LANGUAGE_CODE's: hreflang="x-default"


@register.simple_tag
def site_nav(festival=None, phase="") -> str:
    """The public site's navigation for ``festival`` (its results once it has ``phase``
    "ended"): the same on every page of a festival, so made once per language."""
    slug = festival.slug if festival else ""
    return _site_nav(slug, phase == "ended", translation.get_language(), get_script_prefix(), get_urlconf())


@lru_cache(maxsize=256)
def _site_nav(festival_slug: str, ended: bool, language: str | None, script_prefix: str, urlconf) -> str:
    """The HTML of ``site_nav``; the active language, script prefix and URLconf are its
    key, as the links and words it renders with are theirs."""
    return render_to_string("public/_site_nav.html", {"festival_slug": festival_slug, "ended": ended})


def _forget_made(**kwargs):
    """What this module made once depends on the languages and the URLconf: a changed
    setting (tests) makes it anew."""
    for made in (_days_text, _choice_options, _site_nav):
        made.cache_clear()


setting_changed.connect(_forget_made)


@register.simple_tag(takes_context=True)
def language_links(context) -> LanguageLinks:
    """This page in every language of the site, made once per request (the head's alternates
    and the header's switch both print them)."""
    request = context["request"]  # public pages are rendered with theirs (the request context processor)
    made = getattr(request, "_public_language_links", None)
    if made is not None:
        return made
    current = translation.get_language()
    origin = request.build_absolute_uri("/")[:-1]
    params = request.GET.copy()
    languages = []
    for code, _name in settings.LANGUAGES:
        params["lang"] = code
        url = f"{request.path}?{params.urlencode()}"
        languages.append(
            LanguageLink(
                code=code,
                hreflang=translation.to_locale(code).replace("_", "-"),
                name_local=translation.get_language_info(code)["name_local"],
                url=url,
                absolute_url=origin + url,
                current=code == current,
            )
        )
    default = next((link for link in languages if link.code == settings.LANGUAGE_CODE), languages[0])
    request._public_language_links = made = LanguageLinks(languages=languages, default=default)
    return made
