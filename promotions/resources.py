"""The promotions export of the review admin: what an organiser reads in a spreadsheet —
names rather than ids, the categories by name, none of the internal search document."""

from import_export import fields

from core.spreadsheets import ChunkedExportResource

from .models import Promotion


class PromotionResource(ChunkedExportResource):
    festival = fields.Field(attribute="festival__slug", column_name="festival")
    merchant = fields.Field(attribute="merchant__name", column_name="merchant")
    merchant_uscc = fields.Field(attribute="merchant__uscc", column_name="merchant_uscc")
    reviewed_by = fields.Field(attribute="reviewed_by__username", column_name="reviewed_by")
    categories = fields.Field(column_name="categories")

    class Meta:
        model = Promotion
        chunk_size = 2000
        fields = (
            "id",
            "festival",
            "merchant",
            "merchant_uscc",
            "title",
            "description",
            "kind",
            "status",
            "categories",
            "starts_at",
            "ends_at",
            "percent_off",
            "amount_off",
            "threshold_amount",
            "coupon_value",
            "coupon_quantity",
            "flash_quantity",
            "stream_host",
            "stream_url",
            "stream_starts_at",
            "submitted_at",
            "reviewed_at",
            "reviewed_by",
            "review_note",
            "went_live_at",
            "ended_at",
            "created_at",
            "updated_at",
        )
        export_order = fields

    def dehydrate_categories(self, promotion):
        return ", ".join(category.name for category in promotion.categories.all())  # prefetched per chunk
