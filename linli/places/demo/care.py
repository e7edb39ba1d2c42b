"""Demo proactive care: device history for the elders of one micro-grid, so that the
micro-grid worker's page (``/care/``, log-in ``sq1_mg0101``) shows real routines, last signs
of life and alerts on a fresh ``make run``.

Runs after the demo's transaction has committed (the care hook evaluates events after each
commit): watches for everyone living alone, then :data:`HISTORY_DAYS` days of the life model
(:mod:`linli.routines.live`) for the equipped residents of that micro-grid — at most
:data:`MAX_HOMES` — ingested as gateway batches through :func:`linli.devices.ingest.ingest`,
today's routines learnt, then one sweep at ``now``. The first home's resident "falls"
:data:`FALL_HOURS` hours before now (the silent neighbour: a silence alert, unless his
routine still tolerates the quiet), and the second presses the SOS button
:data:`SOS_MINUTES` minutes before now. Deterministic for a given ``now`` and seed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.utils import timezone

from linli.people.models import Assignment, Role

WORKER = "sq1_mg0101"
HISTORY_DAYS = 9
MAX_HOMES = 30
FALL_HOURS = 9
SOS_MINUTES = 12
SEED = 20261129


def build_care(
    *, now: dt.datetime | None = None, log: Callable[[str], object] = print
) -> dict[str, int]:
    """Seed the care demo (see the module docstring); returns counts for the summary."""
    from linli.care import services
    from linli.care.models import CareAlert, Watch
    from linli.common.management.commands.simulate import load_homes
    from linli.devices.ingest import ingest
    from linli.people.models import Resident
    from linli.routines import live

    now = now or timezone.now()
    added, _ = services.watches_sync()
    area = (
        Assignment.objects.filter(user__username=WORKER, role=Role.MICRO_GRID_WORKER)
        .select_related("area")
        .first()
    )
    counts = {"watches": Watch.objects.filter(active=True).count(), "device_events": 0}
    if area is None:
        return counts
    homes, _ = load_homes()
    here = set(
        Resident.objects.filter(area__path__startswith=area.area.path).values_list("pk", flat=True)
    )
    mine = [h for h in homes if int(h.resident) in here][:MAX_HOMES]
    if len(mine) < 2:
        return counts
    window = live.Window.ending(now, days=HISTORY_DAYS, stream_hours=0)
    traces = live.street_traces(mine, window, seed=SEED, incident_rate=0.0)
    live.inject_incident(traces, mine[0].resident, window.end - FALL_HOURS * 3600)
    stored = 0
    for _home, items in live.gateway_batches(traces, mine, window.start, window.end):
        stored += ingest(items, channel="mqtt", source="demo", now=now).stored
    services.routines_learn(now=now, force=True)
    sos = next((d.device for d in mine[1].devices if d.kind == "sos_button"), None)
    if sos is not None:
        pressed = now - dt.timedelta(minutes=SOS_MINUTES)
        item = {
            "event": f"demo-sos-{int(pressed.timestamp())}",
            "device": sos,
            "ts": pressed.isoformat(),
            "kind": "sos",
        }
        stored += ingest([item], channel="mqtt", source="demo", now=now).stored
    services.care_sweep(now=now)
    counts["device_events"] = stored
    counts["care_alerts"] = CareAlert.objects.count()
    log(
        f"主动关怀：关注 {counts['watches']} 人（新增 {added}），{WORKER} 所在微网格 {len(mine)} 户"
        f" {HISTORY_DAYS} 天设备记录 {stored} 条，告警 {counts['care_alerts']} 条"
    )
    return counts
