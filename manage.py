#!/usr/bin/env python
"""Django's command-line utility; the same as the ``linli`` command."""

from linli.cli import main

if __name__ == "__main__":
    main()
