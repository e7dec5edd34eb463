"""Approved participants (merchants) and their contact details."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from merchants.models import Merchant, ParticipationStatus


class MerchantContactSerializer(serializers.Serializer):
    contact_name = serializers.CharField(read_only=True)
    contact_email = serializers.CharField(read_only=True)
    contact_phone = serializers.CharField(read_only=True)
    website = serializers.CharField(read_only=True)


class MerchantSerializer(serializers.ModelSerializer):
    """An approved participant. Contact details only for organisers and the merchant itself."""

    categories = serializers.SerializerMethodField()
    festivals = serializers.SerializerMethodField()
    contact = serializers.SerializerMethodField()
    province = serializers.CharField(
        source="province_id", read_only=True, allow_null=True, help_text="GB/T 2260 code, e.g. 330000 (Zhejiang)."
    )

    class Meta:
        model = Merchant
        fields = ["id", "name", "kind", "country", "province", "uscc", "categories", "festivals", "contact"]
        read_only_fields = fields

    def _approved(self, merchant):
        # Views prefetch the approved participations as ``approved_participations``.
        participations = getattr(merchant, "approved_participations", None)
        if participations is None:
            participations = merchant.participations.filter(status=ParticipationStatus.APPROVED).prefetch_related(
                "categories", "festival"
            )
        return participations

    @extend_schema_field(serializers.ListField(child=serializers.SlugField()))
    def get_categories(self, merchant) -> list[str]:
        slugs = {c.slug for p in self._approved(merchant) for c in p.categories.all()}
        return sorted(slugs)

    @extend_schema_field(serializers.ListField(child=serializers.SlugField()))
    def get_festivals(self, merchant) -> list[str]:
        return sorted({p.festival.slug for p in self._approved(merchant)})

    @extend_schema_field(MerchantContactSerializer(allow_null=True))
    def get_contact(self, merchant):
        viewer = self.context.get("actor")
        if viewer is None or not viewer.may_see_contact_of(merchant):
            return None
        return MerchantContactSerializer(merchant).data
