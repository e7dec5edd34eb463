"""Unified Social Credit Code validation per GB 32100-2015."""

import pytest
from django.core.exceptions import ValidationError

from merchants import uscc

# Codes published on business licences of well-known companies, each checked by hand.
PUBLIC_CODES = [
    "914403001922038216",  # Huawei Technologies Co., Ltd.
    "9144030071526726XG",  # Shenzhen Tencent Computer Systems Co., Ltd.
    "91330100799655058B",  # Alibaba (China) Co., Ltd.
    "91110108558521630L",  # Beijing Xiaomi Technology Co., Ltd.
    "91350100M000100Y43",  # the example in GB 32100-2015's explanatory material
]


def test_check_character_worked_by_hand():
    # 9 1 4 4 0 3 0 0 1 9 2 2 0 3 8 2 1 weighted by 3^i mod 31 sums to 831;
    # 831 mod 31 = 25 and 31 - 25 = 6.
    assert sum(uscc.VALUES[c] * w for c, w in zip("91440300192203821", uscc.WEIGHTS, strict=True)) == 831

    assert uscc.check_character("91440300192203821") == "6"


def test_weights_are_powers_of_three_mod_31():
    assert uscc.WEIGHTS[:6] == [1, 3, 9, 27, 19, 26]


@pytest.mark.parametrize("code", PUBLIC_CODES)
def test_public_codes_are_valid(code):
    assert uscc.is_valid_uscc(code)


@pytest.mark.parametrize(
    "body",
    [
        "91110108MA01ABCDE",  # a post-2015 organisation code starting with MA
        "93370783123456789",  # a farmers' co-operative (category 93)
        "12100000400000624",  # a public institution (authority 1, category 2)
        "92440300L12345678",  # an individual business
        "91310115000000000",
    ],
)
def test_make_uscc_completes_valid_codes(body):
    code = uscc.make_uscc(body)

    assert len(code) == 18
    assert code.startswith(body)
    assert uscc.is_valid_uscc(code)


def test_check_character_31_becomes_zero():
    # A body whose weighted sum is a multiple of 31 has check character 0, not "31".
    assert uscc.check_character("00000000000000000") == "0"


def test_lowercase_and_spaces_are_normalised():
    assert uscc.normalise("  9144030071526726xg ") == "9144030071526726XG"
    assert uscc.is_valid_uscc("  9144030071526726xg ")


@pytest.mark.parametrize("code", ["91440300192203821", "9144030019220382160", ""])
def test_wrong_length_is_a_format_error(code):
    errors = uscc.format_errors(code)

    assert [e.code for e in errors] == ["uscc_length"]
    assert not uscc.is_valid_uscc(code)


@pytest.mark.parametrize("letter", ["I", "O", "S", "V", "Z"])
def test_forbidden_letters_are_format_errors(letter):
    code = "91440300192203821" + letter  # the letter as check character
    inside = "9144030019220" + letter + "8216"  # and inside the organisation code

    assert [e.code for e in uscc.format_errors(code)] == ["uscc_character"]
    assert [e.code for e in uscc.format_errors(inside)] == ["uscc_character"]
    with pytest.raises(ValidationError) as excinfo:
        uscc.validate_uscc(code)
    assert letter in str(excinfo.value)


def test_punctuation_is_a_format_error():
    assert [e.code for e in uscc.format_errors("91440300-922038216")] == ["uscc_character"]


def test_non_digit_region_is_a_format_error():
    code = uscc.make_uscc("91A40300192203821")  # valid alphabet and check, but region "A40300"

    assert [e.code for e in uscc.format_errors(code)] == ["uscc_region"]
    assert not uscc.is_valid_uscc(code)


@pytest.mark.parametrize("wrong", ["0", "7", "X", "A"])
def test_wrong_check_character(wrong):
    code = "91440300192203821" + wrong

    assert uscc.format_errors(code) == []
    error = uscc.check_error(code)
    assert error.code == "uscc_check"
    assert error.params == {"expected": "6"}
    with pytest.raises(ValidationError):
        uscc.validate_uscc(code)
