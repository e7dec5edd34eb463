"""The consumer's pages: the report form and the status page reached by the tracking code."""

from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from core.forms import apply_validation_error
from promotions.models import Promotion

from . import ratelimit, selectors, services
from .forms import ReportForm
from .models import PriceReport


def client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "")


@require_http_methods(["GET", "POST"])
def report_form(request, pk):
    try:
        promotion = selectors.reportable_promotion(pk)
    except Promotion.DoesNotExist:
        raise Http404 from None
    festival = promotion.festival
    with timezone.override(festival.tz):
        if request.method == "POST":
            ip_hash = services.hash_ip(client_ip(request))
            item_id = request.POST.get("item", "")
            if ratelimit.is_limited(ip_hash=ip_hash, item_id=item_id):
                return render(
                    request,
                    "reports/rate_limited.html",
                    {"promotion": promotion, "festival": festival, "limits": ratelimit.limits()},
                    status=429,
                )
            form = ReportForm(request.POST, request.FILES, promotion=promotion)
            if form.is_valid():
                data = form.cleaned_data
                try:
                    report, _merged = services.file_report(
                        item=data["item"],
                        reason=data["reason"],
                        seen_price=data["seen_price"],
                        seen_at=data["seen_at"],
                        description=data["description"],
                        email=data["email"],
                        screenshot=data["screenshot"] or None,
                        ip=client_ip(request),
                    )
                except ValidationError as error:
                    apply_validation_error(form, error)
                except services.ReportError as error:
                    form.add_error(error.code if error.code in form.fields else None, error.message)
                else:
                    ratelimit.count(ip_hash=ip_hash, item_id=item_id)
                    return HttpResponseRedirect(reverse("reports:status", args=[report.code]), status=303)
        else:
            initial = {}
            if request.GET.get("item", "").isdigit():
                initial["item"] = int(request.GET["item"])
            form = ReportForm(promotion=promotion, initial=initial)
        return render(
            request,
            "reports/report_form.html",
            {"promotion": promotion, "festival": festival, "form": form},
            status=400 if form.is_bound else 200,
        )


def _report_by_code(code) -> PriceReport:
    if len(code) < 20:
        raise Http404
    return get_object_or_404(
        PriceReport.objects.select_related("item__product", "promotion__festival", "merchant"), code=code
    )


@never_cache
def report_status(request, code):
    report = _report_by_code(code)
    festival = report.promotion.festival
    with timezone.override(festival.tz):
        return render(
            request,
            "reports/status.html",
            {"report": report, "festival": festival, "promotion": report.promotion},
        )


@never_cache
def report_screenshot(request, code):
    return screenshot_response(_report_by_code(code))


def screenshot_response(report) -> FileResponse:
    if not report.screenshot:
        raise Http404
    try:
        handle = report.screenshot.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    extension = report.screenshot.name.rsplit(".", 1)[-1]
    content_type = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}.get(
        extension, "application/octet-stream"
    )
    response = FileResponse(handle, content_type=content_type)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
