"""The ``linli`` command: Django's manage.py with Linli's own subcommands.

``linli import-roster …`` is the management command ``import_roster``: hyphens in the
first argument become underscores, so the documented spellings work.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    """Run a management command; ``argv`` defaults to ``sys.argv``."""
    args = list(sys.argv if argv is None else argv)
    if len(args) > 1 and not args[1].startswith("-"):
        args[1] = args[1].replace("-", "_")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "linli.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(args)


if __name__ == "__main__":
    main()
