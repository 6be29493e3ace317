"""A small ranking vector beside the search vector.

A broad search ("lymphoma" matches ~39,000 of 100,000 trials) was ranked with
`ts_rank` over the search vector, which is ~1 KB per trial and stored out of line
(TOAST): ranking read and decompressed every match's vector (~250 ms). The
relevance now ranks the words of the title and the conditions: `rank_vector`, a
few hundred bytes kept in the row (STORAGE MAIN). The search vector still decides
what matches.

A BEFORE trigger computes it from the row, whoever writes it (the ORM, COPY,
bulk updates), as migration 0017's row version; existing rows are filled here.
"""

from django.contrib.postgres.search import SearchVectorField
from django.db import migrations

FORWARD = [
    """
    CREATE FUNCTION catalogue_trial_rank_vector() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        conditions text := COALESCE(array_to_string(NEW.conditions, ' '), '');
    BEGIN
        NEW.rank_vector :=
            setweight(to_tsvector('english'::regconfig, COALESCE(NEW.title, '')), 'A')
            || setweight(to_tsvector('simple'::regconfig, catalogue_cjk_tokens(COALESCE(NEW.title_zh, ''))), 'A')
            || setweight(to_tsvector('english'::regconfig, conditions), 'B')
            || setweight(to_tsvector('simple'::regconfig, catalogue_cjk_tokens(conditions)), 'B');
        RETURN NEW;
    END $$
    """,
    "CREATE TRIGGER catalogue_trial_rank_vector BEFORE INSERT OR UPDATE OF title, title_zh, conditions, rank_vector "
    "ON catalogue_trial FOR EACH ROW EXECUTE FUNCTION catalogue_trial_rank_vector()",
    "ALTER TABLE catalogue_trial ALTER COLUMN rank_vector SET STORAGE MAIN",
    "UPDATE catalogue_trial SET rank_vector = NULL",
]
BACKWARD = [
    "DROP TRIGGER IF EXISTS catalogue_trial_rank_vector ON catalogue_trial",
    "DROP FUNCTION IF EXISTS catalogue_trial_rank_vector()",
]


class Migration(migrations.Migration):
    dependencies = [
        ("catalogue", "0022_disease_tree_data"),
    ]

    operations = [
        migrations.AddField(
            model_name="trial",
            name="rank_vector",
            field=SearchVectorField(null=True, editable=False),
        ),
        migrations.RunSQL(FORWARD, BACKWARD),
    ]
