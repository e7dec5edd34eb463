"""factory_boy factories for every model; one Trait per status."""

from datetime import timedelta
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.utils import timezone

from festival.models import Category, Festival, FestivalStatus, Organiser, TeamMembership, TeamRole
from merchants import daily_sales
from merchants import tallies as participation_tallies
from merchants.models import (
    Certificate,
    CertificateStatus,
    Membership,
    MembershipRole,
    Merchant,
    MerchantKind,
    Participation,
    ParticipationStatus,
    PricePoint,
    PriceSource,
    Product,
    SalesReport,
)
from merchants.uscc import make_uscc
from promotions import tallies
from promotions.models import Promotion, PromotionItem, PromotionKind, PromotionStatus

User = get_user_model()


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", "pass-word-123")

    @factory.post_generation
    def save_password(self, create, extracted, **kwargs):
        if create:
            self.save()


NATIONAL_ORGANISER = "National organisers (tests)"


def national_organiser():
    """The organiser every factory festival is run by (unless told otherwise): its team sees them all."""
    organiser, _created = Organiser.objects.get_or_create(
        name=NATIONAL_ORGANISER, defaults={"short_name": "national", "name_en": NATIONAL_ORGANISER}
    )
    return organiser


def join_team(user, role, organiser=None):
    from festival.backends import forget_team_permissions

    if role in ("admin", "reviewer", "viewer", "association", "post_bureau"):
        from festival.roles import ROLE_GROUPS
        from tests.admin_support import role_group

        role_group(ROLE_GROUPS[role])
    TeamMembership.objects.update_or_create(
        user=user, organiser=organiser or national_organiser(), defaults={"role": role}
    )
    forget_team_permissions(user)
    return user


class ReviewerFactory(UserFactory):
    """A staff user holding the review permissions (the reviewer group's core), in the national team."""

    is_staff = True

    @factory.post_generation
    def review_permissions(self, create, extracted, **kwargs):
        if create:
            self.user_permissions.add(
                *Permission.objects.filter(
                    codename__in=["review_promotion", "review_participation", "verify_certificate"]
                )
            )
            join_team(self, TeamRole.REVIEWER)


class SuperuserFactory(UserFactory):
    is_staff = True
    is_superuser = True


class OrganiserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organiser

    name = factory.Sequence(lambda n: f"Organiser {n}")
    short_name = factory.Sequence(lambda n: f"O{n}")


class FestivalFactory(factory.django.DjangoModelFactory):
    """By default a festival whose registration is open now and whose window opens in 10 days."""

    class Meta:
        model = Festival
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Festival {n}")
    slug = factory.Sequence(lambda n: f"festival-{n}")
    registration_opens_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=20))
    registration_closes_at = factory.LazyAttribute(lambda f: f.starts_at - timedelta(days=2))
    submission_deadline = factory.LazyAttribute(lambda f: f.starts_at - timedelta(days=1))
    starts_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=10))
    ends_at = factory.LazyAttribute(lambda f: f.starts_at + timedelta(days=13))
    min_discount_percent = Decimal("5")
    status = FestivalStatus.REGISTRATION

    @factory.post_generation
    def organisers(self, create, extracted, **kwargs):
        if not create:
            return
        if extracted is not None:
            self.organisers.set(extracted)
        elif self.parent_id is None:
            self.organisers.add(national_organiser())


class TeamMembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TeamMembership

    user = factory.SubFactory(UserFactory, is_staff=True)
    organiser = factory.SubFactory(OrganiserFactory)
    role = TeamRole.REVIEWER


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Category {n}")
    name_en = factory.LazyAttribute(lambda c: c.name)
    slug = factory.Sequence(lambda n: f"category-{n}")


def _uscc(n):
    # region 110108 (Beijing Haidian), organisation code from the sequence
    return make_uscc(f"9111010{n:010d}"[:17])


class MerchantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Merchant

    name = factory.Sequence(lambda n: f"Merchant {n}")
    legal_name = factory.LazyAttribute(lambda m: f"{m.name} Co., Ltd.")
    uscc = factory.Sequence(_uscc)
    kind = MerchantKind.BRAND_ENTERPRISE
    country = "CN"
    contact_email = factory.Sequence(lambda n: f"contact{n}@merchant.example")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    merchant = factory.SubFactory(MerchantFactory)
    role = MembershipRole.OWNER


class ParticipationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Participation
        skip_postgeneration_save = True

    merchant = factory.SubFactory(MerchantFactory)
    festival = factory.SubFactory(FestivalFactory)
    status = ParticipationStatus.APPROVED

    class Params:
        applied = factory.Trait(status=ParticipationStatus.APPLIED)
        rejected = factory.Trait(status=ParticipationStatus.REJECTED)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        """Inserted like a service would: counted in the dashboard's roll-up (merchants.tallies)."""
        participation = super()._create(model_class, *args, **kwargs)
        count_new_participation(participation)
        return participation

    @factory.post_generation
    def categories(self, create, extracted, **kwargs):
        """``categories=[…]``: claimed (and counted) as applying would."""
        if create and extracted:
            self.categories.set(extracted)
            participation_tallies.claims_changed(self, status=self.status, before=[], after={c.pk for c in extracted})


def count_new_participation(participation):
    participation_tallies.participation_moved(
        participation, from_status=None, to_status=participation.status, kind=participation.merchant.kind, categories=[]
    )


class CertificateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Certificate

    merchant = factory.SubFactory(MerchantFactory)
    kind = "green_food"
    number = factory.Sequence(lambda n: f"GF{n:012d}")
    issuer = "China Green Food Development Center"
    valid_from = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=365))
    valid_until = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=365))
    status = CertificateStatus.PENDING

    class Params:
        verified = factory.Trait(status=CertificateStatus.VERIFIED)


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    merchant = factory.SubFactory(MerchantFactory)
    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    name = factory.Sequence(lambda n: f"Product {n}")
    unit = "件"


class PricePointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PricePoint

    product = factory.SubFactory(ProductFactory)
    price = Decimal("100.00")
    recorded_at = factory.Sequence(lambda n: timezone.now() - timedelta(days=30, minutes=n))
    source = PriceSource.FORM


class PromotionFactory(factory.django.DjangoModelFactory):
    """A percent-off draft inside its festival's window, filed by an approved participant."""

    class Meta:
        model = Promotion
        skip_postgeneration_save = True

    festival = factory.SubFactory(FestivalFactory)
    merchant = factory.SubFactory(MerchantFactory)
    title = factory.Sequence(lambda n: f"Promotion {n}")
    kind = PromotionKind.PERCENT_OFF
    percent_off = Decimal("20")
    starts_at = factory.LazyAttribute(lambda p: p.festival.starts_at + timedelta(days=1))
    ends_at = factory.LazyAttribute(lambda p: p.starts_at + timedelta(days=3))
    status = PromotionStatus.DRAFT

    class Params:
        submitted = factory.Trait(status=PromotionStatus.SUBMITTED)
        changes_requested = factory.Trait(status=PromotionStatus.CHANGES_REQUESTED)
        approved = factory.Trait(status=PromotionStatus.APPROVED)
        live = factory.Trait(status=PromotionStatus.LIVE)
        ended = factory.Trait(status=PromotionStatus.ENDED)
        withdrawn = factory.Trait(status=PromotionStatus.WITHDRAWN)
        cancelled = factory.Trait(status=PromotionStatus.CANCELLED)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        """Inserted like a service would: counted in the dashboard's roll-up (promotions.tallies)."""
        promotion = super()._create(model_class, *args, **kwargs)
        tallies.add_promotion_counts({tallies.promotion_key(promotion): 1})
        return promotion

    @factory.post_generation
    def participation(self, create, extracted, **kwargs):
        if create:
            participation, created = Participation.objects.get_or_create(
                merchant=self.merchant, festival=self.festival, defaults={"status": ParticipationStatus.APPROVED}
            )
            if created:
                count_new_participation(participation)


class PromotionItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PromotionItem

    promotion = factory.SubFactory(PromotionFactory)
    product = factory.SubFactory(ProductFactory, merchant=factory.SelfAttribute("..promotion.merchant"))
    promo_price = Decimal("80.00")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        """Inserted like a service would: counted in the dashboard's roll-up (promotions.tallies)."""
        with tallies.items_changing([kwargs["promotion"].pk]):
            return super()._create(model_class, *args, **kwargs)


class SalesReportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SalesReport

    merchant = factory.SubFactory(MerchantFactory)
    festival = factory.SubFactory(FestivalFactory)
    date = factory.LazyAttribute(lambda r: r.festival.local(r.festival.starts_at).date())
    gmv = Decimal("10000.00")
    orders = 100

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        """Inserted like a service would: counted in its day's roll-up (merchants.daily_sales)."""
        report = super()._create(model_class, *args, **kwargs)
        daily_sales.add_daily_sales(report.festival_id, report.date, gmv=report.gmv, orders=report.orders, merchants=1)
        return report


class UncountedSalesReportFactory(SalesReportFactory):
    """A report loaded past the services (a bulk load): not in the roll-up until it is rebuilt."""

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return super(SalesReportFactory, cls)._create(model_class, *args, **kwargs)


class PriceReportFactory(factory.django.DjangoModelFactory):
    """A filed report (evidence as an empty snapshot); traits per status."""

    class Meta:
        model = "reports.PriceReport"

    item = factory.SubFactory(PromotionItemFactory, promotion__live=True)
    promotion = factory.SelfAttribute("item.promotion")
    merchant = factory.SelfAttribute("item.promotion.merchant")
    reason = "not_higher_before"
    seen_price = Decimal("80.00")
    seen_at = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=2))
    description = "The price was the same last week."
    email = ""
    evidence = factory.LazyFunction(dict)
    created_at = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=1))
    status = "received"

    class Params:
        under_review = factory.Trait(status="under_review")
        upheld = factory.Trait(status="upheld", decided_at=factory.LazyFunction(timezone.now), decision_note="Upheld.")
        dismissed = factory.Trait(
            status="dismissed", decided_at=factory.LazyFunction(timezone.now), decision_note="Dismissed."
        )


class CarrierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "logistics.Carrier"
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"C{n:03d}")
    name = factory.Sequence(lambda n: f"Carrier {n}")
    name_en = factory.LazyAttribute(lambda c: c.name)
    uscc = factory.Sequence(lambda n: make_uscc(f"9131000{n:010d}"[:17]))


class ParcelReportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "logistics.ParcelReport"

    carrier = factory.SubFactory(CarrierFactory)
    date = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=1))
    province_id = "330000"
    collected = 1000
    delivered = 900
    rural_collected = 100
    rural_delivered = 200
    channel = "api"


class CoverageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "logistics.Coverage"

    province_id = "330000"
    date = factory.LazyFunction(timezone.localdate)
    townships = 1365
    townships_served = 1365
    villages = 24000
    villages_served = 20000
