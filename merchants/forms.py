"""Forms of the merchant portal. They validate input and shape it for the services;
querysets are always scoped to the signed-in merchant."""

from decimal import Decimal

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from festival.images import sanitise_image
from festival.models import Category
from merchants.templatetags.portal_tags import localname

from . import selectors
from .models import Certificate, Merchant, Product
from .price_lists import PRICE_LIST_MAX_BYTES, ParsedPriceList, decode_price_list, parse_price_list
from .services import category_refusals

IMAGE_ACCEPT = "image/jpeg,image/png,image/webp"


class SanitisedImageField(forms.FileField):
    """A file field that accepts only real JPEG/PNG/WebP images within the size and
    pixel limits; a new upload is returned re-encoded (metadata stripped).

    The content is checked, never the file name or the browser's content type.
    """

    widget = forms.ClearableFileInput

    def __init__(self, **kwargs):
        kwargs.setdefault(
            "help_text", _("JPEG, PNG or WebP, at most %(mb)s MB.") % {"mb": settings.UPLOAD_MAX_BYTES // 1024 // 1024}
        )
        super().__init__(**kwargs)
        self.widget.attrs.setdefault("accept", IMAGE_ACCEPT)
        self.widget.attrs.setdefault("data-upload", "image")

    def clean(self, data, initial=None):
        cleaned = super().clean(data, initial)
        if isinstance(cleaned, UploadedFile):
            return sanitise_image(cleaned)
        return cleaned


def apply_validation_error(form, error: ValidationError) -> None:
    """Show a service's ValidationError on the form: on the named fields where the form has them."""
    if hasattr(error, "error_dict"):
        for name, messages in error.message_dict.items():
            form.add_error(name if name in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)


def https_urls(model_field, **kwargs):
    """ModelForm field factory: links typed without a scheme are read as https://."""
    if isinstance(model_field, models.URLField):
        kwargs.setdefault("assume_scheme", "https")
    return model_field.formfield(**kwargs)


class ModelCleanMessagesMixin:
    """Validate with the model's clean() but not its database constraints: clean()
    explains each rule on its field, and the constraints behind the same rules would
    only repeat it with their internal names. The services still check both."""

    def _post_clean(self):
        full_clean = self.instance.full_clean

        def without_constraints(*args, **kwargs):
            kwargs["validate_constraints"] = False
            return full_clean(*args, **kwargs)

        self.instance.full_clean = without_constraints
        try:
            super()._post_clean()
        finally:
            del self.instance.full_clean


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
