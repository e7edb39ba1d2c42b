"""Start-up checks of the circle's walking speed and the map tiles' coordinate system.

A bad ``LINLI_CIRCLE_WALK_SPEED_M_S`` used to make every circle page a 500, a bad
``LINLI_MAP_TILES_CRS`` failed only when a map was asked for; both now stop the settings
from loading with :class:`~django.core.exceptions.ImproperlyConfigured`. Each case imports
``linli.settings`` in a fresh interpreter with the variable set.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

SCRIPT = "import linli.settings as s; print(s.LINLI_CIRCLE_WALK_SPEED_M_S, s.COCKPIT_MAP_TILES_CRS)"


def _load(**variables: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **variables}
    return subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"LINLI_CIRCLE_WALK_SPEED_M_S": "0"}, "LINLI_CIRCLE_WALK_SPEED_M_S must be a positive"),
        ({"LINLI_CIRCLE_WALK_SPEED_M_S": "-1"}, "LINLI_CIRCLE_WALK_SPEED_M_S must be a positive"),
        ({"LINLI_CIRCLE_WALK_SPEED_M_S": "nan"}, "LINLI_CIRCLE_WALK_SPEED_M_S must be a positive"),
        ({"LINLI_CIRCLE_WALK_SPEED_M_S": "inf"}, "LINLI_CIRCLE_WALK_SPEED_M_S must be a positive"),
        ({"LINLI_MAP_TILES_CRS": "bd09"}, "LINLI_MAP_TILES_CRS must be wgs84, cgcs2000 or gcj02"),
    ],
)
def test_bad_values_stop_start_up_with_a_clear_message(
    variables: dict[str, str], message: str
) -> None:
    result = _load(**variables)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and message in result.stderr


@pytest.mark.parametrize(
    ("variables", "shown"),
    [
        ({"LINLI_CIRCLE_WALK_SPEED_M_S": "1.2"}, "1.2 wgs84"),
        ({"LINLI_MAP_TILES_CRS": "GCJ-02"}, "1.0 gcj-02"),
        ({"LINLI_MAP_TILES_CRS": "cgcs2000"}, "1.0 cgcs2000"),
        ({"LINLI_MAP_TILES_CRS": ""}, "1.0"),  # empty: wgs84, as layers.tiles_crs reads it
    ],
)
def test_good_values_load(variables: dict[str, str], shown: str) -> None:
    result = _load(
        **{"LINLI_CIRCLE_WALK_SPEED_M_S": "", "LINLI_MAP_TILES_CRS": "wgs84", **variables}
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == shown or result.stdout.strip().startswith(shown)
