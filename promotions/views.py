"""Promotion pages of the merchant portal: thin views over promotions.services.

Dates are shown and entered in the festival's time zone (timezone.override
around validation and rendering). Repeated actions (a double click on
"submit") get a calm answer instead of an error.
"""

from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from core.forms import apply_validation_error
from core.workflow import DomainError
from merchants import selectors as merchant_selectors
from merchants.views import PORTAL_PAGE_SIZE, merchant_required

from . import pricing, selectors, services
from .forms import FestivalChoiceForm, PromotionForm, PromotionItemFormSet, WithdrawForm, kinds_using
from .models import (
    KIND_FIELDS,
    CheckStatus,
    Promotion,
    PromotionItem,
    PromotionKind,
    PromotionStatus,
    ReferenceSource,
    fields_for_kind,
)

S = PromotionStatus

# What the merchant should do next, per status (shown on the home page).
NEXT_STEPS = {
    S.DRAFT: gettext_lazy("Finish the draft, check the prices and submit it for review."),
    S.SUBMITTED: gettext_lazy("Waiting for the organisers' review; nothing to do."),
    S.CHANGES_REQUESTED: gettext_lazy("Changes requested: read the reviewer's note, edit and resubmit."),
    S.APPROVED: gettext_lazy("Approved: it goes live automatically when it starts."),
    S.LIVE: gettext_lazy("Live now. You may still withdraw it."),
    S.ENDED: gettext_lazy("Ended."),
    S.WITHDRAWN: gettext_lazy("Withdrawn by you."),
    S.CANCELLED: gettext_lazy("Cancelled by the organisers; see the note."),
}


@merchant_required
def home(request):
    merchant = request.merchant
    groups = [
        {
            "status": group.status,
            "count": group.count,
            "promotions": group.latest,
            "has_more": group.has_more,
            "label": S(group.status).label,
            "next_step": NEXT_STEPS[group.status],
        }
        for group in selectors.promotion_groups(merchant)
    ]
    fileable = set(merchant_selectors.festivals_open_for_promotions(merchant).values_list("pk", flat=True))
    context = {
        "participations": merchant_selectors.participations_for(merchant),
        "open_festivals": merchant_selectors.festivals_open_for_application(merchant),
        "promotion_groups": groups,
        "can_file": bool(fileable),
        "fileable_festival_pks": fileable,  # filing is offered only in these festivals
    }
    return render(request, "merchant/home.html", context)


@merchant_required
def promotion_list(request):
    """All the merchant's promotions of one status, latest first, a page at a time."""
    status = request.GET.get("status", "")
    if status not in S.values:
        raise Http404(_("No such status."))
    paginator = Paginator(selectors.promotions_with_status(request.merchant, status), PORTAL_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    context = {"status": status, "label": S(status).label, "next_step": NEXT_STEPS[status], "page_obj": page}
    return render(request, "merchant/promotion_list.html", context)


@merchant_required
def promotion_new(request):
    """Choose the festival first: its window and time zone shape the form."""
    festivals = merchant_selectors.festivals_open_for_promotions(request.merchant)
    form = FestivalChoiceForm(request.GET or None, merchant=request.merchant)
    if form.is_valid():
        return redirect("merchant:promotion_create", festival_pk=form.cleaned_data["festival"].pk)
    if not request.GET and festivals.count() == 1:
        return redirect("merchant:promotion_create", festival_pk=festivals.get().pk)
    return render(request, "merchant/promotion_new.html", {"form": form, "festivals": festivals})


@merchant_required
@require_http_methods(["GET", "POST"])
def promotion_create(request, festival_pk):
    festival = get_object_or_404(merchant_selectors.festivals_open_for_promotions(request.merchant), pk=festival_pk)
    return _promotion_form(request, festival, None)


@merchant_required
@require_http_methods(["GET", "POST"])
def promotion_edit(request, pk):
    promotion = get_object_or_404(selectors.promotions_for(request.merchant), pk=pk)
    if not promotion.is_editable:
        messages.info(
            request,
            _("This promotion is “%(status)s” and can no longer be edited.")
            % {"status": promotion.get_status_display()},
        )
        return redirect("merchant:promotion_detail", pk=promotion.pk)
    return _promotion_form(request, promotion.festival, promotion)


def _promotion_form(request, festival, promotion):
    merchant = request.merchant
    with timezone.override(festival.tz):
        if request.method == "POST":
            form = PromotionForm(request.POST, request.FILES, instance=promotion, merchant=merchant, festival=festival)
            formset = PromotionItemFormSet(request.POST, prefix="items", form_kwargs={"merchant": merchant})
            form_ok = form.is_valid()
            if form_ok and formset.is_valid():
                saved = _save_promotion(request, form, formset, festival, promotion)
                if saved is not None:
                    return redirect("merchant:promotion_detail", pk=saved.pk)
        else:
            form = PromotionForm(instance=promotion, merchant=merchant, festival=festival)
            initial = (
                [{"product": item.product_id, "promo_price": item.promo_price} for item in promotion.items.all()]
                if promotion
                else []
            )
            formset = PromotionItemFormSet(prefix="items", initial=initial, form_kwargs={"merchant": merchant})
            if promotion:
                formset.extra = 1
        context = {
            "form": form,
            "formset": formset,
            "festival": festival,
            "promotion": promotion,
            "window_start": festival.local(festival.starts_at),
            "window_end": festival.local(festival.ends_at),
            "kind_field_kinds": {name: kinds_using(name) for name in KIND_FIELDS},
            "has_products": merchant_selectors.products_for(merchant).exists(),
            "deadline": festival.local(festival.submission_deadline),
            "deadline_passed": festival.submission_deadline_passed_at(timezone.now()),
        }
        return render(request, "merchant/promotion_form.html", context)


def _save_promotion(request, form, formset, festival, promotion):
    fields = form.promotion_fields()
    try:
        if promotion is None:
            promotion = services.create_promotion(
                merchant=request.merchant,
                festival=festival,
                by=request.user,
                items=formset.items(),
                categories=form.cleaned_data["categories"],
                **fields,
            )
            messages.success(request, _("The draft was saved. Check the prices, then submit it."))
        else:
            promotion = services.update_promotion(
                promotion, by=request.user, items=formset.items(), categories=form.cleaned_data["categories"], **fields
            )
            messages.success(request, _("Your changes were saved."))
    except ValidationError as error:
        apply_validation_error(form, error)
        return None
    except DomainError as error:
        form.add_error(None, error.message)
        return None
    return promotion


@merchant_required
def promotion_detail(request, pk):
    promotion = get_object_or_404(selectors.promotion_detail_for(request.merchant), pk=pk)
    with timezone.override(promotion.festival.tz):
        return render(
            request,
            "merchant/promotion_detail.html",
            {
                "promotion": promotion,
                "festival": promotion.festival,
                "items": promotion.items.all(),
                "events": promotion.events.all(),
                "next_step": NEXT_STEPS[promotion.status],
                "can_withdraw": promotion.can_move_to(S.WITHDRAWN),
                "withdraw_form": WithdrawForm(),
                "kind_values": _kind_values(promotion),
            },
        )


def _kind_values(promotion):
    return [
        (Promotion._meta.get_field(name).verbose_name, getattr(promotion, name))
        for name in fields_for_kind(promotion.kind)
        if getattr(promotion, name) not in (None, "")
    ]


@merchant_required
def promotion_preview(request, pk):
    """The honest-price check of every item before submitting (computed now, not stored)."""
    promotion = get_object_or_404(selectors.promotion_detail_for(request.merchant), pk=pk)
    return _render_preview(request, promotion, selectors.preview_checks(promotion))


def _render_preview(request, promotion, checks, *, refusals=None, status=200):
    failing = [check for check in checks if check.status == CheckStatus.FAIL]
    with timezone.override(promotion.festival.tz):
        return render(
            request,
            "merchant/promotion_preview.html",
            {
                "promotion": promotion,
                "festival": promotion.festival,
                "checks": checks,
                "failing": failing,
                "refusals": refusals or {},
                "can_submit": promotion.can_move_to(S.SUBMITTED) and not failing and bool(checks),
            },
            status=status,
        )


@merchant_required
@require_POST
def promotion_submit(request, pk):
    promotion = get_object_or_404(selectors.promotions_for(request.merchant), pk=pk)
    if promotion.status == S.SUBMITTED:
        messages.info(request, _("This promotion was already submitted; it is waiting for review."))
        return redirect("merchant:promotion_detail", pk=promotion.pk)
    try:
        services.submit_promotion(promotion, by=request.user)
    except services.SubmissionRefused as refusal:
        messages.error(request, _("Not submitted: %(reason)s Fix the items below.") % {"reason": refusal.message})
        promotion = get_object_or_404(selectors.promotion_detail_for(request.merchant), pk=pk)
        return _render_preview(
            request, promotion, selectors.preview_checks(promotion), refusals=refusal.details, status=400
        )
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("merchant:promotion_detail", pk=promotion.pk)
    messages.success(request, _("Submitted for review. You will see the organisers' decision here."))
    return redirect("merchant:promotion_detail", pk=promotion.pk)


@merchant_required
@require_POST
def promotion_withdraw(request, pk):
    promotion = get_object_or_404(selectors.promotions_for(request.merchant), pk=pk)
    if promotion.status == S.WITHDRAWN:
        messages.info(request, _("This promotion was already withdrawn."))
        return redirect("merchant:promotion_detail", pk=promotion.pk)
    form = WithdrawForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        services.withdraw_promotion(promotion, by=request.user, note=note)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The promotion was withdrawn."))
    return redirect("merchant:promotion_detail", pk=promotion.pk)


@merchant_required
@require_POST
def promotion_delete(request, pk):
    promotion = get_object_or_404(selectors.promotions_for(request.merchant), pk=pk)
    try:
        services.delete_promotion(promotion, by=request.user)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("merchant:promotion_detail", pk=promotion.pk)
    messages.success(request, _("The draft “%(title)s” was deleted.") % {"title": promotion.title})
    return redirect("merchant:home")


def _decimal_param(request, name):
    raw = (request.GET.get(name) or "").strip().replace(",", "")
    if not raw:
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        return None
    return value if value.is_finite() and value > 0 else None


@merchant_required
def promotion_price_hint(request, festival_pk):
    """The arithmetic of one item row, for the promotion form's script (JSON, nothing stored).

    GET product, kind, starts_at (festival local time, optional: the festival's start),
    percent_off / amount_off (the terms) and promo_price (the merchant's own, optional).
    Answers the reference price and its source (the honest-price engine's), for
    percent-off and amount-off the price the terms give, the minimum-discount verdict
    of the price in the row (the merchant's, else the computed one), and what consumers
    pay. A price of the merchant's lower than the terms give is allowed (it is the
    item's price, which the final price applies) and explained in a note; a higher
    one gets the stored check's warning."""
    participation = get_object_or_404(
        request.merchant.participations.select_related("festival"), festival_id=festival_pk
    )
    festival = participation.festival
    raw_product = request.GET.get("product") or ""
    product = (
        merchant_selectors.products_for(request.merchant).filter(pk=int(raw_product)).first()
        if raw_product.isdigit() and len(raw_product) < 12
        else None
    )
    if product is None:
        return JsonResponse({"error": _("Choose one of your own products.")}, status=400)
    starts_at = festival.starts_at
    raw_start = request.GET.get("starts_at") or ""
    if raw_start:
        try:
            parsed = datetime.strptime(raw_start, "%Y-%m-%dT%H:%M")
        except ValueError:
            return JsonResponse({"error": _("Enter the start as YYYY-MM-DDTHH:MM.")}, status=400)
        starts_at = timezone.make_aware(parsed, festival.tz)
    kind = request.GET.get("kind") or ""
    if kind not in PromotionKind.values:
        kind = ""
    promotion = Promotion(
        festival=festival,
        merchant=request.merchant,
        kind=kind,
        starts_at=starts_at,
        percent_off=_decimal_param(request, "percent_off") if kind == PromotionKind.PERCENT_OFF else None,
        amount_off=_decimal_param(request, "amount_off") if kind == PromotionKind.AMOUNT_OFF else None,
    )
    own_price = _decimal_param(request, "promo_price")
    item = PromotionItem(promotion=promotion, product=product, promo_price=own_price)
    reference = pricing.reference_price(product.pk, starts_at=starts_at, lookback_days=festival.price_lookback_days)
    before = pricing.last_price_before(product.pk, starts_at)
    computed = pricing.price_the_promotion_gives(item, before) if kind else None
    price = own_price if own_price is not None else computed
    return JsonResponse(_price_verdict(festival, promotion, item, reference, before, computed, price, own_price))


def _price_verdict(festival, promotion, item, reference, before, computed, price, own_price):
    minimum = festival.min_discount_percent
    # Lower than the terms give by more than the check's tolerance: allowed, explained.
    deeper = own_price is not None and computed is not None
    deeper = deeper and computed - pricing.to_fen(own_price) > pricing.DECLARED_PRICE_TOLERANCE
    # What consumers pay for the item under this promotion alone: the terms, or the
    # merchant's own price when it is lower (the final price applies it too).
    pays = min(pricing.to_fen(price), computed) if price is not None and computed is not None else price
    answer = {
        "reference_price": str(reference.price) if reference.price is not None else None,
        "reference_source": reference.source,
        "reference_source_label": str(ReferenceSource(reference.source).label),
        "computed_price": str(computed) if computed is not None else None,
        "price": str(pricing.to_fen(price)) if price is not None else None,
        "consumer_price": str(pricing.to_fen(pays)) if pays is not None else None,
        "deeper_than_terms": deeper,
        "min_discount_percent": pricing.format_percent(Decimal(minimum)),
        "discount_percent": None,
        "verdict": "unknown",
        "message": "",
        "notes": [],
    }
    _judge_discount(answer, reference, price, minimum)
    if own_price is None or computed is None:
        return answer
    price = pricing.to_fen(price)
    if deeper:
        values = {"given": computed, "price": price, "discount": answer["discount_percent"]}
        if answer["discount_percent"] not in (None, "0"):
            note = _(
                "Lower than the ¥%(given)s the terms give: allowed. Consumers pay ¥%(price)s, "
                "a real discount of %(discount)s%%."
            )
        else:
            note = _("Lower than the ¥%(given)s the terms give: allowed. Consumers pay ¥%(price)s.")
        answer["notes"].append(note % values)
    else:
        reasons = pricing.declared_price_reasons(item, price, before)
        answer["notes"].extend(str(reason) for reason in reasons.warnings)
    return answer


def _judge_discount(answer, reference, price, minimum):
    """The minimum-discount verdict of ``price`` against the reference, into ``answer``."""
    if reference.price is None:
        answer["message"] = _("No price history before the start: the discount cannot be checked.")
        return
    if price is None:
        answer["message"] = _("Enter the promotional price to see the discount.")
        return
    price = pricing.to_fen(price)
    values = {"minimum": answer["min_discount_percent"], "reference": reference.price}
    if price >= reference.price:
        answer.update(verdict="fail", discount_percent="0")
        answer["message"] = _("Not a discount: the price is not below the reference price ¥%(reference)s.") % values
        return
    discount = pricing.real_discount_percent(reference.price, price)
    values["discount"] = pricing.format_percent(discount)
    answer["discount_percent"] = values["discount"]
    if pricing.meets_min_discount(reference.price, price, minimum):
        answer["verdict"] = "pass"
        answer["message"] = (
            _("%(discount)s%% off the reference price: meets the festival's minimum of %(minimum)s%%.") % values
        )
    else:
        answer["verdict"] = "fail"
        answer["message"] = (
            _("%(discount)s%% off the reference price: below the festival's minimum of %(minimum)s%%.") % values
        )
