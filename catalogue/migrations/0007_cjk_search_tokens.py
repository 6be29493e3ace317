"""Chinese in the search vector, and no trigram index on the search document.

`catalogue_cjk_tokens(text)` lists each run of CJK ideographs as overlapping
character pairs plus its last character ('淋巴瘤' → '淋巴 巴瘤 瘤'). The search
vector holds them (config 'simple'), so `q=淋巴瘤` is the GIN-served phrase
'淋巴' <-> '巴瘤' instead of a substring scan of every document (2–3 s at
100,000 trials, BENCHMARKS.md). With Chinese and word prefixes served by the
vector, the trigram index on `search_document` (the largest index, and most of
an insert's cost) has no reader left.
"""

from django.db import migrations

CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"  # the same class as catalogue.filters.CJK_CHARS

CREATE_FUNCTION = rf"""
CREATE FUNCTION catalogue_cjk_tokens(document text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT coalesce(string_agg(substr(run.m[1], i, 2), ' ' ORDER BY run.n, i), '')
    FROM regexp_matches(document, '[{CJK}]+', 'g') WITH ORDINALITY AS run(m, n),
         generate_series(1, char_length(run.m[1])) AS i
$$
"""
# The vector was title (A) || document (B); the pairs go last, as the importer now writes them.
BACKFILL = rf"""
UPDATE catalogue_trial
SET search_vector = search_vector || to_tsvector('simple'::regconfig, COALESCE(catalogue_cjk_tokens(search_document), ''))
WHERE search_document ~ '[{CJK}]' AND search_vector IS NOT NULL
"""
UNDO_BACKFILL = rf"""
UPDATE catalogue_trial
SET search_vector = setweight(to_tsvector('english'::regconfig, COALESCE(title, '')), 'A')
                 || setweight(to_tsvector('english'::regconfig, COALESCE(search_document, '')), 'B')
WHERE search_document ~ '[{CJK}]'
"""


class Migration(migrations.Migration):
    dependencies = [
        ("catalogue", "0006_data_version"),
    ]

    operations = [
        migrations.RunSQL(CREATE_FUNCTION, "DROP FUNCTION IF EXISTS catalogue_cjk_tokens(text)"),
        migrations.RunSQL(BACKFILL, UNDO_BACKFILL),
        migrations.RemoveIndex(model_name="trial", name="trial_search_trgm"),
    ]
