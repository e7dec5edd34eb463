"""Forms of the merchant portal. They validate input and shape it for the services;
querysets are always scoped to the signed-in merchant."""

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.forms import ModelCleanMessagesMixin, SanitisedImageField, https_urls
from core.templatetags.formatting import localname
from festival.models import Category

from . import selectors
from .models import Certificate, Merchant, Product
from .price_lists import PRICE_LIST_MAX_BYTES, ParsedPriceList, decode_price_list, parse_price_list
from .services import category_refusals


class MerchantProfileForm(ModelCleanMessagesMixin, forms.ModelForm):
    logo = SanitisedImageField(label=_("Logo"), required=False)

    class Meta:
        model = Merchant
        formfield_callback = https_urls
        fields = ["name", "legal_name", "website", "contact_name", "contact_email", "contact_phone", "logo"]


class CertificateForm(ModelCleanMessagesMixin, forms.ModelForm):
    document = SanitisedImageField(label=_("Scanned document"))

    class Meta:
        model = Certificate
        fields = ["kind", "number", "issuer", "valid_from", "valid_until", "document"]
        widgets = {
            "valid_from": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "valid_until": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }

    def __init__(self, *args, merchant, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.merchant = merchant


class ApplicationForm(forms.Form):
    """Apply to a festival. Categories that need a certificate the merchant does not
    hold (verified, valid across the window) are shown disabled with the reason."""

    categories = forms.ModelMultipleChoiceField(
        label=_("Categories"),
        queryset=Category.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one category.")},
    )

    def __init__(self, *args, merchant, festival, **kwargs):
        super().__init__(*args, **kwargs)
        self.festival = festival
        all_categories = list(Category.objects.select_related("parent").order_by("position", "pk"))
        self.refusals = category_refusals(merchant, festival, all_categories)
        self.fields["categories"].queryset = Category.objects.order_by("position", "pk")
        chosen = {str(value) for value in self.data.getlist("categories")} if self.is_bound else set()
        self.category_rows = [
            {
                "category": c,
                "refusal": self.refusals.get(c.pk),
                "child": c.parent_id is not None,
                "checked": str(c.pk) in chosen,
            }
            for c in _tree_order(all_categories)
        ]

    def clean_categories(self):
        categories = self.cleaned_data["categories"]
        refused = [self.refusals[c.pk] for c in categories if c.pk in self.refusals]
        if refused:
            raise ValidationError(refused)
        return categories


def category_label(category) -> str:
    """A category's name in the page's language, under its parent's."""
    name = localname(category)
    return f"{localname(category.parent)} / {name}" if category.parent_id else name


def _tree_order(categories):
    children: dict = {}
    for category in categories:
        children.setdefault(category.parent_id, []).append(category)
    ordered = []

    def walk(parent_id):
        for category in children.get(parent_id, []):
            ordered.append(category)
            walk(category.pk)

    walk(None)
    return ordered


class ProductForm(ModelCleanMessagesMixin, forms.ModelForm):
    class Meta:
        model = Product
        fields = ["sku", "name", "category", "unit", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, merchant, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.merchant = merchant
        self.fields["category"].queryset = Category.objects.order_by("position", "pk")
        self.fields["category"].label_from_instance = category_label

    def clean_sku(self):
        sku = self.cleaned_data["sku"].strip()
        clash = selectors.products_for(self.instance.merchant).filter(sku=sku).exclude(pk=self.instance.pk)
        if clash.exists():
            raise ValidationError(gettext("You already have a product with this SKU."))
        return sku


class PriceForm(forms.Form):
    price = forms.DecimalField(
        label=_("Price (CNY)"), min_value=Decimal("0.01"), max_digits=12, decimal_places=2, localize=False
    )
    recorded_at = forms.DateTimeField(
        label=_("Price valid from"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )


# Price lists (CSV): the parsing is in price_lists.py ---------------------------


class PriceListUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Price list (CSV)"),
        help_text=_("Columns sku, price, recorded_at. UTF-8 or GBK. Times without an offset are Beijing time."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv", "data-upload": "csv"}),
    )

    def __init__(self, *args, merchant, zone, **kwargs):
        super().__init__(*args, **kwargs)
        self.merchant = merchant
        self.zone = zone
        self.parsed: ParsedPriceList | None = None
        self.text = ""

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > PRICE_LIST_MAX_BYTES:
            raise ValidationError(
                gettext("The file is too large; the limit is %(mb)d MB.") % {"mb": PRICE_LIST_MAX_BYTES // 1024 // 1024}
            )
        self.text = decode_price_list(upload.read())
        return upload

    def clean(self):
        cleaned = super().clean()
        if self.text:
            self.parsed = parse_price_list(self.text, merchant=self.merchant, zone=self.zone)
        return cleaned


class PriceListConfirmForm(forms.Form):
    """The checked price list, sent back as text and checked again before saving."""

    csv_text = forms.CharField(widget=forms.HiddenInput, max_length=PRICE_LIST_MAX_BYTES * 2)

    def __init__(self, *args, merchant, zone, **kwargs):
        super().__init__(*args, **kwargs)
        self.merchant = merchant
        self.zone = zone
        self.parsed: ParsedPriceList | None = None

    def clean(self):
        cleaned = super().clean()
        if "csv_text" in cleaned:
            self.parsed = parse_price_list(cleaned["csv_text"], merchant=self.merchant, zone=self.zone)
        return cleaned
