"""Finding 8: text inputs refuse control and bidi-override characters and have stated maximum lengths."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from core.validators import TEXT_MAX_LENGTH, reject_control_characters
from promotions.models import Promotion
from tests.api.conftest import key_client
from tests.factories import MerchantFactory, PromotionFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("char", ["\u202a", "\u202e", "\u2066", "\u2069", "\x00", "\x07", "\x1b", "\x7f", "\x85"])
def test_the_shared_validator_refuses_control_and_bidi_characters(char):
    with pytest.raises(ValidationError) as refused:
        reject_control_characters(f"Sale{char}gpj.exe")
    assert "control or text-direction character" in refused.value.messages[0]
    assert f"U+{ord(char):04X}" in refused.value.messages[0]


def test_line_breaks_and_tabs_and_chinese_text_are_fine():
    reject_control_characters("双品网购节\n第二行\r\n\t缩进")


def test_models_refuse_them_so_portal_forms_and_admin_do():
    merchant = MerchantFactory()
    merchant.name = "Shop\u202eevil"
    with pytest.raises(ValidationError) as refused:
        merchant.full_clean()
    assert "name" in refused.value.message_dict


def test_text_fields_have_a_maximum_length():
    promotion = PromotionFactory()
    promotion.description = "x" * (TEXT_MAX_LENGTH + 1)
    with pytest.raises(ValidationError) as refused:
        promotion.full_clean()
    assert "description" in refused.value.message_dict


def _promotion_body(festival, **extra):
    start = festival.starts_at + timedelta(days=1)
    return {
        "festival": festival.slug,
        "title": "Mine",
        "kind": "percent_off",
        "percent_off": "10.00",
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(days=1)).isoformat(),
        **extra,
    }


@pytest.mark.parametrize(
    "extra,field",
    [
        ({"title": "Sale\u202etxt.exe"}, "title"),
        ({"description": "ok\x00"}, "description"),
        ({"description": "x" * (TEXT_MAX_LENGTH + 1)}, "description"),
    ],
    ids=["bidi-title", "nul-description", "long-description"],
)
def test_the_api_refuses_them_with_a_clear_message_and_saves_nothing(client_a, festival, extra, field):
    response = client_a.post("/api/v1/promotions/", _promotion_body(festival, **extra), format="json")

    assert response.status_code == 400, response.content
    assert field in str(response.json())
    assert not Promotion.objects.filter(title__startswith="Mine").exists()


def test_the_schema_states_the_limits():
    schema = key_client().get("/api/v1/schema/?format=json").json()
    request = schema["components"]["schemas"]["PromotionCreateRequest"]["properties"]

    # A description may be blank: the text (pattern and length) is one branch, "" the other.
    text, blank = request["description"]["oneOf"]
    assert text["maxLength"] == TEXT_MAX_LENGTH and "pattern" in text
    assert blank == {"type": "string", "maxLength": 0}
    assert "maxLength" in request["title"]


@pytest.mark.parametrize("value", ["null", "abc", "0", "-3"])
def test_a_page_size_that_is_not_a_whole_number_from_1_is_refused(anon_client, value):
    response = anon_client.get(f"/api/v1/festivals/?page_size={value}")

    assert response.status_code == 400
    assert "page_size" in str(response.json())


def test_the_schema_states_the_page_size_minimum():
    schema = key_client().get("/api/v1/schema/?format=json").json()
    parameters = schema["paths"]["/api/v1/festivals/"]["get"]["parameters"]
    page_size = next(p for p in parameters if p["name"] == "page_size")

    assert page_size["schema"]["minimum"] == 1
