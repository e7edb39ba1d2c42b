"""The case category that resident-service complaints are filed under (SQ11 养老服务投诉).

Handled by the community admin in working time: 2 h to register, 2 h to dispatch, 3 days
to handle, 1 day to verify — like the other community matters (cases 0002 seed)."""

from django.db import migrations

H = 3600
DAY = 24 * H


def seed(apps, schema_editor):
    CaseCategory = apps.get_model("cases", "CaseCategory")
    CaseCategory.objects.get_or_create(
        code="SQ11",
        defaults={
            "name": "养老服务投诉",
            "kind": "community",
            "description": "居民对助餐、助浴、上门服务等订单的投诉（由服务评价自动立案）",
            "priority": 3,
            "working_time": True,
            "register_limit": 2 * H,
            "dispatch_limit": 2 * H,
            "handle_limit": 3 * DAY,
            "verify_limit": DAY,
            "default_role": "community_admin",
            "open311_public": False,
            "open311_attributes": [],
        },
    )


class Migration(migrations.Migration):
    dependencies = [("orders", "0004_pickup_seed"), ("cases", "0002_seed_categories")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
