"""A batch writer moves the data version only when it committed a change.

Under `deferred_version()` the triggers used to do nothing and the writer moved
the version on its clock and at its end whatever happened, so a harvest that
changed nothing still turned every cached page cold. Now a deferred trigger
notes the change in a session setting (rolled back with its transaction, so
only a committed change counts), and the writer moves the version only when one
is noted (catalogue/cache.py).
"""

from django.db import migrations

TRIGGER_FUNCTION = """
CREATE OR REPLACE FUNCTION catalogue_bump_data_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('catalogue.data_version_deferred', true) = 'on' THEN
        PERFORM set_config('catalogue.data_version_pending', 'on', false);
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


class Migration(migrations.Migration):
    dependencies = [
        ("catalogue", "0015_classifications_and_products"),
    ]

    operations = [migrations.RunSQL(TRIGGER_FUNCTION, PREVIOUS_TRIGGER_FUNCTION)]
