"""Test-wide set-up: a throwaway var/ dir and the canonical actors."""

from __future__ import annotations

import os
import tempfile

# Keys and the SQLite file of a test run never touch the developer's var/.
os.environ.setdefault("LINLI_VAR_DIR", tempfile.mkdtemp(prefix="linli-test-"))
