"""Let a batch writer (ingest, renormalize) move the data version on its own clock.

With `catalogue.data_version_deferred = on` in its session, a writer's commits
don't bump the version; it calls `catalogue_touch_data_version()` every few
seconds and at the end instead. A long ingest, which commits each record on its
own, would otherwise make every cached count stale several times a second.
"""

from django.db import migrations

TOUCH = """
CREATE FUNCTION catalogue_touch_data_version() RETURNS bigint LANGUAGE sql VOLATILE AS $$
    INSERT INTO catalogue_dataversion (id, version, changed_at)
    VALUES (1, nextval('catalogue_data_version_seq'), now())
    ON CONFLICT (id) DO UPDATE SET version = EXCLUDED.version, changed_at = EXCLUDED.changed_at
    RETURNING version
$$
"""
TRIGGER_FUNCTION = """
CREATE OR REPLACE FUNCTION catalogue_bump_data_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('catalogue.data_version_deferred', true) = 'on' THEN
        RETURN NULL;
    END IF;
    IF current_setting('catalogue.data_version_bumped', true) IS DISTINCT FROM txid_current()::text THEN
        PERFORM set_config('catalogue.data_version_bumped', txid_current()::text, true);
        PERFORM catalogue_touch_data_version();
    END IF;
    RETURN NULL;
END $$
"""
PREVIOUS_TRIGGER_FUNCTION = """
CREATE OR REPLACE FUNCTION catalogue_bump_data_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('catalogue.data_version_bumped', true) IS DISTINCT FROM txid_current()::text THEN
        PERFORM set_config('catalogue.data_version_bumped', txid_current()::text, true);
        INSERT INTO catalogue_dataversion (id, version, changed_at)
        VALUES (1, nextval('catalogue_data_version_seq'), now())
        ON CONFLICT (id) DO UPDATE SET version = EXCLUDED.version, changed_at = EXCLUDED.changed_at;
    END IF;
    RETURN NULL;
END $$
"""


class Migration(migrations.Migration):
    dependencies = [
        ("catalogue", "0007_cjk_search_tokens"),
    ]

    operations = [
        migrations.RunSQL(TOUCH, "DROP FUNCTION IF EXISTS catalogue_touch_data_version()"),
        migrations.RunSQL(TRIGGER_FUNCTION, PREVIOUS_TRIGGER_FUNCTION),
    ]
