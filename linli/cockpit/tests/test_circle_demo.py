"""Issue #9's "done when": the coverage analysis lists the buildings outside 15 minutes of a
canteen — on the demo street (``linli demo``), whose map does not depend on the scale.

The demo's buildings and facilities sit at fixed positions (linli/places/demo/plan.py), so
the list is exact: the four family blocks of the industrial park (its only canteen, the
workers' canteen, is by the dormitories) and eight blocks of 金凤苑 midway between its two
canteens and 阅海汇's.
Walking: great circle × 1.3 at 1.0 m/s, threshold 900 s.
"""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from linli.cockpit import circle
from linli.places.models import Area, AreaKind

pytestmark = pytest.mark.django_db

OUTSIDE_CANTEEN = {
    ("凤城工业集中区社区", "职工家属楼1号楼"),
    ("凤城工业集中区社区", "职工家属楼2号楼"),
    ("凤城工业集中区社区", "职工家属楼3号楼"),
    ("凤城工业集中区社区", "职工家属楼4号楼"),
    ("金凤苑社区", "33号楼"),
    ("金凤苑社区", "34号楼"),
    ("金凤苑社区", "35号楼"),
    ("金凤苑社区", "36号楼"),
    ("金凤苑社区", "43号楼"),
    ("金凤苑社区", "44号楼"),
    ("金凤苑社区", "45号楼"),
    ("金凤苑社区", "46号楼"),
}


def test_the_demo_street_lists_the_buildings_outside_15_minutes_of_a_canteen() -> None:
    call_command("demo", scale=0.01, seed=7, stdout=StringIO())
    street = Area.objects.get(kind=AreaKind.STREET)
    coverage, _ = circle.coverage_for(street, speed_m_s=1.0)
    canteen = coverage.kinds["canteen"]
    gaps = {(g.place.community, g.place.name) for g in canteen.gaps}
    assert gaps == OUTSIDE_CANTEEN
    farthest = canteen.gaps[0]
    assert farthest.place.name == "职工家属楼4号楼"
    assert farthest.nearest is not None and farthest.nearest.site.name == "园区职工食堂"
    assert farthest.nearest.seconds == pytest.approx(1234, abs=2)
    assert all(g.nearest and g.nearest.seconds > 900 for g in canteen.gaps)
    assert coverage.unlocated == ()
    assert canteen.facilities == 5 and canteen.buildings == 173
