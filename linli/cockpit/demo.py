"""Demo rows of the public info screens (智慧屏), for ``linli demo`` (the lead calls
:func:`build_screens` after the street, canteens and activities exist).

Per community under the street: a screen in the service centre's lobby (``大厅屏``) and,
where the community has a shared canteen (in the demo: 丰登新村社区), a second one at the
canteen door (``食堂门口屏``); two notices current today and one starting next week.
Hotlines are fictional (0951-50xxxxx). No users are created; notices have no author.

Idempotent: screens are found by (community, name) and keep their token (the kiosk URL a
device was set up with); notices by (community, title), their dates moved to the current
window on every run.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from linli.cockpit.models import InfoScreen, ScreenNotice
from linli.economy.models import Canteen
from linli.places.models import Area, AreaKind

#: (title, body, first day, last day) relative to today; the same for every community.
NOTICES: tuple[tuple[str, str, int, int], ...] = (
    (
        "冬季供暖报修",
        "家中暖气不热、漏水，请拨打屏幕下方服务热线或在“邻里”小程序“我要报事”中提交，"
        "物业 30 分钟内联系您。独居老人家中可由网格员代为报修。",
        -3,
        20,
    ),
    (
        "燃气安全入户检查",
        "本月社区联合燃气公司开展入户安全检查，检查人员佩戴工作证、不收取任何费用。"
        "如有疑问请拨打服务热线核实。",
        0,
        14,
    ),
    (
        "元旦游园会报名",
        "元旦游园会开放报名：猜灯谜、写春联、包饺子，老人和孩子都欢迎。扫码或到社区居委会报名。",
        7,
        30,
    ),
)


@transaction.atomic
def build_screens(street: Area, *, today: dt.date | None = None) -> dict[str, int]:
    """Screens and notices for each community under ``street`` (see the module docstring).

    Args:
        street: the demo street (its communities are the areas of kind ``community``
            whose path starts with the street's).
        today: the local date the notice windows are relative to (default today).

    Returns: ``{"info_screens": n, "screen_notices": m}`` — how many exist for the street's
    communities after the run.
    """
    today = today or timezone.localdate()
    communities = list(
        Area.objects.filter(kind=AreaKind.COMMUNITY, path__startswith=street.path).order_by("code")
    )
    canteens: dict[int, list[str]] = {}
    for community_id, name in (
        Canteen.objects.filter(enterprise__community__in=communities)
        .order_by("name")
        .values_list("enterprise__community_id", "name")
    ):
        canteens.setdefault(community_id, []).append(name)
    for number, community in enumerate(communities, start=1):
        hotline = f"0951-50{number:02d}{number:03d}"
        places = [("大厅屏", f"{community.name}党群服务中心一楼大厅")]
        places += [("食堂门口屏", f"{name}门口") for name in canteens.get(community.pk, [])[:1]]
        for name, place in places:
            screen, _ = InfoScreen.objects.get_or_create(
                community=community,
                name=name,
                defaults={"place": place, "hotline": hotline, "rotate_seconds": 15},
            )
            if (screen.place, screen.hotline, screen.is_active) != (place, hotline, True):
                screen.place, screen.hotline, screen.is_active = place, hotline, True
                screen.save(update_fields=["place", "hotline", "is_active", "updated_at"])
        for title, body, first, last in NOTICES:
            ScreenNotice.objects.update_or_create(
                community=community,
                title=title,
                defaults={
                    "body": body,
                    "starts_on": today + dt.timedelta(days=first),
                    "ends_on": today + dt.timedelta(days=last),
                },
            )
    return {
        "info_screens": InfoScreen.objects.filter(community__in=communities).count(),
        "screen_notices": ScreenNotice.objects.filter(community__in=communities).count(),
    }
