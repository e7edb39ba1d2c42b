"""Seed the community canteen price list (社区食堂助餐价格, ``canteen_meal``).

Source: the community report — one meat and one vegetable dish (一荤一素) is 8 yuan for
residents aged 60 or over, disabled or on dibao, 12 yuan for everyone else. The 4-yuan
difference is owed by a funding source per condition; which body pays for disabled and
dibao residents under 60 is an assumption to be configured in the back office (see
docs/eligibility.md). Idempotent: an existing ``canteen_meal`` scheme is left untouched.
Data is frozen here on purpose (a migration must not follow later code changes).
"""

import datetime as dt

from django.db import migrations

AGE_60 = {"fact": "age", "op": ">=", "value": 60, "label": "年满 60 周岁（{age} 岁）"}
DISABLED = {"fact": "tags", "op": "contains", "value": "disabled", "label": "残疾人"}
DIBAO = {"fact": "tags", "op": "contains", "value": "dibao", "label": "低保对象"}
START = dt.date(2020, 1, 1)


def seed(apps, schema_editor):
    Scheme = apps.get_model("eligibility", "Scheme")
    Tier = apps.get_model("eligibility", "Tier")
    Subsidy = apps.get_model("eligibility", "Subsidy")
    if Scheme.objects.filter(code="canteen_meal").exists():
        return
    scheme = Scheme.objects.create(
        code="canteen_meal",
        name="社区食堂助餐价格",
        subject_kind="resident",
        unit="份（一荤一素）",
        list_price_fen=1200,
        description="社区食堂一荤一素：60 周岁及以上、残疾人、低保对象 8 元，其他人 12 元（社区报告）。",
    )
    discount = Tier.objects.create(
        scheme=scheme,
        priority=1,
        name="优惠价",
        condition={"any": [AGE_60, DISABLED, DIBAO]},
        price_fen=800,
        reason="优惠价 8 元：{held}",
        valid_from=START,
    )
    lines = [
        ("民政部门老年助餐补贴", AGE_60),
        ("残联助残补贴", {"all": [{"not": AGE_60}, DISABLED]}),
        ("民政社会救助（低保）", {"all": [{"not": AGE_60}, {"not": DISABLED}, DIBAO]}),
    ]
    for order, (source, condition) in enumerate(lines, start=1):
        Subsidy.objects.create(
            tier=discount, source=source, amount_fen=400, condition=condition, order=order
        )
    Tier.objects.create(
        scheme=scheme,
        priority=2,
        name="标准价",
        condition={"all": []},
        price_fen=1200,
        reason="标准价 12 元（不属于 60 周岁及以上、残疾人或低保对象）",
        valid_from=START,
    )


class Migration(migrations.Migration):
    dependencies = [("eligibility", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
