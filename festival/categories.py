"""The festival's category tree (SPEC: featured goods and kinds of merchants).

Slugs are stable: partners filter the API by them and the demo data refers to
them. ``ensure_category_tree()`` creates what is missing and leaves existing
categories alone, so organisers may rename or reorder them in the admin.
"""

from dataclasses import dataclass, field

from django.db import transaction

from .models import Category, CertificateKind


@dataclass(frozen=True)
class CategoryNode:
    slug: str
    name: str
    name_en: str
    required_certificate_kind: str = ""
    children: tuple["CategoryNode", ...] = field(default_factory=tuple)


CATEGORY_TREE: tuple[CategoryNode, ...] = (
    CategoryNode("small-and-beautiful", "小而美网络品牌", '"Small and beautiful" online brands'),
    CategoryNode(
        "time-honoured",
        "中华老字号",
        "China Time-honoured Brands",
        required_certificate_kind=CertificateKind.TIME_HONOURED,
    ),
    CategoryNode(
        "certified-produce",
        "三品一标农产品",
        "Certified farm produce",
        children=(
            CategoryNode(
                "pollution-free",
                "无公害农产品",
                "Pollution-free agricultural products",
                required_certificate_kind=CertificateKind.POLLUTION_FREE,
            ),
            CategoryNode("green-food", "绿色食品", "Green food", required_certificate_kind=CertificateKind.GREEN_FOOD),
            CategoryNode(
                "organic",
                "有机农产品",
                "Organic agricultural products",
                required_certificate_kind=CertificateKind.ORGANIC,
            ),
            CategoryNode(
                "geographical-indication",
                "农产品地理标志",
                "Agricultural geographical indications",
                required_certificate_kind=CertificateKind.GEOGRAPHICAL_INDICATION,
            ),
        ),
    ),
    CategoryNode("catering", "餐饮美食", "Catering"),
    CategoryNode("tourism", "文旅出行", "Tourism"),
    CategoryNode("foreign-trade", "外贸优品", "Foreign-trade goods"),
    CategoryNode("silk-road", "丝路电商", "Silk Road e-commerce"),
)


def _walk(nodes, parent_slug=None):
    for position, node in enumerate(nodes, start=1):
        yield node, parent_slug, position
        yield from _walk(node.children, node.slug)


CATEGORY_SLUGS: tuple[str, ...] = tuple(node.slug for node, _parent, _position in _walk(CATEGORY_TREE))


@transaction.atomic
def ensure_category_tree() -> dict[str, Category]:
    """Create the missing categories of the tree; return every tree category by slug."""
    existing = {category.slug: category for category in Category.objects.filter(slug__in=CATEGORY_SLUGS)}
    for node, parent_slug, position in _walk(CATEGORY_TREE):
        if node.slug in existing:
            continue
        existing[node.slug] = Category.objects.create(
            slug=node.slug,
            name=node.name,
            name_en=node.name_en,
            parent=existing[parent_slug] if parent_slug else None,
            position=position,
            required_certificate_kind=node.required_certificate_kind,
        )
    return existing
