"""No two live bookings overlap on one parking space or venue (PostgreSQL only).

Exclusion constraints over ``tstzrange(starts_at, ends_at, '[)')`` (half-open: one
booking may end when the next starts) with ``btree_gist`` for the equality part. SQLite
has no such constraint; there the booking services check for an overlap inside an
``IMMEDIATE`` transaction, which holds the database's write lock (settings.DATABASES).
Creating the extension needs a superuser or a database owner on PostgreSQL 13+ (it is a
trusted extension).
"""

from django.db import migrations

FORWARD = """
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE sharing_booking ADD CONSTRAINT booking_no_overlap
    EXCLUDE USING gist (space_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&)
    WHERE (status IN ('booked', 'parked', 'completed'));
ALTER TABLE sharing_venuebooking ADD CONSTRAINT venue_booking_no_overlap
    EXCLUDE USING gist (venue_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&)
    WHERE (status IN ('requested', 'approved'));
"""

BACKWARD = """
ALTER TABLE sharing_booking DROP CONSTRAINT IF EXISTS booking_no_overlap;
ALTER TABLE sharing_venuebooking DROP CONSTRAINT IF EXISTS venue_booking_no_overlap;
"""


def _run(sql: str):  # type: ignore[no-untyped-def]
    def apply(apps, schema_editor):  # type: ignore[no-untyped-def]
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return apply


class Migration(migrations.Migration):
    dependencies = [("sharing", "0001_initial")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]
