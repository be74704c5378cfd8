"""The `catedra` command: Django's manage.py for this project."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "catedra.settings")
    from django.core.exceptions import ImproperlyConfigured

    try:
        from django.core.management import execute_from_command_line

        execute_from_command_line(sys.argv)
    except ImproperlyConfigured as exc:
        # A configuration problem is the operator's to fix: say it plainly, no traceback.
        print(f"catedra: {exc}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
