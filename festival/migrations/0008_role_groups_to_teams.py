"""Issue 14: the desk-wide role groups become roles in organiser teams.

Each member of a role group (Organiser admin, Reviewer, Viewer, Consumer association)
joins the team of every organiser that runs a festival (there are no sub-festivals yet,
so these are the national organisers) with that role, and leaves the group: the groups
stay as the roles' definitions, and a group's members get no scope (README, "Teams").
A user in several groups keeps the strongest role.
"""

from django.db import migrations

ROLE_OF_GROUP = {
    "Organiser admin": "admin",
    "Reviewer": "reviewer",
    "Consumer association": "association",
    "Viewer": "viewer",
}
STRENGTH = ["admin", "reviewer", "association", "viewer"]


def groups_to_teams(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Festival = apps.get_model("festival", "Festival")
    TeamMembership = apps.get_model("festival", "TeamMembership")
    organisers = sorted(set(Festival.organisers.through.objects.values_list("organiser_id", flat=True)))
    roles = {}
    for group in Group.objects.filter(name__in=ROLE_OF_GROUP):
        role = ROLE_OF_GROUP[group.name]
        for user_id in group.user_set.values_list("pk", flat=True):
            current = roles.get(user_id)
            if current is None or STRENGTH.index(role) < STRENGTH.index(current):
                roles[user_id] = role
    TeamMembership.objects.bulk_create(
        [
            TeamMembership(user_id=user_id, organiser_id=organiser_id, role=role)
            for user_id, role in roles.items()
            for organiser_id in organisers
        ],
        ignore_conflicts=True,
    )
    if organisers:
        for group in Group.objects.filter(name__in=ROLE_OF_GROUP):
            group.user_set.clear()


def teams_to_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    TeamMembership = apps.get_model("festival", "TeamMembership")
    groups = {role: Group.objects.filter(name=name).first() for name, role in ROLE_OF_GROUP.items()}
    for user_id, role in TeamMembership.objects.values_list("user_id", "role"):
        if groups.get(role) is not None:
            groups[role].user_set.add(user_id)


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("festival", "0007_teams"),
    ]

    operations = [migrations.RunPython(groups_to_teams, teams_to_groups)]
