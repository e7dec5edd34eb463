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
    """post_migrate: make sure every role group exists, with the permissions of models added since."""
    from django.apps import apps as global_apps

    # ``flush`` sends post_migrate without ``apps``: the installed models are the state then.
    apps = apps or global_apps
    try:
        group_model = apps.get_model("auth", "Group")
        permission_model = apps.get_model("auth", "Permission")
    except LookupError:  # auth is not (or no longer) migrated
        return
    # get_or_create: ``flush`` (run by transactional tests) empties the groups, then sends post_migrate.
    for name in ROLES:
        group, _created = group_model.objects.using(using).get_or_create(name=name)
        group.permissions.add(*role_permissions(permission_model, group.name).using(using))


# Teams (issue 14) --------------------------------------------------------------------------
#
# A staff user's role in an organiser's team is one of the groups above, read per organiser:
# TeamMembership.role names the group whose permissions the user holds *in that organiser's
# festivals* (festival/backends.py). Nobody needs to be a member of the groups themselves;
# they are the editable definitions of the roles.

ROLE_GROUPS = {
    "admin": ORGANISER_ADMIN,
    "reviewer": REVIEWER,
    "viewer": VIEWER,
    "association": CONSUMER_ASSOCIATION,
    "post_bureau": POST_BUREAU,
}

# What no team role grants, whatever its group holds: desk-wide tables that one organiser's
# scope cannot bound (people, the schedule, login lockouts, the log of every mail sent).
# Superusers manage them.
TEAM_EXCLUDED_APPS = frozenset({"auth", "admin", "contenttypes", "sessions", "django_celery_beat", "axes"})
TEAM_EXCLUDED_MODELS = frozenset({("festival", "sentnotification"), ("rest_framework_api_key", "apikey")})
# Reference tables shared by every team: readable by all, changed only by the national
# organisers' teams (an organiser without a province) and superusers.
TEAM_READ_ONLY_MODELS = frozenset(
    {
        ("festival", "organiser"),
        ("festival", "category"),
        ("festival", "province"),
        ("merchants", "timehonouredbrand"),
        ("logistics", "carrier"),
    }
)
# The State Post Bureau's data, kept per province: a provincial team reads its own province's
# rows (logistics/selectors.py), only the national organisers' teams (the bureau's) change them.
TEAM_NATIONAL_DATA_MODELS = frozenset(
    {
        ("logistics", "parcelreport"),
        ("logistics", "parcelreportversion"),
        ("logistics", "coverage"),
    }
)


def team_grants(app_label: str, codename: str, model_name: str, *, national: bool = False) -> bool:
    """Whether a role in a (national or provincial) organiser's team may hold this permission at all."""
    if app_label in TEAM_EXCLUDED_APPS or (app_label, model_name) in TEAM_EXCLUDED_MODELS:
        return False
    if (app_label, model_name) in TEAM_READ_ONLY_MODELS | TEAM_NATIONAL_DATA_MODELS:
        return national or codename.startswith("view_")
    return True
