"""The demo's plan, in pure Python: constants, the 109 merchants and their products,
daily list prices. Nothing here touches the database; ``demo.editions`` replays the
plan through the services."""

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_DOWN, Decimal
from zoneinfo import ZoneInfo

from merchants.models import MerchantKind
from merchants.uscc import ALPHABET as USCC_ALPHABET
from merchants.uscc import make_uscc

from . import data as demo_data

DEMO_PASSWORD = "festival2020"
REVIEW_PERMISSIONS = ("promotions.review_promotion", "merchants.review_participation", "merchants.verify_certificate")
SEED = 2020
TZ = ZoneInfo("Asia/Shanghai")
FEN = Decimal("0.01")
JIAO = Decimal("0.1")
YUAN = Decimal("1")
# Amounts off are 12–30 % of the cheapest item's price, and an item is only put in a
# percent-off or amount-off promotion whose real discount stays at most this deep.
AMOUNT_OFF_PERCENT = (12, 30)
DEEPEST_DEMO_DISCOUNT = Decimal("40")

HISTORIC_SLUG = "2020"
HISTORIC_FIRST_DAY = date(2020, 4, 28)
HISTORIC_LAST_DAY = date(2020, 5, 10)
DAILY_PRICE_HOUR = 10  # list prices are recorded once a day, at 10:00 in the festival's zone
PRICE_HISTORY_DAYS = 42  # six weeks of daily prices before a festival opens
RAISE_DAYS_BEFORE = 12  # raise-then-cut: raised just outside a 7-day lookback, then "cut"
CURRENT_OPENS_IN_DAYS = 4
CURRENT_LENGTH_DAYS = 14
SPECIAL_OPENED_DAYS_AGO = 3  # the special session opened three days before the seeding
SPECIAL_DAYS_LEFT = 10  # and runs ten more days after the seeding day
UPCOMING_WITHIN_DAYS = 6  # its approved promotions start within a (7-day) lookback of the seeding
# Daily sales weight per merchant kind (a comprehensive platform sells 400 times a brand's share).
SALES_WEIGHTS = {
    MerchantKind.COMPREHENSIVE_PLATFORM: 400,
    MerchantKind.VERTICAL_PLATFORM: 40,
    MerchantKind.SERVICE_PLATFORM: 12,
    MerchantKind.BRAND_ENTERPRISE: 2,
    MerchantKind.CATERING: 4,
    MerchantKind.TOURISM: 5,
    MerchantKind.FOREIGN_TRADE: 2,
    MerchantKind.SILK_ROAD: 1,
}


def local(day: date, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute, second), tzinfo=TZ)


def chinese_number(n: int) -> str:
    digits = "零一二三四五六七八九"
    if n < 10:
        return digits[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else digits[tens]) + "十" + (digits[ones] if ones else "")


def _money(value) -> Decimal:
    return Decimal(value).quantize(FEN)


# The plan -------------------------------------------------------------------


def organisation_code(rng: random.Random) -> str:
    """Nine characters of an organisation code with its GB 11714 check character."""
    if rng.random() < 0.4:  # codes issued since 2015 start with MA
        body = "MA" + "".join(rng.choice(USCC_ALPHABET) for _ in range(6))
    else:
        body = "".join(rng.choice("0123456789") for _ in range(8))
    total = sum(int(char, 36) * weight for char, weight in zip(body, (3, 7, 9, 10, 5, 8, 4, 2), strict=True))
    check = 11 - total % 11
    return body + {10: "X", 11: "0"}.get(check, str(check))


@dataclass
class ProductPlan:
    sku: str
    name: str
    category: str
    base_price: Decimal
    raised_in: set[str] = field(default_factory=set)  # festival slugs for which it is raised, then "cut"


@dataclass
class MerchantPlan:
    index: int
    name: str
    legal_name: str
    kind: str
    country: str
    uscc: str | None
    categories: tuple[str, ...]
    certificate_kind: str
    products: list[ProductPlan]

    @property
    def email(self):
        return f"m{self.index:03d}@merchants.example.cn"


def plan_merchants() -> list[MerchantPlan]:
    rng = random.Random(f"{SEED}-merchants")
    plans, seen_codes = [], set()

    def uscc_for(region, legal_name):
        if region == "-":
            return None
        category = "3" if legal_name.endswith("专业合作社") else "1"  # 93: farmers' co-operative
        while True:
            code = make_uscc(f"9{category}{region}{organisation_code(rng)}")
            if code not in seen_codes:
                seen_codes.add(code)
                return code

    def products_for(index, categories, spec):
        products = []
        for n, pair in enumerate(spec.split(","), start=1):
            name, price = pair.rsplit(":", 1)
            products.append(ProductPlan(f"M{index:03d}-{n:02d}", name, categories[0], _money(price)))
        return products

    lines = [
        (kind, certificate, country, line)
        for kind, certificate, country, block in demo_data.MERCHANT_GROUPS
        for line in block.strip().splitlines()
    ]
    for kind, certificate, country, line in lines:
        name, legal_name, region, categories, products = line.split("|")
        index = len(plans) + 1
        categories = tuple(categories.split(","))
        plans.append(
            MerchantPlan(
                index,
                name,
                legal_name,
                kind,
                country,
                uscc_for(region, legal_name),
                categories,
                certificate,
                products_for(index, categories, products),
            )
        )
    for line in demo_data.SILK_ROAD_PARTNERS.strip().splitlines():
        name, legal_name, country, region, products = line.split("|")
        index = len(plans) + 1
        plans.append(
            MerchantPlan(
                index,
                name,
                legal_name,
                MerchantKind.SILK_ROAD,
                country,
                uscc_for(region, legal_name),
                ("silk-road",),
                "",
                products_for(index, ("silk-road",), products),
            )
        )
    return plans


def daily_prices(product: ProductPlan, rng, *, first_day, last_day, raise_from=None, until=None):
    """Daily 10:00 list prices: steady within ±2 % of the base (so no honest product
    looks raised), or raised by about a third from ``raise_from`` on."""
    steps = (Decimal("0.98"), Decimal("0.99"), Decimal("1"), Decimal("1"), Decimal("1.01"), Decimal("1.02"))
    raised = (product.base_price * Decimal(rng.choice(("1.3", "1.35", "1.4")))).quantize(Decimal("1")) - JIAO
    price, points, day = product.base_price, [], first_day
    while day <= last_day:
        moment = local(day, DAILY_PRICE_HOUR)
        if until is not None and moment > until:
            break
        if raise_from is not None and day >= raise_from:
            price = raised
        elif rng.random() < 0.12:
            price = _money((product.base_price * rng.choice(steps)).quantize(JIAO))
        points.append((moment, price))
        day += timedelta(days=1)
    return points


def promo_price(reference: Decimal, discount_percent) -> Decimal:
    return _money((reference * (100 - Decimal(discount_percent)) / 100).quantize(JIAO, rounding=ROUND_DOWN))


# Building --------------------------------------------------------------------
