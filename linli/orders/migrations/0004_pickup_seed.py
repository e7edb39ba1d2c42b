"""Deliveries start at a facility: meals at the nearest canteen 5 min after ordering,
medicine at the nearest pharmacy after 10 min (demo values; editable in 服务类型)."""

from django.db import migrations

PICKUPS = {"meal_assist": ("canteen", 300), "medicine_delivery": ("pharmacy", 600)}


def seed(apps, schema_editor):
    ServiceType = apps.get_model("orders", "ServiceType")
    for code, (kind, ready_s) in PICKUPS.items():
        ServiceType.objects.filter(code=code, pickup_kind="").update(
            pickup_kind=kind, pickup_ready_s=ready_s
        )


class Migration(migrations.Migration):
    dependencies = [("orders", "0003_orders_and_offers")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
