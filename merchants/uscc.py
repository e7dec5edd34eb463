"""Unified Social Credit Code (统一社会信用代码) per GB 32100-2015.

18 characters from the alphabet 0-9A-HJ-NPQRTUWXY (no I, O, S, V, Z):
1 registration authority, 1 organisation category, 6 digits of the
administrative division, 9 characters of organisation code, and a check
character: weights 3^i mod 31, check = 31 − (Σ mod 31), where 31 becomes 0.
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
VALUES = {char: value for value, char in enumerate(ALPHABET)}
WEIGHTS = [pow(3, i, 31) for i in range(17)]
LENGTH = 18


def normalise(code: str) -> str:
    return (code or "").strip().upper()


def check_character(first17: str) -> str:
    total = sum(VALUES[char] * weight for char, weight in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def format_errors(code: str) -> list[ValidationError]:
    """Errors a code has before its check character is considered (no override possible)."""
    if len(code) != LENGTH:
        return [
            ValidationError(
                _("A Unified Social Credit Code has 18 characters; this one has %(count)d."),
                code="uscc_length",
                params={"count": len(code)},
            )
        ]
    bad = sorted({char for char in code if char not in VALUES})
    if bad:
        return [
            ValidationError(
                _("A Unified Social Credit Code cannot contain %(chars)s (allowed: 0-9 and A-H, J-N, P-R, T, U, W-Y)."),
                code="uscc_character",
                params={"chars": ", ".join(f"“{c}”" for c in bad)},
            )
        ]
    if not code[2:8].isdigit():
        return [
            ValidationError(
                _("Characters 3 to 8 of a Unified Social Credit Code are the six-digit region code."),
                code="uscc_region",
            )
        ]
    return []


def check_error(code: str) -> ValidationError | None:
    expected = check_character(code[:17])
    if code[17] != expected:
        return ValidationError(
            _("The check character of this Unified Social Credit Code is wrong (expected “%(expected)s”)."),
            code="uscc_check",
            params={"expected": expected},
        )
    return None


def validate_uscc(code: str) -> None:
    """Full validation: format and check character."""
    code = normalise(code)
    errors = format_errors(code)
    if errors:
        raise ValidationError(errors)
    error = check_error(code)
    if error:
        raise error


def is_valid_uscc(code: str) -> bool:
    try:
        validate_uscc(code)
    except ValidationError:
        return False
    return True


def make_uscc(first17: str) -> str:
    """Complete 17 characters with their check character (demo data, tests)."""
    return first17 + check_character(first17)
