"""Loaded by pytest with ``-p`` before Django settings: tests get a throwaway var/ dir.

Keys, the SQLite file and static files of a test run never touch the developer's ``var/``.
"""

from __future__ import annotations

import os
import tempfile

os.environ.setdefault("LINLI_VAR_DIR", tempfile.mkdtemp(prefix="linli-test-"))
