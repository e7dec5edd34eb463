"""Money for the price engine: exact Decimal amounts of CNY, rounded half-up to the fen.

Money is never float. Every amount the engine stores, compares or shows goes
through ``to_fen``; ``format_percent`` is for messages only (stored
percentages keep their two places).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils.translation import gettext as _

from core.workflow import DomainError

FEN = Decimal("0.01")
ONE_FEN = FEN
HUNDRED = Decimal("100")


class PricingError(DomainError):
    """Bad input to the price engine (zero, negative or non-decimal money, bad percentages)."""


def to_fen(value) -> Decimal:
    """``value`` as CNY rounded half-up to the fen. Floats are refused: money is never float."""
    if isinstance(value, float | bool):
        raise PricingError(_("Amounts of money must be exact decimals, not floating-point numbers."), code="float")
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise PricingError(_("“%(value)s” is not an amount of money.") % {"value": value}, code="invalid") from None
    if not amount.is_finite():
        raise PricingError(_("“%(value)s” is not an amount of money.") % {"value": value}, code="invalid")
    return amount.quantize(FEN, rounding=ROUND_HALF_UP)


def positive_fen(value, *, what=None) -> Decimal:
    """``to_fen`` that refuses zero and negative amounts."""
    amount = to_fen(value)
    if amount <= 0:
        raise PricingError(
            _("%(what)s must be greater than zero.") % {"what": what or _("The price")}, code="not_positive"
        )
    return amount


def format_percent(value: Decimal) -> str:
    """20.00 → "20", 12.50 → "12.5" (for messages; stored values keep two places)."""
    text = f"{value.quantize(FEN, rounding=ROUND_HALF_UP):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
