"""``--reset``: remove the registry and everything hanging off it, plus the demo accounts.

Which tables go is worked out from the models rather than listed, so that apps added
later (cases, orders, …) are cleared too: every Linli model with a foreign key, directly
or through other such models, to the registry (areas, people, organisations), and every
Linli model that cannot exist without a user. Configuration tables without such keys
(categories, price lists seeded by migrations) are kept. Rows are removed with plain
``DELETE`` statements; foreign keys are deferred to commit on SQLite and PostgreSQL, so
the order does not matter inside the transaction.
"""

from __future__ import annotations

from django.apps import apps
from django.contrib.auth.models import User
from django.db import connection, models

from linli.common.models import PiiAccessLog
from linli.places.demo.staff import DEMO_EMAIL_DOMAIN

REGISTRY_APPS = {"places", "people", "orgs"}


def _linli_models() -> list[type[models.Model]]:
    return [
        m
        for m in apps.get_models(include_auto_created=True)
        if m.__module__.startswith("linli.") and not m._meta.proxy and m._meta.managed
    ]


def models_to_clear() -> list[type[models.Model]]:
    """The registry models plus every Linli model depending on them or on a user."""
    candidates = _linli_models()
    chosen = {m for m in candidates if m._meta.app_label in REGISTRY_APPS} | {PiiAccessLog}
    changed = True
    while changed:
        changed = False
        for model in candidates:
            if model in chosen:
                continue
            for f in model._meta.concrete_fields:
                target = f.related_model if f.is_relation else None
                if target in chosen or (target is User and not f.null):
                    chosen.add(model)
                    changed = True
                    break
    return sorted(chosen, key=lambda m: m._meta.db_table)


def wipe() -> int:
    """Delete all rows of :func:`models_to_clear` and the demo accounts; returns rows deleted.

    Demo accounts are recognised by their e-mail domain (:data:`staff.DEMO_EMAIL_DOMAIN`).
    """
    deleted = 0
    with connection.cursor() as cursor:
        for model in models_to_clear():
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(model._meta.db_table)}")
            deleted += max(cursor.rowcount, 0)
    count, _ = User.objects.filter(email__endswith="@" + DEMO_EMAIL_DOMAIN).delete()
    return deleted + count
