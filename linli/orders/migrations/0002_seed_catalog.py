"""Seed the skills and the eight service types of issue 4 (demo values, see docs/orders.md).

Durations and list prices are demo values to be configured in the back office.
``meal_assist`` is priced by the eligibility scheme ``canteen_meal`` (8/12 yuan tiers); if
that scheme is missing it falls back to a 12-yuan list price. Idempotent: skills and
service types whose code exists are left untouched. Data is frozen here on purpose.
"""

from django.db import migrations

SKILLS = [
    # code, name, needs_certificate
    ("delivery", "配送", False),
    ("bathing", "助浴护理", True),
    ("medical", "医护（执业资格）", True),
    ("housekeeping", "家政保洁", False),
    ("repair", "家电水电维修", False),
    ("haircut", "理发", False),
    ("knife_sharpening", "磨刀", False),
]

SERVICES = [
    # code, name, skills, workers (needed, max), duration s, mode, list price fen, variants
    (
        "meal_assist",
        "助餐服务",
        ["delivery"],
        (1, 1),
        900,
        "both",
        None,
        [{"code": "delivery", "name": "送餐上门"}, {"code": "dine_in", "name": "堂食预约"}],
    ),
    ("bath_assist", "助浴服务", ["bathing"], (1, 2), 2700, "both", 6000, []),
    (
        "consultation",
        "医生问诊",
        ["medical"],
        (1, 1),
        1200,
        "both",
        3000,
        [{"code": "home_visit", "name": "上门问诊"}, {"code": "remote", "name": "远程问诊"}],
    ),
    ("medicine_delivery", "送药上门", ["delivery"], (1, 1), 900, "on_demand", 500, []),
    ("housekeeping", "家政保洁", ["housekeeping"], (1, 1), 3600, "both", 5000, []),
    ("repair", "维修服务", ["repair"], (1, 1), 1800, "both", 3000, []),
    ("haircut", "上门理发", ["haircut"], (1, 1), 1800, "scheduled", 1500, []),
    ("knife_sharpening", "磨刀", ["knife_sharpening"], (1, 1), 600, "scheduled", 500, []),
]


def seed(apps, schema_editor):
    Skill = apps.get_model("orders", "Skill")
    ServiceType = apps.get_model("orders", "ServiceType")
    Scheme = apps.get_model("eligibility", "Scheme")
    for code, name, certificate in SKILLS:
        Skill.objects.get_or_create(
            code=code, defaults={"name": name, "needs_certificate": certificate}
        )
    canteen = Scheme.objects.filter(code="canteen_meal").first()
    for code, name, skills, (needed, most), duration, mode, price, variants in SERVICES:
        if ServiceType.objects.filter(code=code).exists():
            continue
        scheme = canteen if code == "meal_assist" else None
        if code == "meal_assist" and canteen is None:
            price = 1200
        service = ServiceType.objects.create(
            code=code,
            name=name,
            variants=variants,
            workers_needed=needed,
            workers_max=most,
            default_duration_s=duration,
            mode=mode,
            list_price_fen=price,
            scheme=scheme,
        )
        service.skills.set(Skill.objects.filter(code__in=skills))


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0001_initial"),
        ("eligibility", "0002_seed_canteen_meal"),
    ]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
