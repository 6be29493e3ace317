"""The data version that keys cached counts, kept by triggers; and JIT off.

Deferred constraint triggers bump `catalogue_dataversion` at commit time, once
per transaction, whenever trials or vocabularies changed. A statement trigger
covers TRUNCATE. The number comes from a sequence, so a rolled-back
transaction never reuses a version another state was cached under.

JIT is turned off for the database: it compiled the facet query on every
request (~800 ms of 1.6 s at 100,000 trials, BENCHMARKS.md) and never pays off
for sub-second queries. A role that doesn't own the database keeps JIT on.
"""

from django.db import migrations, models

TABLES = ("catalogue_trial", "catalogue_antigen", "catalogue_disease")

FORWARD = [
    "CREATE SEQUENCE catalogue_data_version_seq",
    "INSERT INTO catalogue_dataversion (id, version, changed_at) VALUES (1, nextval('catalogue_data_version_seq'), now())",
    """
    CREATE FUNCTION catalogue_bump_data_version() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF current_setting('catalogue.data_version_bumped', true) IS DISTINCT FROM txid_current()::text THEN
            PERFORM set_config('catalogue.data_version_bumped', txid_current()::text, true);
            INSERT INTO catalogue_dataversion (id, version, changed_at)
            VALUES (1, nextval('catalogue_data_version_seq'), now())
            ON CONFLICT (id) DO UPDATE SET version = EXCLUDED.version, changed_at = EXCLUDED.changed_at;
        END IF;
        RETURN NULL;
    END $$
    """,
    *(
        sql
        for table in TABLES
        for sql in (
            f"CREATE CONSTRAINT TRIGGER {table}_data_version AFTER INSERT OR UPDATE OR DELETE ON {table} "
            "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION catalogue_bump_data_version()",
            f"CREATE TRIGGER {table}_truncate_data_version AFTER TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION catalogue_bump_data_version()",
        )
    ),
    """
    DO $$ BEGIN
        EXECUTE format('ALTER DATABASE %I SET jit = off', current_database());
    EXCEPTION WHEN insufficient_privilege THEN
        RAISE NOTICE 'JIT left on: %', SQLERRM;
    END $$
    """,
]
BACKWARD = [
    *(
        sql
        for table in TABLES
        for sql in (
            f"DROP TRIGGER IF EXISTS {table}_data_version ON {table}",
            f"DROP TRIGGER IF EXISTS {table}_truncate_data_version ON {table}",
        )
    ),
    "DROP FUNCTION IF EXISTS catalogue_bump_data_version()",
    "DROP SEQUENCE IF EXISTS catalogue_data_version_seq",
    """
    DO $$ BEGIN
        EXECUTE format('ALTER DATABASE %I RESET jit', current_database());
    EXCEPTION WHEN insufficient_privilege THEN NULL;
    END $$
    """,
]


class Migration(migrations.Migration):
    dependencies = [
        ("catalogue", "0005_newest_start_index"),
    ]

    operations = [
        migrations.CreateModel(
            name="DataVersion",
            fields=[
                ("id", models.PositiveSmallIntegerField(default=1, primary_key=True, serialize=False)),
                ("version", models.BigIntegerField()),
                ("changed_at", models.DateTimeField()),
            ],
        ),
        migrations.RunSQL(FORWARD, BACKWARD),
    ]
