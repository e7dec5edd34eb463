"""Forms for filing promotions in the merchant portal.

Dates are entered and shown in the festival's time zone: the views activate
that zone around validation and rendering. The form lists every kind-specific
field, grouped by the kinds that use it; a small script hides the groups the
chosen kind does not need, and without the script the model's clean() still
refuses a field the kind does not use.
"""

from datetime import timedelta
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.forms import ModelCleanMessagesMixin, SanitisedImageField, https_urls
from festival.models import Category
from merchants import selectors as merchant_selectors
from merchants.forms import category_label

from .models import KIND_FIELDS, KIND_OPTIONAL_FIELDS, KIND_REQUIRED_FIELDS, Promotion, PromotionKind

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"
# The order a merchant reads the kind fields in ("spend 200, get 30 off": threshold first).
_READING_ORDER = (
    "percent_off",
    "threshold_amount",
    "amount_off",
    "coupon_value",
    "coupon_quantity",
    "flash_quantity",
    "stream_host",
    "stream_url",
    "stream_starts_at",
)
KIND_FIELD_ORDER = [name for name in _READING_ORDER if name in KIND_FIELDS] + [
    name for name in KIND_FIELDS if name not in _READING_ORDER
]


def _datetime_widget(festival):
    attrs = {"type": "datetime-local"}
    if festival is not None:
        # The first whole minute inside the window: a minute-precision input cannot say 10:00:30.
        start = festival.local(festival.starts_at)
        if start.second or start.microsecond:
            start = start.replace(second=0, microsecond=0) + timedelta(minutes=1)
        attrs["min"] = f"{start:{DATETIME_LOCAL}}"
        attrs["max"] = f"{festival.local(festival.ends_at):{DATETIME_LOCAL}}"
    return forms.DateTimeInput(attrs=attrs, format=DATETIME_LOCAL)


def kinds_using(field_name) -> list[str]:
    return [
        kind
        for kind in PromotionKind.values
        if field_name in KIND_REQUIRED_FIELDS[kind] + KIND_OPTIONAL_FIELDS.get(kind, ())
    ]


class PromotionForm(ModelCleanMessagesMixin, forms.ModelForm):
    banner = SanitisedImageField(label=_("Banner image"), required=False)

    class Meta:
        model = Promotion
        formfield_callback = https_urls
        fields = ["title", "description", "kind", "starts_at", "ends_at", *KIND_FIELDS, "categories", "banner"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "categories": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args, merchant, festival, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.merchant = merchant
        self.instance.festival = festival
        self.festival = festival
        for name in ("starts_at", "ends_at", "stream_starts_at"):
            self.fields[name].widget = _datetime_widget(festival)
        self.fields["kind"].widget.attrs["data-kind-select"] = "1"
        self.fields["categories"].queryset = _categories_for(merchant, festival)
        self.fields["categories"].label_from_instance = category_label
        for name in KIND_FIELDS:
            kinds = kinds_using(name)
            self.fields[name].widget.attrs["data-kinds"] = " ".join(kinds)
            self.fields[name].kinds = kinds

    @property
    def general_fields(self):
        return [self[name] for name in ("title", "description", "kind", "starts_at", "ends_at")]

    @property
    def kind_fields(self):
        return [self[name] for name in KIND_FIELD_ORDER]

    def promotion_fields(self) -> dict:
        """The cleaned model fields for create_promotion / update_promotion."""
        data = {name: self.cleaned_data.get(name) for name in ("title", "description", "kind", "starts_at", "ends_at")}
        for name in KIND_FIELDS:
            value = self.cleaned_data.get(name)
            data[name] = "" if value is None and name in ("stream_host", "stream_url") else value
        banner = self.cleaned_data.get("banner")
        if "banner" in self.changed_data:
            data["banner"] = banner or ""
        return data


def _categories_for(merchant, festival):
    """Categories the merchant may promote in: those its participation claims, with their children."""
    participation = merchant.participations.filter(festival=festival).first() if festival else None
    claimed = list(participation.categories.values_list("pk", flat=True)) if participation else []
    if claimed:
        children = Category.objects.filter(parent_id__in=claimed).values_list("pk", flat=True)
        return Category.objects.filter(pk__in=[*claimed, *children]).order_by("position", "pk")
    return Category.objects.filter(required_certificate_kind="").order_by("position", "pk")


class PromotionItemForm(forms.Form):
    product = forms.ModelChoiceField(
        label=_("Product"),
        queryset=None,
        error_messages={"invalid_choice": _("Choose one of your own products.")},
    )
    promo_price = forms.DecimalField(
        label=_("Promotional price (CNY)"), min_value=Decimal("0.01"), max_digits=12, decimal_places=2
    )

    def __init__(self, *args, merchant, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = merchant_selectors.products_for(merchant)
        self.fields["promo_price"].error_messages["min_value"] = gettext(
            "The promotional price must be greater than zero."
        )


class BasePromotionItemFormSet(forms.BaseFormSet):
    def clean(self):
        super().clean()
        seen = set()
        for form in self.forms:
            if not form.is_valid() or form.cleaned_data.get("DELETE") or not form.cleaned_data:
                continue
            product = form.cleaned_data["product"]
            if product.pk in seen:
                form.add_error("product", gettext("This product is already listed above."))
            seen.add(product.pk)
        if not self.items():
            raise ValidationError(gettext("Add at least one item (a product and its promotional price)."))

    def items(self) -> list[dict]:
        return [
            {"product": form.cleaned_data["product"], "promo_price": form.cleaned_data["promo_price"]}
            for form in self.forms
            if form.is_valid() and form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]


PromotionItemFormSet = forms.formset_factory(
    PromotionItemForm, formset=BasePromotionItemFormSet, extra=2, can_delete=True, max_num=200, validate_max=True
)


class FestivalChoiceForm(forms.Form):
    festival = forms.ModelChoiceField(label=_("Festival"), queryset=None, empty_label=None)

    def __init__(self, *args, merchant, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["festival"].queryset = merchant_selectors.festivals_open_for_promotions(merchant)


class WithdrawForm(forms.Form):
    note = forms.CharField(label=_("Why (optional)"), required=False, max_length=500)
