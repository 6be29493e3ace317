"""Each trial row carries a row version, set on every insert and update.

A BEFORE trigger takes it from a sequence, so every write counts, whoever makes
it (the ORM, bulk updates, COPY, raw SQL). The in-memory facet index
(catalogue/facet_index.py) reads the rows past the highest version it holds,
and checks the count and sum of versions to catch deleted or rolled-back rows.
Existing rows are numbered once here.
"""

from django.db import migrations, models

FORWARD = [
    "CREATE SEQUENCE catalogue_trial_row_version_seq",
    """
    CREATE FUNCTION catalogue_trial_row_version() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        NEW.row_version := nextval('catalogue_trial_row_version_seq');
        RETURN NEW;
    END $$
    """,
    "UPDATE catalogue_trial SET row_version = nextval('catalogue_trial_row_version_seq')",
    "CREATE TRIGGER catalogue_trial_row_version BEFORE INSERT OR UPDATE ON catalogue_trial "
    "FOR EACH ROW EXECUTE FUNCTION catalogue_trial_row_version()",
]
BACKWARD = [
    "DROP TRIGGER IF EXISTS catalogue_trial_row_version ON catalogue_trial",
    "DROP FUNCTION IF EXISTS catalogue_trial_row_version()",
    "DROP SEQUENCE IF EXISTS catalogue_trial_row_version_seq",
]


class Migration(migrations.Migration):
    dependencies = [
        ("catalogue", "0016_version_moves_only_when_data_changed"),
    ]

    operations = [
        migrations.AddField(
            model_name="trial",
            name="row_version",
            field=models.BigIntegerField(default=0, editable=False),
        ),
        migrations.AddIndex(
            model_name="trial",
            index=models.Index(fields=["row_version"], name="trial_row_version_idx"),
        ),
        # After the index: numbering the rows queues the data-version triggers until commit.
        migrations.RunSQL(FORWARD, BACKWARD),
    ]
