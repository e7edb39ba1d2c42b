"""Django's ``{# … #}`` comments end at the line: a two-line one prints its text to users."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_no_template_has_a_multi_line_hash_comment() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in ROOT.rglob("templates/**/*.html")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if re.search(r"\{#(?!.*#\})", line)
    ]
    assert offenders == []
