"""docs/devices.md stays true: its JSON Schema accepts its examples and agrees with the code."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from linli.devices.payload import PayloadError, parse_message, validate_event

DOC = (Path(__file__).resolve().parents[3] / "docs" / "devices.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```json\n(.*?)```", DOC, flags=re.S)


def schema() -> dict[str, Any]:
    found = [json.loads(b) for b in BLOCKS if '"$schema"' in b]
    assert len(found) == 1
    return found[0]


def examples() -> list[Any]:
    return [json.loads(b) for b in BLOCKS[:2]]


def test_the_schema_accepts_the_documented_examples_and_so_does_the_code() -> None:
    validator = jsonschema.Draft202012Validator(schema())
    for example in examples():
        validator.validate(example)
        for item in parse_message(json.dumps(example)):
            validate_event(item)


@pytest.mark.parametrize(
    "item",
    [
        {"event": "e", "device": "d", "ts": "2026-11-29T07:12:03", "kind": "sos"},
        {"event": "e", "device": "d", "ts": "2026-11-29T07:12:03Z", "kind": "water"},
        {"event": "e", "device": "d", "ts": "2026-11-29T07:12:03Z", "kind": "sos", "value": 1},
        {"event": "e", "device": "d", "ts": "2026-11-29T07:12:03Z", "kind": "sos", "x": 1},
        {"event": "", "device": "d", "ts": "2026-11-29T07:12:03Z", "kind": "sos"},
        {"event": "e", "device": "d", "ts": "2026-11-29T07:12:03Z", "kind": "power", "value": -1},
    ],
)
def test_what_the_schema_refuses_the_code_refuses(item: dict[str, Any]) -> None:
    assert not jsonschema.Draft202012Validator(schema()).is_valid(item)
    with pytest.raises(PayloadError):
        validate_event(item)
