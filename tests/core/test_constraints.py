"""core.constraints: a model's CheckConstraints asked in one query give Django's own errors."""

import random
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, models
from django.test.utils import CaptureQueriesContext

from festival.models import Festival
from merchants.models import Merchant
from promotions.models import Promotion, PromotionKind
from tests.factories import FestivalFactory, MerchantFactory, PromotionFactory

pytestmark = pytest.mark.django_db

# Values that break (or keep) the promotion's constraints, drawn together at random.
PROMOTION_VALUES = {
    "kind": list(PromotionKind.values),
    "percent_off": [None, Decimal("0"), Decimal("20"), Decimal("100"), Decimal("-5")],
    "amount_off": [None, Decimal("0"), Decimal("30"), Decimal("500")],
    "threshold_amount": [None, Decimal("-1"), Decimal("200")],
    "coupon_value": [None, Decimal("0"), Decimal("10")],
    "coupon_quantity": [None, 100],
    "flash_quantity": [None, 50],
}


def errors_of(validate, **kwargs):
    try:
        validate(**kwargs)
    except ValidationError as error:
        return error.message_dict
    return None


def test_the_errors_are_djangos_for_every_combination_drawn():
    promotion = PromotionFactory()
    rng = random.Random(17)
    seen = set()
    for _ in range(120):
        for name, values in PROMOTION_VALUES.items():
            setattr(promotion, name, rng.choice(values))
        promotion.ends_at = promotion.starts_at + rng.choice([-1, 0, 1]) * (promotion.ends_at - promotion.starts_at)
        exclude = rng.choice([None, {"ends_at"}, {"kind"}, {"amount_off", "threshold_amount"}])

        ours = errors_of(promotion.validate_constraints, exclude=exclude)
        djangos = errors_of(models.Model.validate_constraints, self=promotion, exclude=exclude)

        assert ours == djangos
        seen.add(ours is None)
    assert seen == {True, False}  # both passing and failing instances were drawn


@pytest.mark.parametrize(
    ("factory", "model"), [(PromotionFactory, Promotion), (FestivalFactory, Festival), (MerchantFactory, Merchant)]
)
def test_one_query_asks_every_check_constraint(factory, model):
    instance = factory()
    checks = [c for c in model._meta.constraints if isinstance(c, models.CheckConstraint)]
    assert len(checks) >= 3

    with CaptureQueriesContext(connection) as queries:
        instance.validate_constraints()

    asked = [q["sql"] for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]]
    others = [c for c in model._meta.constraints if not isinstance(c, models.CheckConstraint)]
    assert len(asked) == 1 + len(others)


def test_a_null_condition_passes_as_in_the_database():
    promotion = PromotionFactory.build(festival=FestivalFactory(), merchant=MerchantFactory())
    promotion.ends_at = None  # "ends after start" is unknown, not false: the NOT NULL column speaks instead

    assert errors_of(promotion.validate_constraints) is None
