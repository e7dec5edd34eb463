#!/usr/bin/env python
import os
import sys

# Commands that only inspect or build the project (no server, no worker, nothing signed
# with the key): they may run before a SECRET_KEY exists, e.g. a CI's migrations check on
# a fresh checkout. festival/settings.py gives them a throwaway key; everything else still
# refuses to start without a real one.
BUILD_COMMANDS = {
    "check",
    "makemigrations",
    "showmigrations",
    "sqlmigrate",
    "collectstatic",
    "compilemessages",
    "makemessages",
    "spectacular",
    "help",
}


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "festival.settings")
    if len(sys.argv) > 1 and sys.argv[1] in BUILD_COMMANDS:
        os.environ["FESTIVAL_BUILD_COMMAND"] = sys.argv[1]
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
