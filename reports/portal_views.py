"""Reports about the merchant's own promotions: reason, item, evidence and
outcome (never the consumer's email, IP or screenshot), and one answer before the decision."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from merchants.views import merchant_required

from . import selectors, services
from .forms import AnswerForm


@merchant_required
def report_list(request):
    reports = selectors.reports_for_merchant(request.merchant)
    return render(request, "reports/portal_list.html", {"reports": reports})


@merchant_required
@require_http_methods(["GET", "POST"])
def report_detail(request, pk):
    report = get_object_or_404(selectors.reports_for_merchant(request.merchant), pk=pk)
    form = None
    if report.merchant_answered_at is None and not report.is_decided:
        form = AnswerForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.answer_report(report, merchant=request.merchant, note=form.cleaned_data["note"])
            except services.ReportError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, _("Your answer was sent to the consumer association."))
                return redirect("merchant_reports:detail", pk=report.pk)
    elif request.method == "POST":
        messages.info(request, _("This report can no longer be answered."))
        return redirect("merchant_reports:detail", pk=report.pk)
    return render(
        request,
        "reports/portal_detail.html",
        {"report": report, "form": form, "evidence": report.evidence},
        status=400 if form is not None and form.is_bound else 200,
    )
