"""The consumer's report form and the association's / merchant's small forms."""

from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.forms import SanitisedImageField

from .models import ReportReason


class ItemChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, item):
        return f"{item.product.name} · ¥{item.promo_price}"


class ReportForm(forms.Form):
    item = ItemChoiceField(label=_("Item"), queryset=None, empty_label=None)
    reason = forms.ChoiceField(label=_("What is wrong?"), choices=ReportReason.choices, widget=forms.RadioSelect)
    seen_price = forms.DecimalField(
        label=_("The price you saw (¥)"),
        min_value=Decimal("0.01"),
        max_digits=12,
        decimal_places=2,
        error_messages={"invalid": _("Enter the price as a number, e.g. 89.90.")},
    )
    seen_at = forms.DateTimeField(
        label=_("When you saw it"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"],
        error_messages={"invalid": _("Enter a date and time, e.g. 2026-11-26 20:30.")},
    )
    description = forms.CharField(
        label=_("Describe what happened"), max_length=2000, widget=forms.Textarea(attrs={"rows": 4})
    )
    email = forms.EmailField(
        label=_("Your email (optional)"),
        required=False,
        help_text=_("Only for updates on this report; never shown to the merchant or the public."),
    )
    screenshot = SanitisedImageField(label=_("Screenshot (optional)"), required=False)

    def __init__(self, *args, promotion, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].queryset = promotion.items.select_related("product").order_by("pk")

    def clean_seen_at(self):
        seen_at = self.cleaned_data["seen_at"]
        if seen_at > timezone.now():
            raise forms.ValidationError(_("The moment you saw the price cannot be in the future."), code="future")
        return seen_at


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"), choices=[("upheld", _("Uphold")), ("dismissed", _("Dismiss"))], widget=forms.RadioSelect
    )
    note = forms.CharField(label=_("Note (required)"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)
    request_cancellation = forms.BooleanField(
        label=_("Request the promotion's cancellation (an organiser with review permission confirms it)"),
        required=False,
    )
    warn_merchant = forms.BooleanField(label=_("Mark the merchant warned"), required=False)


class AnswerForm(forms.Form):
    note = forms.CharField(label=_("Your answer"), widget=forms.Textarea(attrs={"rows": 4}), max_length=2000)
