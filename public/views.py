"""The public festival site. Views are thin: reads in public.selectors, caching
and conditional GET in public.cache (every page here is public and the same
for every visitor of a language)."""

import csv
import sys

from django.conf import settings
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from core.outages import database_unavailable, mark_unavailable, unavailable_body
from core.templatetags.formatting import localname
from festival.models import Category, CertificateKind, Festival
from merchants.models import MerchantKind
from promotions.models import PromotionKind, PromotionStatus
from reports import selectors as report_selectors

from . import selectors
from .cache import kept, public_page
from .cards import promotion_card_lists, promotion_cards

LIST_PREVIEW = 8
# The certified merchants a festival's page names: the context name and its certificate kinds.
HOME_CERTIFICATES = {
    "time_honoured": (CertificateKind.TIME_HONOURED,),
    "certified_produce": selectors.PRODUCE_CERTIFICATES,
}


def _festival(request, slug):
    return kept(request, ("festival", slug), lambda: get_object_or_404(Festival, slug=slug))


def _top_categories(request):
    return kept(
        request, "top categories", lambda: list(Category.objects.filter(parent__isnull=True).order_by("position", "pk"))
    )


def _festival_context(festival, *, now):
    phase = selectors.festival_phase(festival, now=now)
    previews = selectors.card_lists(
        selectors.visible_promotions(festival)
        .live(at=now)
        .order_by("ends_at", "pk")
        .values_list("pk", flat=True)[:LIST_PREVIEW],
        selectors.visible_promotions(festival)
        .filter(status=PromotionStatus.APPROVED, starts_at__gt=now)
        .order_by("starts_at", "pk")
        .values_list("pk", flat=True)[:LIST_PREVIEW],
        festival=festival,
    )
    live_now, starting_soon = promotion_card_lists(*previews.lists, festival=festival, items=previews.items)
    return {
        "festival": festival,
        "phase": phase,
        "days_to_start": (festival.starts_at - now).days if phase == "upcoming" else None,
        "category_counts": selectors.category_counts(festival),
        **selectors.certified_merchants(festival, HOME_CERTIFICATES),
        "live_now": live_now,
        "starting_soon": starting_soon,
    }


@require_safe
@public_page
def index(request):
    now = timezone.now()
    festival, editions, sub_festivals = selectors.home_festivals(now=now)
    context = {"festival": festival, "now": now}
    if festival is not None:
        context.update(_festival_context(festival, now=now))
        context["sub_festivals"] = sub_festivals
        context["editions"] = editions
    return render(request, "public/index.html", context)


@require_safe
@public_page
def festival_detail(request, slug):
    now = timezone.now()
    festival = get_object_or_404(Festival.objects.select_related("parent").prefetch_related("organisers"), slug=slug)
    context = {"now": now, **_festival_context(festival, now=now)}
    context["sub_festivals"] = selectors.sub_festivals(festival) if festival.parent_id is None else []
    context["report_counts"] = report_selectors.public_report_counts(festival)
    context["editions"] = [f for f in selectors.past_and_current_festivals(now=now) if f.pk != festival.pk]
    return render(request, "public/festival.html", context)


@require_safe
@public_page
def promotion_list(request, slug):
    now = timezone.now()
    festival = _festival(request, slug)
    filters = selectors.PromotionFilters.from_query(request.GET)
    categories = _top_categories(request)
    category = next((c for c in categories if c.slug == filters.category), None)
    unknown_category = bool(filters.category) and category is None
    if unknown_category:
        found = selectors.visible_promotions(festival).none()
    else:
        found = selectors.search_promotions(festival, filters)
    listed = selectors.listed_promotions(found, request.GET.get("page"), festival=festival)
    page = listed.page
    return render(
        request,
        "public/promotion_list.html",
        {
            "festival": festival,
            "now": now,
            "phase": selectors.festival_phase(festival, now=now),
            "filters": filters,
            "page_obj": page,
            "cards": promotion_cards(page.object_list, festival=festival, items=listed.items),
            "categories": categories,
            "category_choices": [(c.slug, localname(c)) for c in categories],
            "category": category,
            "unknown_category": unknown_category,
            "merchant_kinds": MerchantKind,
            "promotion_kinds": PromotionKind,
            "certificate_kinds": CertificateKind,
            "sorts": [
                ("start", _("Start time")),
                ("discount", _("Biggest real discount")),
                ("price", _("Lowest price")),
            ],
        },
    )


@require_safe
@public_page
def promotion_detail(request, pk):
    now = timezone.now()
    promotion = get_object_or_404(
        selectors.visible_promotions().select_related("festival", "merchant").prefetch_related("categories"), pk=pk
    )
    items = selectors.promotion_items(promotion, now=now)
    return render(
        request,
        "public/promotion.html",
        {
            "promotion": promotion,
            "festival": promotion.festival,
            "now": now,
            "ended": promotion.status == PromotionStatus.ENDED,
            "items": items,
            "charts": [view.chart for view in items],
        },
    )


@require_safe
@public_page
def merchant_list(request):
    filters = selectors.MerchantFilters.from_query(request.GET)
    found = selectors.search_merchants(filters)
    page = selectors.paginate_counted(selectors.with_public_profile(found), request.GET.get("page"), counted=found)
    return render(
        request,
        "public/merchant_list.html",
        {
            "filters": filters,
            "page_obj": page,
            "merchants": page.object_list,
            "merchant_kinds": MerchantKind.choices,
            "categories": _top_categories(request),
            "countries": selectors.public_countries(),
            "festivals": selectors.past_and_current_festivals(now=timezone.now()),
        },
    )


@require_safe
@public_page
def merchant_detail(request, pk):
    merchant = get_object_or_404(selectors.with_public_profile(selectors.visible_merchants()), pk=pk)
    promotions = selectors.with_cards(
        selectors.visible_promotions().filter(merchant=merchant).order_by("-starts_at", "pk")
    )[:48]
    upheld = report_selectors.upheld_counts_by_festival(merchant)
    for participation in merchant.approved_participations:
        participation.upheld_reports = upheld.get(participation.festival_id, 0)
    return render(
        request,
        "public/merchant.html",
        {"merchant": merchant, "cards": promotion_cards(promotions), "now": timezone.now()},
    )


def _closed_festival(request, slug, *, now):
    festival = _festival(request, slug)
    return festival, festival.ends_at <= now


@require_safe
@public_page
def results(request, slug):
    now = timezone.now()
    festival, closed = _closed_festival(request, slug, now=now)
    context = {"festival": festival, "closed": closed, "now": now}
    context["report_counts"] = report_selectors.public_report_counts(festival)
    if closed:
        figures = selectors.published_results(festival, now=now)
        context["results"] = figures
        context["sales_chart"] = {
            "labels": [day.isoformat() for day, _gmv, _orders in figures.sales_by_day],
            "gmv": [f"{gmv:.2f}" for _day, gmv, _orders in figures.sales_by_day],
            "orders": [orders for _day, _gmv, orders in figures.sales_by_day],
        }
        if figures.parcels:
            context["parcels"] = figures.parcels
            context["parcels_chart"] = figures.parcels.chart()
    return render(request, "public/results.html", context)


@require_safe
@public_page
def results_csv(request, slug):
    now = timezone.now()
    festival, closed = _closed_festival(request, slug, now=now)
    if not closed:
        raise Http404(_("Results are published when the festival closes."))
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{festival.slug}-results.csv"'
    writer = csv.writer(response)
    writer.writerow(["section", "key", "value"])
    writer.writerows(selectors.published_results(festival, now=now).as_rows())
    return response


@require_safe
@public_page
def results_json(request, slug):
    now = timezone.now()
    festival, closed = _closed_festival(request, slug, now=now)
    if not closed:
        raise Http404(_("Results are published when the festival closes."))
    results = selectors.published_results(festival, now=now)
    response = JsonResponse(results.as_json(), json_dumps_params={"ensure_ascii": False})
    response["Content-Disposition"] = f'attachment; filename="{festival.slug}-results.json"'
    return response


@require_safe
def favicon(request):
    return redirect(static("favicon.ico"), permanent=True)


@require_safe
def robots_txt(request):
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /merchant/",
        "Disallow: /api/",
        "Disallow: /i18n/",
        "Allow: /",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")


def server_error(request, template_name="500.html"):
    """The 500 page in the site's look; rendered without a database (it may be what failed).

    Django calls it while handling the exception, from a view or a middleware alike: when
    that is the database being unreachable, the answer is the 503 page ("try again in a
    moment"), and under /api/ the API's JSON body, not an HTML page."""
    exc = sys.exc_info()[1]
    if not database_unavailable(exc):
        response = render(request, template_name, {"debug": settings.DEBUG})
        response.status_code = 500
        return response
    if request.path.startswith("/api/"):
        return mark_unavailable(JsonResponse(unavailable_body()), exc)
    return mark_unavailable(render(request, "503.html", {"debug": settings.DEBUG}), exc)
