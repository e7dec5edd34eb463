"""Consumer pages: the festival, its live promotions by category, and the
honest-price badge on each item (from the stored check)."""

from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from festival.models import Category, Festival

from . import selectors
from .models import Promotion


def index(request):
    festival = selectors.featured_festival()
    if festival is None:
        return render(request, "public/index.html", {"festival": None, "festivals": []})
    return _festival_page(request, festival, template="public/index.html")


def festival_detail(request, slug):
    festival = get_object_or_404(Festival, slug=slug)
    return _festival_page(request, festival, template="public/festival.html")


def _festival_page(request, festival, *, template):
    category = None
    slug = request.GET.get("category", "").strip()
    if slug:
        category = Category.objects.filter(slug=slug).first()
        if category is None:
            raise Http404("No such category")
    now = timezone.now()
    promotions = list(selectors.public_promotions(festival, now=now, category=category))
    with timezone.override(festival.tz):
        return render(
            request,
            template,
            {
                "festival": festival,
                "festivals": selectors.public_festivals(),
                "groups": selectors.promotions_by_category(promotions),
                "promotion_count": len(promotions),
                "categories": selectors.public_categories(),
                "category": category,
                "is_running": festival.starts_at <= now < festival.ends_at,
            },
        )


def promotion_detail(request, pk):
    promotion = get_object_or_404(
        Promotion.objects.public().select_related("festival", "merchant").prefetch_related("items__product"), pk=pk
    )
    with timezone.override(promotion.festival.tz):
        return render(request, "public/promotion.html", {"promotion": promotion, "festival": promotion.festival})
