"""Seed the case-category tree (idempotent: existing codes are left as admins edited them).

Codes: ``SJ`` 事件 and ``BJ`` 部件 follow the two-digit top classes of GB/T 30428.2 (事件:
01 市容环境 … 06 其他; 部件: 01 公用设施 … 06 其他设施), each with a few children
(``SJ0101``); ``SQ`` are community matters (社区事项). Limits are seconds: working time
(a working day = 7 h) unless ``working_time`` is false. Open311 attributes follow GeoReport
v2 ``services/{code}`` definitions.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

H = 3600
DAY = 7 * H  # one working day of office hours

EVENT_TOPS = [
    ("01", "市容环境", ["暴露垃圾", "乱堆物料", "道路不洁", "违规晾晒"]),
    ("02", "宣传广告", ["非法小广告", "违规户外广告", "违规标语"]),
    ("03", "施工管理", ["施工扰民", "道路遗撒", "无证施工"]),
    ("04", "突发事件", ["路面塌陷", "火灾", "燃气泄漏", "积水"]),
    ("05", "街面秩序", ["占道经营", "无照经营游商", "乱停放非机动车"]),
    ("06", "其他", ["其他事件"]),
]
COMPONENT_TOPS = [
    ("01", "公用设施", ["井盖", "路灯", "消防栓", "电力设施"]),
    ("02", "道路交通", ["交通信号灯", "交通标志牌", "护栏", "停车设施"]),
    ("03", "市容环境", ["垃圾箱", "公共厕所", "废物箱"]),
    ("04", "园林绿化", ["行道树", "绿地", "花坛"]),
    ("05", "房屋土地", ["违章建筑", "危房", "空置房屋"]),
    ("06", "其他设施", ["其他部件"]),
]

NOISE_ATTRIBUTES = [
    {
        "code": "noise_time",
        "datatype": "datetime",
        "required": False,
        "variable": True,
        "order": 1,
        "description": "噪音发生时间",
        "datatype_description": "ISO 8601，例如 2026-07-07T22:30:00+08:00",
        "values": [],
    },
    {
        "code": "noise_source",
        "datatype": "singlevaluelist",
        "required": True,
        "variable": True,
        "order": 2,
        "description": "噪音来源",
        "datatype_description": "",
        "values": [
            {"key": "neighbour", "name": "邻居家中"},
            {"key": "shop", "name": "商铺"},
            {"key": "construction", "name": "施工"},
            {"key": "square_dance", "name": "广场舞"},
            {"key": "vehicle", "name": "车辆"},
            {"key": "other", "name": "其他"},
        ],
    },
]
PARKING_ATTRIBUTES = [
    {
        "code": "plate",
        "datatype": "string",
        "required": False,
        "variable": True,
        "order": 1,
        "description": "车牌号",
        "datatype_description": "例如 宁A12345",
        "values": [],
    }
]
LEAK_ATTRIBUTES = [
    {
        "code": "floor",
        "datatype": "number",
        "required": False,
        "variable": True,
        "order": 1,
        "description": "漏水楼层",
        "datatype_description": "整数",
        "values": [],
    }
]

#: (code, name, priority 1 urgent/2 high/3 normal, working_time, (register, dispatch, handle,
#:  verify) seconds, default role, open311_public, attributes)
COMMUNITY: list[tuple[str, str, int, bool, tuple[int, int, int, int], str, bool, list[Any]]] = [
    # Minutes count when an elderly person living alone goes silent: clock time, day and night.
    (
        "SQ01",
        "独居老人异常",
        1,
        False,
        (10 * 60, 10 * 60, 2 * H, 24 * H),
        "emergency_team",
        False,
        [],
    ),
    ("SQ02", "消防隐患", 2, True, (H, H, DAY, DAY), "grid_leader", True, []),
    (
        "SQ03",
        "停车",
        3,
        True,
        (2 * H, 2 * H, 2 * DAY, DAY),
        "property_staff",
        True,
        PARKING_ATTRIBUTES,
    ),
    (
        "SQ04",
        "噪音扰民",
        3,
        True,
        (2 * H, 2 * H, 2 * DAY, DAY),
        "grid_worker",
        True,
        NOISE_ATTRIBUTES,
    ),
    (
        "SQ05",
        "漏水",
        2,
        False,
        (30 * 60, 30 * 60, 8 * H, 24 * H),
        "property_staff",
        True,
        LEAK_ATTRIBUTES,
    ),
    ("SQ06", "电梯故障", 2, False, (30 * 60, 30 * 60, 4 * H, 24 * H), "property_staff", True, []),
    ("SQ07", "邻里纠纷", 3, True, (2 * H, 2 * H, 5 * DAY, DAY), "grid_worker", False, []),
    ("SQ08", "企业诉求", 3, True, (DAY, DAY, 10 * DAY, 2 * DAY), "community_admin", True, []),
    ("SQ09", "环境卫生", 3, True, (2 * H, 2 * H, 2 * DAY, DAY), "property_staff", True, []),
    ("SQ10", "设施报修", 3, True, (2 * H, 2 * H, 3 * DAY, DAY), "property_staff", True, []),
]

#: Defaults of standard (GB/T 30428) categories: 2 h register, 2 h dispatch, 3 days handle,
#: 1 day verify, working time; 突发事件 are urgent and counted in clock time.
STANDARD_LIMITS = (2 * H, 2 * H, 3 * DAY, DAY)
EMERGENCY_LIMITS = (15 * 60, 15 * 60, 4 * H, 24 * H)


def _rows() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for prefix, kind, label, tops in (
        ("SJ", "event", "事件", EVENT_TOPS),
        ("BJ", "component", "部件", COMPONENT_TOPS),
    ):
        for code, name, children in tops:
            urgent = prefix == "SJ" and code == "04"
            common = {
                "kind": kind,
                "priority": 1 if urgent else 3,
                "working_time": not urgent,
                "limits": EMERGENCY_LIMITS if urgent else STANDARD_LIMITS,
                "default_role": "",
                "open311_public": True,
                "open311_attributes": [],
            }
            rows.append(
                {
                    "code": prefix + code,
                    "name": name,
                    "parent": None,
                    "description": f"{label}大类（GB/T 30428.2）",
                    **common,
                }
            )
            for index, child in enumerate(children, start=1):
                rows.append(
                    {
                        "code": f"{prefix}{code}{index:02d}",
                        "name": child,
                        "parent": prefix + code,
                        "description": "",
                        **common,
                    }
                )
    for code, name, priority, working, limits, role, public, attributes in COMMUNITY:
        rows.append(
            {
                "code": code,
                "name": name,
                "parent": None,
                "kind": "community",
                "description": "社区事项",
                "priority": priority,
                "working_time": working,
                "limits": limits,
                "default_role": role,
                "open311_public": public,
                "open311_attributes": attributes,
            }
        )
    return rows


def seed(apps: Any, schema_editor: Any) -> None:
    CaseCategory = apps.get_model("cases", "CaseCategory")
    by_code: dict[str, Any] = {}
    for row in _rows():
        register, dispatch, handle, verify = row.pop("limits")
        parent = row.pop("parent")
        code = row.pop("code")
        category, _ = CaseCategory.objects.get_or_create(
            code=code,
            defaults={
                **row,
                "parent": by_code.get(parent) if parent else None,
                "register_limit": register,
                "dispatch_limit": dispatch,
                "handle_limit": handle,
                "verify_limit": verify,
            },
        )
        by_code[code] = category


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
