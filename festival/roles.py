"""The organisers' roles in the admin, as groups of permissions.

The groups are created by the data migration festival/0002_organiser_groups;
``refresh_role_groups`` runs after every ``migrate`` so a model added later by
any app is covered too (it only fills existing groups, so reversing the
migration really removes them).
"""

ORGANISER_ADMIN = "Organiser admin"
REVIEWER = "Reviewer"
VIEWER = "Viewer"
# The China Consumers Association's staff: they see the festival's data and
# decide consumers' reports (reports app), nothing else.
CONSUMER_ASSOCIATION = "Consumer association"
# The State Post Bureau's staff: the logistics data only (carriers, parcel reports and
# their history, coverage) — they import carriers' files and edit coverage, and see
# nothing of merchants, promotions or reviews.
POST_BUREAU = "Post bureau"
ROLES = (ORGANISER_ADMIN, REVIEWER, VIEWER, CONSUMER_ASSOCIATION, POST_BUREAU)

# The festival's own data; reviewers and viewers read it, nothing else
# (no users, API keys, webhooks or schedules).
FESTIVAL_APPS = ("festival", "merchants", "logistics", "promotions", "reports")
POST_BUREAU_PERMISSIONS = (
    ("logistics", "view_carrier"),
    ("logistics", "view_parcelreport"),
    ("logistics", "add_parcelreport"),  # with change: the spreadsheet import
    ("logistics", "change_parcelreport"),
    ("logistics", "view_parcelreportversion"),
    ("logistics", "view_coverage"),
    ("logistics", "add_coverage"),
    ("logistics", "change_coverage"),
    ("logistics", "delete_coverage"),
)
REVIEW_PERMISSIONS = (
    ("merchants", "verify_certificate"),
    ("merchants", "review_participation"),
    ("promotions", "review_promotion"),
)
REPORT_PERMISSIONS = (("reports", "decide_report"),)


def role_permissions(permission_model, group_name):
    """The permissions a role holds (a queryset of ``permission_model``)."""
    permissions = permission_model.objects.all()
    if group_name == ORGANISER_ADMIN:
        return permissions
    if group_name == POST_BUREAU:
        granted = [
            pk
            for app_label, codename in POST_BUREAU_PERMISSIONS
            for pk in permissions.filter(content_type__app_label=app_label, codename=codename).values_list(
                "pk", flat=True
            )
        ]
        return permissions.filter(pk__in=granted)
    view = permissions.filter(content_type__app_label__in=FESTIVAL_APPS, codename__startswith="view_")
    if group_name == VIEWER:
        return view
    if group_name in (REVIEWER, CONSUMER_ASSOCIATION):
        granted = REVIEW_PERMISSIONS if group_name == REVIEWER else REPORT_PERMISSIONS
        review_ids = [
            pk
            for app_label, codename in granted
            for pk in permissions.filter(content_type__app_label=app_label, codename=codename).values_list(
                "pk", flat=True
            )
        ]
        return permissions.filter(pk__in=[*view.values_list("pk", flat=True), *review_ids])
    raise ValueError(f"unknown role {group_name!r}")


def refresh_role_groups(sender=None, apps=None, using="default", **kwargs):
    """post_migrate: give the existing role groups the permissions of models added since."""
    try:
        group_model = apps.get_model("auth", "Group")
        permission_model = apps.get_model("auth", "Permission")
    except (AttributeError, LookupError):  # auth is not (or no longer) migrated
        return
    for group in group_model.objects.using(using).filter(name__in=ROLES):
        group.permissions.add(*role_permissions(permission_model, group.name).using(using))
