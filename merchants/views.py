"""The merchant portal (/merchant/): thin views that call selectors and services.

Every view goes through ``merchant_required``: only users who work for a
merchant (a Membership) get in, and every read is scoped to that merchant,
so another merchant's ids answer 404.
"""

import zoneinfo
from functools import wraps

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.forms import KeptUploads, apply_validation_error
from core.workflow import DomainError
from festival.models import Festival

from . import selectors, services
from .forms import (
    ApplicationForm,
    CertificateForm,
    MerchantProfileForm,
    PriceForm,
    PriceListConfirmForm,
    PriceListUploadForm,
    ProductForm,
)
from .models import ParticipationStatus, PriceSource, Product
from .price_lists import price_list_template

DEFAULT_ZONE = "Asia/Shanghai"
# Rows per page of the portal's lists: a page never grows with the merchant's catalogue.
PORTAL_PAGE_SIZE = 50


def merchant_required(view):
    """Let in only signed-in users with a Membership; sets request.merchant.

    Staff accounts without a merchant get a page that says so (403), not a crash.
    """

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        membership = selectors.membership_for(request.user)
        if membership is None:
            return render(request, "merchant/no_membership.html", status=403)
        request.membership = membership
        request.merchant = membership.merchant
        return view(request, *args, **kwargs)

    return wrapper


# Accounts ---------------------------------------------------------------------


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True


class AccountSetupView(auth_views.PasswordResetConfirmView):
    """First login from an organiser's invitation: the link carries Django's
    default_token_generator token; the person chooses a password and lands on home."""

    template_name = "registration/account_setup.html"
    post_reset_login = True
    post_reset_login_backend = "django.contrib.auth.backends.ModelBackend"  # axes' backend is listed first
    success_url = reverse_lazy("merchant:home")

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, _("Welcome! Your password is set and you are signed in."))
        return response


# Festivals ---------------------------------------------------------------------


@merchant_required
@require_http_methods(["GET", "POST"])
def apply(request, festival_pk):
    merchant = request.merchant
    festival = get_object_or_404(Festival, pk=festival_pk)
    existing = selectors.participations_for(merchant).filter(festival=festival).first()
    if existing is not None and existing.status != ParticipationStatus.REJECTED:
        messages.info(
            request,
            _("You have already applied to %(festival)s (%(status)s).")
            % {"festival": festival, "status": existing.get_status_display()},
        )
        return redirect("merchant:home")
    form = ApplicationForm(_post_data(request), merchant=merchant, festival=festival)
    if request.method == "POST" and form.is_valid():
        try:
            services.apply_to_festival(merchant, festival, categories=form.cleaned_data["categories"], by=request.user)
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Your application to %(festival)s was sent.") % {"festival": festival})
            return redirect("merchant:home")
    registration_open = festival.registration_open_at(timezone.now())
    return render(
        request,
        "merchant/apply.html",
        {"form": form, "festival": festival, "registration_open": registration_open, "previous": existing},
    )


# Company profile and certificates --------------------------------------------------


@merchant_required
@require_http_methods(["GET", "POST"])
def profile(request):
    merchant = request.merchant
    form = MerchantProfileForm(*_posted(request), instance=merchant)
    if request.method == "POST" and form.is_valid():
        try:
            merchant = services.save_merchant(form.instance, by=request.user)
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, _("Your company profile was saved."))
            return redirect("merchant:profile")
    return render(request, "merchant/profile.html", {"form": form, "merchant": merchant})


@merchant_required
@require_http_methods(["GET", "POST"])
def certificates(request):
    merchant = request.merchant
    kept_uploads = KeptUploads(request, "document")
    data, files = _posted(request)
    files, kept_token = kept_uploads.restore(files)
    form = CertificateForm(data, files, merchant=merchant)
    kept = None
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in CertificateForm.Meta.fields}
        try:
            services.add_certificate(merchant, by=request.user, **fields)
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            kept_uploads.discard(kept_token)
            messages.success(request, _("The certificate was uploaded; organisers will verify it."))
            return redirect("merchant:certificates")
    if request.method == "POST" and "document" not in form.errors and form.cleaned_data.get("document"):
        # Another field has an error: keep the checked scan so it need not be chosen again.
        chosen = files.get("document")
        kept_uploads.discard(kept_token)
        kept = kept_uploads.keep(form.cleaned_data["document"], name=chosen.name if chosen else None)
    return render(
        request,
        "merchant/certificates.html",
        {
            "form": form,
            "kept": kept,
            "certificates": selectors.certificates_for(merchant),
            "today": timezone.localdate(),
        },
    )


# Products and prices ------------------------------------------------------------------


@merchant_required
def products(request):
    search = request.GET.get("q", "").strip()
    paginator = Paginator(selectors.products_with_latest_price(request.merchant, search=search), PORTAL_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    return render(request, "merchant/products.html", {"page_obj": page, "products": page.object_list, "search": search})


@merchant_required
@require_http_methods(["GET", "POST"])
def product_form(request, pk=None):
    merchant = request.merchant
    product = get_object_or_404(selectors.products_for(merchant), pk=pk) if pk else Product(merchant=merchant)
    form = ProductForm(_post_data(request), instance=product, merchant=merchant)
    if request.method == "POST" and form.is_valid():
        try:
            product = services.save_product(form.instance)
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, _("Product %(sku)s was saved.") % {"sku": product.sku})
            return redirect("merchant:product_detail", pk=product.pk)
    return render(request, "merchant/product_form.html", {"form": form, "product": product if pk else None})


@merchant_required
@require_http_methods(["GET", "POST"])
def product_detail(request, pk):
    product = get_object_or_404(selectors.products_for(request.merchant), pk=pk)
    zone = _price_zone(request.merchant)
    with timezone.override(zone):
        initial = {"recorded_at": timezone.localtime().replace(second=0, microsecond=0)}
        form = PriceForm(_post_data(request), initial=initial)
        if request.method == "POST" and form.is_valid():
            try:
                services.record_price(
                    product,
                    price=form.cleaned_data["price"],
                    recorded_at=form.cleaned_data["recorded_at"],
                    source=PriceSource.FORM,
                )
            except DomainError as error:
                form.add_error("recorded_at", error.message)
            except ValidationError as error:
                apply_validation_error(form, error)
            else:
                messages.success(request, _("The price was recorded."))
                return redirect("merchant:product_detail", pk=product.pk)
        return render(
            request,
            "merchant/product_detail.html",
            {"product": product, "form": form, "prices": selectors.price_history(product), "zone": zone},
        )


@merchant_required
@require_http_methods(["GET", "POST"])
def price_upload(request):
    """Step 1: upload and check. Nothing is saved here; a clean list goes to the preview."""
    merchant = request.merchant
    zone = _price_zone(merchant)
    form = PriceListUploadForm(*_posted(request), merchant=merchant, zone=zone)
    context = {"form": form, "zone": zone}
    if request.method == "POST" and form.is_valid():
        parsed = form.parsed
        if parsed.errors:
            context["row_errors"] = parsed.errors
        else:
            context["rows"] = parsed.rows
            context["confirm_form"] = PriceListConfirmForm(
                initial={"csv_text": form.text}, merchant=merchant, zone=zone
            )
    with timezone.override(zone):
        return render(request, "merchant/price_upload.html", context, status=400 if "row_errors" in context else 200)


@merchant_required
@require_http_methods(["POST"])
def price_upload_confirm(request):
    """Step 2: check the same list again and save all of it, or nothing."""
    merchant = request.merchant
    zone = _price_zone(merchant)
    form = PriceListConfirmForm(request.POST, merchant=merchant, zone=zone)
    if not form.is_valid() or form.parsed.errors:
        context = {
            "form": PriceListUploadForm(merchant=merchant, zone=zone),
            "row_errors": form.parsed.errors if form.parsed else [(0, _("The price list was lost; upload it again."))],
            "zone": zone,
        }
        return render(request, "merchant/price_upload.html", context, status=400)
    rows = [(product, price, moment) for _n, product, price, moment in form.parsed.rows]
    try:
        services.record_prices(rows, source=PriceSource.CSV)
    except (DomainError, ValidationError) as error:
        message = error.message if isinstance(error, DomainError) else " ".join(error.messages)
        messages.error(request, _("Nothing was saved: %(reason)s") % {"reason": message})
        return redirect("merchant:price_upload")
    messages.success(request, _("%(count)d prices were recorded.") % {"count": len(rows)})
    return redirect("merchant:products")


@merchant_required
def price_template(request):
    response = HttpResponse(price_list_template(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="price-list-template.csv"'
    return response


def _posted(request):
    """(data, files) of a POST, or (None, None): an empty POST is still a submitted, bound form."""
    if request.method == "POST":
        return request.POST, request.FILES
    return None, None


def _post_data(request):
    return _posted(request)[0]


def _price_zone(merchant):
    """Times without an offset are read in the zone of the merchant's festival (Beijing time by default)."""
    festival = selectors.approved_festivals_for(merchant).first()
    return festival.tz if festival else zoneinfo.ZoneInfo(DEFAULT_ZONE)
