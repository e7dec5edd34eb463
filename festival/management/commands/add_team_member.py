"""python manage.py add_team_member USERNAME --organiser SHORT_NAME --role admin|reviewer|viewer [--password P]

Puts a staff user in an organiser's team with a role (creating the user if missing);
run again to change the role. ``--role association`` gives the Consumer association's role.
"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from festival.models import TeamRole
from festival.teams import add_team_member, find_organiser


class Command(BaseCommand):
    help = "Add a staff user to an organiser's team with a role (creates the user if missing)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--organiser", required=True, help="The organiser's short name, e.g. 浙江省商务厅.")
        parser.add_argument("--role", required=True, choices=TeamRole.values)
        parser.add_argument("--password", help="The new user's password (for an existing user: their new one).")
        parser.add_argument("--email", default="", help="The new user's email address (digests go there).")

    def handle(self, *args, username, organiser, role, password=None, email="", **options):
        try:
            found = find_organiser(organiser)
            change = add_team_member(
                username=username,
                organiser=found,
                role=role,
                password=password,
                email=email,
                may_set_existing_password=True,
            )
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from None
        membership = change.membership
        what = "created staff user" if change.user_created else "user"
        verb = "is now" if change.role_changed else "was already"
        self.stdout.write(
            f"{what} {membership.user.username} {verb} {membership.get_role_display()} "
            f"in the team of {found.name} ({found.short_name})."
        )
        if change.user_created and not change.password_set:
            self.stdout.write(
                "No password was given: set one with manage.py changepassword, or run again with --password."
            )
        elif change.password_set:
            self.stdout.write("Password set.")
