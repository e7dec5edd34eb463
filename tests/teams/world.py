"""Two provincial sub-festivals of one national edition, with one object of every kind each.

浙江 (marker ZJMARK) is "own" for the provincial actors, 四川 (SCMARK) is "other's". Every
name that a page could show carries its sub-festival's marker, so a body check finds any
leak: a list row, a filter choice, an inline row, a count's label, a select option.

The Post Bureau's data is per province, not per festival: each side has a parcel report (with a
replaced version) and a coverage row of its province, marked by the province's name
(PROVINCE_MARKS), and one carrier reports in both (carriers are a shared reference table).
"""

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from api.models import WebhookDelivery
from api.services import create_api_key, create_webhook_subscription
from festival.models import DailyResult, Organiser, Province, TeamRole
from logistics.models import ParcelReportVersion
from merchants.models import Membership, MembershipRole
from merchants.uscc import make_uscc
from tests.admin_support import role_group
from tests.factories import (
    CarrierFactory,
    CertificateFactory,
    CoverageFactory,
    FestivalFactory,
    MerchantFactory,
    ParcelReportFactory,
    ParticipationFactory,
    PricePointFactory,
    PriceReportFactory,
    ProductFactory,
    PromotionFactory,
    PromotionItemFactory,
    SalesReportFactory,
    SuperuserFactory,
    TeamMembershipFactory,
    UserFactory,
    national_organiser,
)

MARKS = {"zj": "ZJMARK", "sc": "SCMARK"}
PROVINCE_MARKS = {"zj": "浙江省", "sc": "四川省"}
ACTORS = (
    "superuser",
    "national_admin",
    "national_reviewer",
    "provincial_admin",
    "provincial_reviewer",
    "provincial_viewer",
    "other_reviewer",
    "merchant",
    "anonymous",
)


@dataclass
class Side:
    mark: str
    organiser: Organiser
    festival: object
    objects: dict = field(default_factory=dict)


@dataclass
class World:
    edition: object
    sides: dict
    users: dict
    carrier: object = None


def _side(key, edition, province_code, uscc_region, n, carrier):
    mark = MARKS[key]
    province = Province.objects.get(code=province_code)
    organiser = Organiser.objects.create(
        name=f"{province.name}商务厅 {mark}", short_name=f"{key}-office", province=province
    )
    festival = FestivalFactory(
        name=f"{province.name[:2]}分会场 {mark}",
        slug=f"sub-{key}",
        parent=edition,
        starts_at=edition.starts_at,
        ends_at=edition.ends_at,
        organisers=[organiser],
    )
    merchant = MerchantFactory(
        name=f"Merchant {mark}", uscc=make_uscc(f"91{uscc_region}MA0{n:07d}"[:17]), province=province
    )
    side = Side(mark=mark, organiser=organiser, festival=festival)
    participation = ParticipationFactory(merchant=merchant, festival=festival, applied=True)
    certificate = CertificateFactory(merchant=merchant, issuer=f"Issuer {mark}")
    product = ProductFactory(merchant=merchant, name=f"Product {mark}", sku=f"SKU-{mark}")
    price = PricePointFactory(product=product, recorded_at=timezone.now() - timedelta(days=3))
    promotion = PromotionFactory(merchant=merchant, festival=festival, submitted=True, title=f"Promotion {mark}")
    item = PromotionItemFactory(promotion=promotion, product=product, promo_price=Decimal("80.00"))
    live = PromotionFactory(merchant=merchant, festival=festival, live=True, title=f"Live promotion {mark}")
    live_item = PromotionItemFactory(promotion=live, product=ProductFactory(merchant=merchant, name=f"Other {mark}"))
    report = PriceReportFactory(item=live_item, description=f"Report {mark}")
    sales = SalesReportFactory(merchant=merchant, festival=festival)
    daily = DailyResult.objects.get(festival=festival, date=sales.date)  # the report's day, rolled up
    merchant_user = UserFactory(username=f"merchant-{key}")
    membership = Membership.objects.create(user=merchant_user, merchant=merchant, role=MembershipRole.OWNER)
    key_obj, raw = create_api_key(name=f"Key {mark}", scopes=["read", "reports:read"], organiser=organiser)
    webhook = create_webhook_subscription(
        url=f"https://{mark.lower()}.example.com/hook", events=["promotion.approved"], api_key=key_obj
    )
    delivery = WebhookDelivery.objects.create(
        subscription=webhook, event_type="promotion.approved", payload={"mark": mark}
    )
    parcel = ParcelReportFactory(
        carrier=carrier, province_id=province_code, collected=1000 * n, reporter=f"bureau {mark}"
    )
    version = ParcelReportVersion.objects.create(
        report=parcel,
        collected=100 * n,
        delivered=90 * n,
        rural_collected=10 * n,
        rural_delivered=9 * n,
        channel="import",
        reporter=f"bureau {mark}",
        replaced_through="api",
        replaced_by=f"carrier {mark}",
    )
    coverage = CoverageFactory(province_id=province_code)
    side.objects.update(
        parcelreport=parcel,
        parcelreportversion=version,
        coverage=coverage,
        festival=festival,
        organiser=organiser,
        merchant=merchant,
        participation=participation,
        certificate=certificate,
        product=product,
        pricepoint=price,
        promotion=promotion,
        promotionitem=item,
        pricereport=report,
        salesreport=sales,
        dailyresult=daily,
        membership=membership,
        apikey=key_obj,
        webhooksubscription=webhook,
        webhookdelivery=delivery,
    )
    side.raw_key = raw
    side.merchant_user = merchant_user
    return side


def build_world() -> World:
    for group in ("Organiser admin", "Reviewer", "Viewer", "Consumer association"):
        role_group(group)
    national = national_organiser()
    edition = FestivalFactory(name="National edition", slug="edition", organisers=[national])
    carrier = CarrierFactory(code="LOGI", name="Carrier LOGI", name_en="Carrier LOGI")
    sides = {
        "zj": _side("zj", edition, "330000", "330106", 1, carrier),
        "sc": _side("sc", edition, "510000", "510107", 2, carrier),
    }

    def member(username, organiser, role):
        return TeamMembershipFactory(
            user=UserFactory(username=username, is_staff=True), organiser=organiser, role=role
        ).user

    users = {
        "superuser": SuperuserFactory(username="root"),
        "national_admin": member("national-admin", national, TeamRole.ADMIN),
        "national_reviewer": member("national-reviewer", national, TeamRole.REVIEWER),
        "provincial_admin": member("zj-admin", sides["zj"].organiser, TeamRole.ADMIN),
        "provincial_reviewer": member("zj-reviewer", sides["zj"].organiser, TeamRole.REVIEWER),
        "provincial_viewer": member("zj-viewer", sides["zj"].organiser, TeamRole.VIEWER),
        "other_reviewer": member("sc-reviewer", sides["sc"].organiser, TeamRole.REVIEWER),
        "merchant": sides["zj"].merchant_user,
        "anonymous": None,
    }
    # A team membership of each side, for the team pages (the provincial reviewers' own).
    sides["zj"].objects["teammembership"] = users["provincial_reviewer"].team_memberships.get()
    sides["sc"].objects["teammembership"] = users["other_reviewer"].team_memberships.get()
    return World(edition=edition, sides=sides, users=users, carrier=carrier)


def sees(actor: str) -> set[str]:
    """Which sides' objects an actor sees."""
    if actor in ("superuser", "national_admin", "national_reviewer"):
        return {"zj", "sc"}
    if actor.startswith("provincial_"):
        return {"zj"}
    if actor == "other_reviewer":
        return {"sc"}
    return set()
