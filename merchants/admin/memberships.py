"""Memberships: who works for which merchant, in which role."""

from django.contrib import admin

from festival.admin_scoping import ScopedAdminMixin

from ..models import Membership


@admin.register(Membership)
class MembershipAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("user", "merchant", "role", "invited_by", "created_at")
    list_select_related = ("user", "merchant", "invited_by")
    list_filter = ("role",)
    search_fields = ("user__username", "user__email", "merchant__name")
    raw_id_fields = ("user", "merchant", "invited_by")
