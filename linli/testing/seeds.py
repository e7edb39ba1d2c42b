"""The seed migrations' rows, again: a transactional test flushes every table, so a later
transactional test (a browser test building the demo) would find no case categories, service
catalogue or canteen price list. Each seed function is idempotent."""

from __future__ import annotations

import importlib

from django.apps import apps

SEEDS = (
    "linli.cases.migrations.0002_seed_categories",
    "linli.eligibility.migrations.0002_seed_canteen_meal",
    "linli.orders.migrations.0002_seed_catalog",
    "linli.orders.migrations.0004_pickup_seed",
    "linli.orders.migrations.0005_complaint_category",
)


def reseed() -> None:
    """Run every seed migration's ``seed(apps, schema_editor)`` against the current data."""
    for module in SEEDS:
        importlib.import_module(module).seed(apps, None)
