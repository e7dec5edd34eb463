"""The demo data: the 2020 Double Product Online Shopping Festival, a current
edition opening in a few days and a special session running right now.

Everything is drawn from fixed random seeds (one per part: merchants, each
edition), so the same code yields the same data. The merchants are planned in
pure Python; each edition is then replayed through the services, every
decision stamped at its own moment, so the audit trail reads like the real
festival: certificates verified, merchants applied and approved, promotions
filed, reviewed, made live and ended by the clock.

Idempotent: the category tree, organisers, logins, merchants and products are
looked up by their natural keys and created only when missing; a festival's
participations, promotions and prices are built only when that festival is
created. Running it twice changes nothing. After seeding, the clock has nothing
due: every promotion whose start has passed is live or over.

Domain events are muted while seeding: replayed decisions must not mail
merchants or call partners' webhooks.
"""

from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from core import events
from festival.categories import ensure_category_tree
from festival.models import Category, DailyResult, Festival, FestivalEvent, Organiser, TeamMembership
from logistics.models import Carrier, Coverage, ParcelReport
from merchants import services as merchant_services
from merchants.daily_sales import rebuild_daily_sales
from merchants.models import (
    Certificate,
    CertificateEvent,
    Membership,
    MembershipRole,
    Merchant,
    Participation,
    ParticipationEvent,
    PricePoint,
    Product,
    SalesReport,
)
from merchants.tallies import rebuild_participation_tallies
from promotions.clock import tick
from promotions.models import Promotion, PromotionEvent, PromotionItem
from promotions.tallies import rebuild_tallies

from . import data as demo_data
from .editions import CurrentEdition, HistoricEdition, RunningSpecial
from .logistics import ensure_bureau_login, ensure_carriers
from .plan import DEMO_PASSWORD, HISTORIC_SLUG, plan_merchants
from .reports import add_reports
from .teams import add_sub_festivals, ensure_national_team

User = get_user_model()


@dataclass
class DemoResult:
    created: list[str] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)
    editions: dict[str, str] = field(default_factory=dict)  # "historic" / "current" / "running" → slug


class DemoBuilder:
    def __init__(self, *, now):
        self.now = now
        self.result = DemoResult()
        self.plans = plan_merchants()

    # People and reference data

    def ensure_organisers(self):
        organisers = []
        for name, name_en, short_name in demo_data.ORGANISERS:
            organiser, _created = Organiser.objects.get_or_create(
                name=name, defaults={"name_en": name_en, "short_name": short_name}
            )
            organisers.append(organiser)
        return organisers

    def ensure_user(self, username, *, first_name, **flags):
        user, created = User.objects.get_or_create(
            username=username, defaults={"email": f"{username}@festival.example.cn", "first_name": first_name, **flags}
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
            self.result.created.append(f"user {username}")
        return user

    def ensure_users(self):
        organiser = self.ensure_user("organiser", first_name="组委会", is_staff=True, is_superuser=True)
        reviewer = self.ensure_user("reviewer", first_name="审核员", is_staff=True)
        self.ensure_user("viewer", first_name="观察员", is_staff=True)
        ensure_national_team(self)
        # Their roles are roles in the national organisers' team (demo/teams.py), not groups.
        self.organiser, self.reviewer = organiser, reviewer
        self.result.logins += [
            ("organiser", "superuser: /admin/"),
            ("reviewer", "staff reviewer: /admin/"),
            ("viewer", "staff, read-only: /admin/"),
        ]

    def ensure_merchants(self):
        self.merchants: dict[int, Merchant] = {}
        self.products: dict[str, Product] = {}
        existing_by_uscc = {m.uscc: m for m in Merchant.objects.filter(uscc__in=[p.uscc for p in self.plans if p.uscc])}
        new_merchants = new_products = 0
        for plan in self.plans:
            merchant = (
                existing_by_uscc.get(plan.uscc)
                if plan.uscc
                else Merchant.objects.filter(uscc__isnull=True, name=plan.name, country=plan.country).first()
            )
            if merchant is None:
                merchant = merchant_services.save_merchant(
                    Merchant(
                        name=plan.name,
                        legal_name=plan.legal_name,
                        uscc=plan.uscc,
                        kind=plan.kind,
                        country=plan.country,
                        website=f"https://shop{plan.index:03d}.example.cn/",
                        contact_name="联系人",
                        contact_email=plan.email,
                        contact_phone=f"400-800-{plan.index:04d}",
                    ),
                    by=self.organiser,
                )
                new_merchants += 1
            self.merchants[plan.index] = merchant
        existing_products = {
            (p.merchant_id, p.sku): p for p in Product.objects.filter(merchant__in=self.merchants.values())
        }
        for plan in self.plans:
            merchant = self.merchants[plan.index]
            for product_plan in plan.products:
                product = existing_products.get((merchant.pk, product_plan.sku))
                if product is None:
                    product = merchant_services.save_product(
                        Product(
                            merchant=merchant,
                            sku=product_plan.sku,
                            name=product_plan.name,
                            category=self.categories[product_plan.category],
                            unit="件",
                        )
                    )
                    new_products += 1
                self.products[product_plan.sku] = product
        if new_merchants or new_products:
            self.result.created.append(f"{new_merchants} merchants and {new_products} products")

    # Festivals

    def run(self) -> DemoResult:
        with events.muted(), transaction.atomic():
            self.categories = ensure_category_tree()
            self.organisers = self.ensure_organisers()
            self.ensure_users()
            self.ensure_merchants()
            self.carriers = ensure_carriers()
            if not Festival.objects.filter(slug=HISTORIC_SLUG).exists():
                HistoricEdition(self).build()
                self.result.created.append("festival 2020")
            current = CurrentEdition(self)
            if not Festival.objects.filter(slug=current.slug).exists():
                current.build()
                self.result.created.append(f"festival {current.slug}")
            # The running special draws on the merchants that sit the current edition out,
            # so no product is in two festivals' promotions at once.
            special = RunningSpecial(self, busy={p.index for p in current.participants()})
            if not Festival.objects.filter(slug=special.slug).exists():
                special.build()
                self.result.created.append(f"festival {special.slug}")
            self.ensure_merchant_login(current)
            add_reports(self)  # demo/reports.py: consumer reports in every status
            ensure_bureau_login(self)  # demo/logistics.py: the Post Bureau's staff
            # demo/teams.py: the national team, and 浙江分会场 and 四川分会场 with their reviewers.
            self.demo_merchant_index = current.demo_merchant_index
            add_sub_festivals(self, current.slug, busy_festival_slugs=[special.slug])
            # Always, even when nothing was created: a rerun weeks later finds boundaries
            # passed while the app was down, and the demo is left as the beat would leave it.
            self.catch_up_clock()
            # The dashboard's roll-ups, after whatever the demo wrote past the services.
            rebuild_tallies()
            rebuild_daily_sales()
            rebuild_participation_tallies()
        self.result.editions = {"historic": HISTORIC_SLUG, "current": current.slug, "running": special.slug}
        return self.result

    def catch_up_clock(self):
        """One clock tick at the seeding moment, so the beat finds nothing due: also
        settles an earlier run's editions whose boundaries have passed since."""
        tick(now=self.now)

    def ensure_merchant_login(self, current):
        user = self.ensure_user("merchant", first_name="商家")
        if not hasattr(user, "membership"):
            merchant = self.merchants[current.demo_merchant_index]
            Membership.objects.create(user=user, merchant=merchant, role=MembershipRole.OWNER)
        self.result.logins.append(("merchant", f"owner of {user.membership.merchant}: /merchant/"))


def seed_demo(*, now=None) -> DemoResult:
    """Create the demo data (idempotent); returns what was created and the logins."""
    return DemoBuilder(now=now or timezone.now()).run()


def demo_counts() -> dict[str, int]:
    """Row counts of everything the demo creates (used to prove idempotence)."""
    models = (
        Organiser,
        TeamMembership,
        Festival,
        FestivalEvent,
        Category,
        Merchant,
        Membership,
        Participation,
        ParticipationEvent,
        Certificate,
        CertificateEvent,
        Product,
        PricePoint,
        SalesReport,
        Promotion,
        PromotionItem,
        PromotionEvent,
        DailyResult,
        User,
        Carrier,
        ParcelReport,
        Coverage,
    )
    return {model._meta.label: model.objects.count() for model in models}
