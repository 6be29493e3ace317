"""The one importer: upsert a `NormalizedTrial` by (registry, registry_id).

Each record is written in one transaction. The importer compares what the
registry says now with what it said last time (`Trial.parsed`), so:
- the same page again is `unchanged`, and `updated_at` does not move;
- a changed page updates only the fields that changed;
- a curated field is never overwritten: when the registry changes under it,
  the trial gets a conflict flag with both values for a curator to decide.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Any, Literal

import psycopg
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.search import SearchVector
from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.db.backends.postgresql.base import TIMESTAMPTZ_OID, CursorMixin
from django.db.backends.postgresql.psycopg_any import register_tzloader
from django.db.models import Func, Value
from django.db.models.sql import InsertQuery
from django.utils import timezone
from psycopg.pq import Format

from catalogue.models import Antigen, Disease, DoseLevel, Site, SourceDocument, Trial, TrialChange, lookup_key
from ingest.normalize import NormalizedTrial
from ingest.normalize import antigens as antigen_vocab
from ingest.normalize import diseases as disease_vocab

Outcome = Literal["created", "updated", "unchanged"]

# Normalized scalar fields a registry supplies (and a curator may own).
SCALAR_FIELDS: tuple[str, ...] = (
    "secondary_ids", "title", "official_title", "title_zh", "brief_summary",
    "status", "phase", "study_type", "min_age_years", "max_age_years", "sex",
    "dose_min_cells_per_kg", "dose_max_cells_per_kg", "enrollment", "enrollment_type",
    "start_date", "completion_date", "registration_date", "sponsor", "countries",
    "cell_source", "conditions", "interventions", "inclusion_criteria", "exclusion_criteria",
    "source_url",
)  # fmt: skip
# Related fields, curated as whole fields.
RELATED_FIELDS: tuple[str, ...] = ("antigens", "diseases", "dose_levels", "sites")
CURATABLE_FIELDS: tuple[str, ...] = SCALAR_FIELDS + ("antigens", "diseases", "dose_levels")
DECIMAL_FIELDS = {"min_age_years", "max_age_years"}
DATE_FIELDS = {"start_date", "completion_date", "registration_date"}


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def to_json(value: Any) -> Any:
    """A value as stored in `Trial.parsed` / history (JSON-safe, comparable)."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    return value


def from_json(field: str, value: Any) -> Any:
    """Inverse of `to_json` for a scalar model field."""
    if value is None:
        return None
    if field in DECIMAL_FIELDS:
        return Decimal(str(value)).quantize(Decimal("0.01"))
    if field in DATE_FIELDS:
        return date.fromisoformat(value)
    return value


def snapshot(nt: NormalizedTrial) -> dict[str, Any]:
    """Every registry-derived value of a normalized trial, JSON-safe."""
    values: dict[str, Any] = {f: to_json(getattr(nt, f)) for f in SCALAR_FIELDS}
    values["antigens"] = list(nt.antigens)
    values["diseases"] = [d.name for d in nt.diseases]
    values["dose_levels"] = [asdict(level) for level in nt.dose_levels]
    values["sites"] = [asdict(site) for site in nt.sites]
    values["source_format"] = nt.source_format
    values["raw"] = nt.raw
    return values


def current_value(trial: Trial, field: str) -> Any:
    """The trial's present value of `field`, in snapshot form."""
    if field in SCALAR_FIELDS:
        return to_json(getattr(trial, field))
    if field == "antigens":
        return sorted(a.name for a in trial.antigens.all())
    if field == "diseases":
        return sorted(d.name for d in trial.diseases.all())
    if field == "dose_levels":
        return [
            {"arm": d.arm, "low": d.low, "high": d.high, "unit": d.unit, "basis": d.basis, "raw": d.raw}
            for d in trial.dose_levels.all()
        ]
    if field == "sites":
        return [{"institution": s.institution, "city": s.city, "country": s.country} for s in trial.sites.all()]
    return to_json(getattr(trial, field, None))


def _same(field: str, a: Any, b: Any) -> bool:
    if field in ("antigens", "diseases"):
        return sorted(a or []) == sorted(b or [])
    return a == b


class Vocabularies:
    """Antigen and disease vocabularies from the database, cached for one run."""

    def __init__(self) -> None:
        ensure_builtin_vocabulary()
        self.reload()

    def reload(self) -> None:
        self.antigens = {a.name: a for a in Antigen.objects.all()}
        self.diseases = {d.name: d for d in Disease.objects.all()}
        self.antigen_vocabulary = antigen_vocab.Vocabulary.from_specs(
            [antigen_vocab.AntigenSpec(a.name, tuple(a.synonyms), a.gene_symbol) for a in self.antigens.values()]
        )
        self.disease_vocabulary = disease_vocab.Vocabulary.from_specs(
            [disease_vocab.DiseaseSpec(d.name, d.category, tuple(d.synonyms)) for d in self.diseases.values()]
        )

    def antigen(self, name: str) -> Antigen:
        if name not in self.antigens:
            self.antigens[name], _ = Antigen.objects.get_or_create(name=name)
        return self.antigens[name]

    def disease(self, name: str, category: str) -> Disease:
        if name not in self.diseases:
            self.diseases[name], _ = Disease.objects.get_or_create(name=name, defaults={"category": category})
        return self.diseases[name]


def ensure_builtin_vocabulary() -> None:
    """Insert built-in vocabulary terms that are missing. Never alters curated terms."""
    Antigen.objects.bulk_create(
        [
            Antigen(
                name=s.name,
                synonyms=list(s.synonyms),
                gene_symbol=s.gene_symbol,
                lookup_keys=sorted({lookup_key(t) for t in (s.name, *s.synonyms) if lookup_key(t)}),
            )
            for s in antigen_vocab.BUILTIN_ANTIGENS
        ],
        ignore_conflicts=True,
    )
    Disease.objects.bulk_create(
        [
            Disease(
                name=s.name,
                category=s.category,
                synonyms=list(s.synonyms),
                lookup_keys=sorted({lookup_key(t) for t in (s.name, *s.synonyms) if lookup_key(t)}),
            )
            for s in disease_vocab.BUILTIN_DISEASES
        ],
        ignore_conflicts=True,
    )


def store_document(content: bytes, *, format: str, parser_version: str, filename: str) -> SourceDocument:
    """The SourceDocument for these exact bytes, created once (safe under concurrent ingests)."""
    digest = sha256(content)
    with _prepared_cursor(connections[DEFAULT_DB_ALIAS]) as cursor:
        cursor.execute(
            "INSERT INTO catalogue_sourcedocument (content, sha256, format, parser_version, filename, size, ingested_at)"
            " VALUES (%s, %s, %s, %s, %s, %s, now()) ON CONFLICT (sha256) DO NOTHING RETURNING id",
            [content, digest, format, parser_version, filename[:500], len(content)],
        )
        row = cursor.fetchone()
    if row is not None:
        return SourceDocument(id=row[0], sha256=digest, format=format, parser_version=parser_version, filename=filename[:500], size=len(content))
    return SourceDocument.objects.defer("content").get(sha256=digest)


def upsert(
    nt: NormalizedTrial,
    *,
    vocab: Vocabularies,
    document: SourceDocument | None = None,
    parser_version: str = "",
    actor: str = "ingest",
) -> Outcome:
    """Create or update one trial in one transaction; return what happened."""
    new = snapshot(nt)
    now = timezone.now()
    # Joins the caller's transaction when there is one (the pipeline opens one per record).
    with transaction.atomic(savepoint=False):
        trial = _locked_trial(nt.registry, nt.registry_id)
        if trial is None:
            _create(nt, new, vocab=vocab, document=document, parser_version=parser_version, now=now, actor=actor)
            return "created"

        old = trial.parsed or {}
        changed = [f for f in new if not _same(f, new[f], old.get(f))]
        if not changed:
            if document is not None and trial.source_document_id != document.id:
                Trial.objects.filter(pk=trial.pk).update(source_document=document, ingested_at=now)
            return "unchanged"

        applied: dict[str, list[Any]] = {}
        conflicts = dict(trial.curation_conflicts or {})
        related_changed = False
        for field in changed:
            if field in ("raw", "source_format"):
                continue
            if field in trial.curated_fields:
                curated = current_value(trial, field)
                if not _same(field, curated, new[field]):
                    conflicts[field] = {
                        "curated": curated,
                        "registry_before": old.get(field),
                        "registry_now": new[field],
                        "detected_at": now.isoformat(),
                    }
                continue
            before = current_value(trial, field)
            if field in SCALAR_FIELDS:
                setattr(trial, field, from_json(field, new[field]))
            else:
                _apply_related(trial, field, nt, vocab)
                related_changed = True
            if not _same(field, before, new[field]):
                applied[field] = [before, new[field]]
        for field in list(conflicts):
            # The registry came round to the curator's value: nothing left to decide.
            if field in new and _same(field, new[field], conflicts[field]["curated"]):
                del conflicts[field]

        new_conflicts = sorted(set(conflicts) - set(trial.curation_conflicts or {}))
        flagged = conflicts != (trial.curation_conflicts or {})
        _set_provenance(trial, nt, new, document, parser_version, now)
        trial.curation_conflicts = conflicts
        if applied or flagged:
            trial.updated_at = now
        trial.save()
        if related_changed or applied:
            refresh_denormalized(trial)
        if applied or flagged:
            TrialChange.objects.create(
                trial=trial,
                actor=actor,
                source_document=document,
                changes=applied,
                reason="registry changed under curated field(s): " + ", ".join(new_conflicts) if new_conflicts else "",
            )
            return "updated"
        return "unchanged"


class _PreparedCursor(CursorMixin, psycopg.RawCursor):
    """A psycopg cursor that binds parameters server-side and prepares each statement.

    For the few statements ingest runs for every record, always with the same
    text: PostgreSQL parses and plans each once per connection (measured: ~0.8 ms
    less server time per record), and the values (the page, the JSON) travel as
    parameters instead of escaped literals. The "%s" placeholders become
    PostgreSQL's own "$1", "$2"... once per statement text (psycopg would parse
    a statement with this many parameters again on every execution).

    Django turns prepared statements off on its connections (a pooler in
    transaction mode cannot keep them); only these cursors use them, and not at
    all when `settings.INGEST_PREPARED_STATEMENTS` is False (set it so behind
    such a pooler).
    """

    def execute(self, query, params=None, *, prepare=None, binary=None):
        query = _numbered_placeholders(query)
        if not getattr(settings, "INGEST_PREPARED_STATEMENTS", True):
            return super().execute(query, params, prepare=False, binary=binary)
        connection = self.connection
        threshold = connection.prepare_threshold
        if threshold is None:
            connection.prepare_threshold = _NO_AUTOMATIC_PREPARE
        try:
            return super().execute(query, params, prepare=True if prepare is None else prepare, binary=binary)
        finally:
            connection.prepare_threshold = threshold

    def _send_query_prepared(self, name, pgq, *, binary=None):
        # psycopg records the query only when it is not prepared; Django's query
        # logging (DEBUG, assertNumQueries) reads it from there.
        self._query = pgq
        return super()._send_query_prepared(name, pgq, binary=binary)


@lru_cache(maxsize=64)
def _numbered_placeholders(query: str) -> str:
    """ "... %s ... %s" -> "... $1 ... $2" (the statements here have no other "%")."""
    parts = query.split("%s")
    if any("%" in part for part in parts):
        raise ValueError(f"unexpected % in {query[:80]!r}")
    return "".join(f"{part}${number}" for number, part in enumerate(parts[:-1], start=1)) + parts[-1]


# While a `_PreparedCursor` runs, the threshold must not be None (None disables
# preparing altogether); nothing else gets prepared because of it: Django's own
# cursors bind client-side and never prepare.
_NO_AUTOMATIC_PREPARE = 1_000_000_000


def _prepared_cursor(db):
    """A Django cursor (execute wrappers, error translation) over a `_PreparedCursor`.

    The steps of Django's own `connection.cursor()`, with another cursor class.
    """
    db.close_if_health_check_failed()
    db.ensure_connection()
    with db.wrap_database_errors:
        cursor = _PreparedCursor(db.connection)
        tzloader = db.connection.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT)
        if db.timezone != tzloader.timezone:
            register_tzloader(db.timezone, cursor)
        return db._prepare_cursor(cursor)


def _locked_trial(registry: str, registry_id: str) -> Trial | None:
    """The trial with this id, its row locked until the end of the transaction; None if there is none.

    What `select_for_update().filter(...).first()` returns, from one raw query
    (the ORM would compile the same SELECT again for every record).
    """
    db = connections[DEFAULT_DB_ALIAS]
    sql, names, converters = _locked_trial_query(db.alias)
    with _prepared_cursor(db) as cursor:
        cursor.execute(sql, [registry, registry_id])
        row = cursor.fetchone()
    if row is None:
        return None
    values = list(row)
    for index, field_converters, column in converters:
        for converter in field_converters:
            values[index] = converter(values[index], column, db)
    return Trial.from_db(db.alias, names, values)


@lru_cache(maxsize=4)
def _locked_trial_query(alias: str) -> tuple[str, list[str], list[tuple[int, list, Any]]]:
    db = connections[alias]
    qn = db.ops.quote_name
    fields = Trial._meta.concrete_fields
    table = Trial._meta.db_table
    sql = (
        f"SELECT {', '.join(qn(f.column) for f in fields)} FROM {qn(table)}"
        f" WHERE {qn('registry')} = %s AND {qn('registry_id')} = %s FOR UPDATE"
    )
    converters = []
    for index, field in enumerate(fields):
        column = field.get_col(table)
        field_converters = db.ops.get_db_converters(column) + column.get_db_converters(db)
        if field_converters:
            converters.append((index, field_converters, column))
    return sql, [f.attname for f in fields], converters


def _create(
    nt: NormalizedTrial, new: dict[str, Any], *, vocab: Vocabularies, document: SourceDocument | None,
    parser_version: str, now, actor: str,
) -> Trial:
    """Insert a new trial with its related rows and its creation history entry.

    One SQL statement, the same every time: the trial insert, then the
    antigen/disease links, dose levels, sites and the history entry as
    data-modifying CTEs (the related rows as arrays, unnested; empty arrays
    insert nothing). The values are the ones `save()`, `bulk_create()` and
    `TrialChange.objects.create()` would write (each field's own `pre_save` and
    `get_db_prep_save`), in one round trip instead of one per table.
    """
    trial = Trial(registry=nt.registry, registry_id=nt.registry_id, updated_at=now)
    for field in SCALAR_FIELDS:
        setattr(trial, field, from_json(field, new[field]))
    _set_provenance(trial, nt, new, document, parser_version, now)
    antigens = [vocab.antigen(name) for name in nt.antigens]
    diseases = [vocab.disease(d.name, d.category) for d in nt.diseases]
    _set_facets_and_document(trial, antigens, diseases)
    change = TrialChange(
        actor=actor,
        source_document=document,
        changes={f: [None, new[f]] for f in (*SCALAR_FIELDS, *RELATED_FIELDS) if new[f] not in (None, "", [])},
    )
    antigen_link, disease_link = Trial.antigens.through, Trial.diseases.through
    related: list[list[models.Model]] = [
        [antigen_link(antigen_id=a.pk) for a in antigens],
        [disease_link(disease_id=d.pk) for d in diseases],
        [
            DoseLevel(position=i, arm=d.arm[:500], low=d.low, high=d.high, unit=d.unit, basis=d.basis, raw=d.raw)
            for i, d in enumerate(nt.dose_levels)
        ],
        [
            Site(position=i, institution=s.institution[:500], city=s.city[:200], country=s.country[:100])
            for i, s in enumerate(nt.sites)
        ],
    ]
    db = connections[DEFAULT_DB_ALIAS]
    plan = _create_plan(db.alias)
    if isinstance(trial.title, str) and isinstance(trial.search_document, str):
        vector = _search_vector_sql(db.alias, trial.title, trial.search_document)
    else:  # Value(None) compiles differently: let Django compile it
        vector = None
        trial.search_vector = _search_vector(trial.title, trial.search_document)
    placeholders, params = _row_values(trial, plan.trial_fields, db, {"search_vector": vector} if vector else {})
    ctes = [f"new_trial AS (INSERT INTO {plan.trial_table} ({plan.trial_columns}) VALUES ({placeholders}) RETURNING id)"]
    for number, ((table, columns, fields, casts), objs) in enumerate(zip(plan.related, related)):
        ctes.append(
            f"related_{number} AS (INSERT INTO {table} ({plan.trial_column}, {columns})"
            f" SELECT new_trial.id, rows.* FROM new_trial, UNNEST({casts}) AS rows)"
        )
        for field in fields:
            params.append([field.get_db_prep_save(field.pre_save(obj, True), connection=db) for obj in objs])
    placeholders, change_params = _row_values(change, plan.change_fields, db)
    ctes.append(
        f"change AS (INSERT INTO {plan.change_table} ({plan.trial_column}, {plan.change_columns})"
        f" SELECT new_trial.id, {placeholders} FROM new_trial)"
    )
    params.extend(change_params)
    with _prepared_cursor(db) as cursor:
        cursor.execute(f"WITH {', '.join(ctes)} SELECT id FROM new_trial", params)
        trial.pk = cursor.fetchone()[0]
    trial._state.adding = False
    trial._state.db = db.alias
    return trial


class _CreatePlan:
    """Tables, columns and fields of the creation statement (fixed for a model version)."""

    def __init__(self, alias: str) -> None:
        db = connections[alias]
        qn = db.ops.quote_name

        def insert_fields(model: type[models.Model], *skip: str) -> list[models.Field]:
            meta = model._meta
            return [
                f for f in meta.local_concrete_fields
                if f is not meta.auto_field and not f.generated and f.name not in skip
            ]

        self.trial_fields = insert_fields(Trial)
        self.trial_table = qn(Trial._meta.db_table)
        self.trial_columns = ", ".join(qn(f.column) for f in self.trial_fields)
        self.trial_column = qn("trial_id")
        self.change_fields = insert_fields(TrialChange, "trial")
        self.change_table = qn(TrialChange._meta.db_table)
        self.change_columns = ", ".join(qn(f.column) for f in self.change_fields)
        self.related = []
        for model in (Trial.antigens.through, Trial.diseases.through, DoseLevel, Site):
            assert model._meta.get_field("trial").column == "trial_id"
            fields = insert_fields(model, "trial")
            self.related.append((
                qn(model._meta.db_table),
                ", ".join(qn(f.column) for f in fields),
                fields,
                # As Django's own UNNEST bulk insert: "varchar[]", not "varchar(500)[]", so
                # that a value too long fails instead of being cut.
                ", ".join(f"%s::{f.db_type(db).split('(')[0]}[]" for f in fields),
            ))


@lru_cache(maxsize=4)
def _create_plan(alias: str) -> _CreatePlan:
    return _CreatePlan(alias)


def _row_values(
    obj: models.Model, fields: list[models.Field], db, precompiled: dict[str, tuple[str, list[Any]]] | None = None
) -> tuple[str, list[Any]]:
    """Placeholders and parameters for inserting `obj`, as Django's insert compiler makes them.

    `precompiled`: SQL and parameters for some fields, by field name.
    """
    placeholders: list[str] = []
    params: list[Any] = []
    compiler = None
    for field in fields:
        if precompiled and field.name in precompiled:
            sql, field_params = precompiled[field.name]
            placeholders.append(sql)
            params.extend(field_params)
            continue
        value = field.pre_save(obj, True)
        if hasattr(value, "resolve_expression"):  # the search vector
            if compiler is None:
                compiler = InsertQuery(obj.__class__).get_compiler(connection=db)
            sql, expression_params = compiler.compile(
                value.resolve_expression(compiler.query, allow_joins=False, for_save=True)
            )
            placeholders.append(sql)
            params.extend(expression_params)
            continue
        value = field.get_db_prep_save(value, connection=db)
        placeholder = _FIXED_PLACEHOLDERS.get(field)
        if placeholder is None:
            get_placeholder = getattr(field, "get_placeholder", None)
            placeholder = get_placeholder(value, compiler, db) if get_placeholder else "%s"
            if isinstance(field, ArrayField) or not get_placeholder:  # the same for every value
                _FIXED_PLACEHOLDERS[field] = placeholder
        placeholders.append(placeholder)
        params.append(value)
    return ", ".join(placeholders), params


_FIXED_PLACEHOLDERS: dict[models.Field, str] = {}


def _set_provenance(trial: Trial, nt: NormalizedTrial, new: dict, document, parser_version: str, now) -> None:
    trial.parsed = new
    trial.raw = nt.raw
    trial.source_format = nt.source_format
    if document is not None:
        trial.source_document = document
    trial.parser_version = parser_version
    trial.ingested_at = now


def _apply_related(trial: Trial, field: str, nt: NormalizedTrial, vocab: Vocabularies) -> None:
    """Replace one related field of an existing trial with the registry's values."""
    if field == "antigens":
        trial.antigens.set([vocab.antigen(name) for name in nt.antigens])
    elif field == "diseases":
        trial.diseases.set([vocab.disease(d.name, d.category) for d in nt.diseases])
    elif field == "dose_levels":
        trial.dose_levels.all().delete()
        DoseLevel.objects.bulk_create(
            [
                DoseLevel(trial=trial, position=i, arm=d.arm[:500], low=d.low, high=d.high, unit=d.unit, basis=d.basis, raw=d.raw)
                for i, d in enumerate(nt.dose_levels)
            ]
        )
    elif field == "sites":
        trial.sites.all().delete()
        Site.objects.bulk_create(
            [
                Site(trial=trial, position=i, institution=s.institution[:500], city=s.city[:200], country=s.country[:100])
                for i, s in enumerate(nt.sites)
            ]
        )


def refresh_denormalized(
    trial: Trial, *, antigens: list[Antigen] | None = None, diseases: list[Disease] | None = None
) -> None:
    """Recompute the facet arrays and search columns from the trial's current values.

    Pass `antigens`/`diseases` when the caller already holds them, to save the reads.
    """
    antigens = list(trial.antigens.all()) if antigens is None else antigens
    diseases = list(trial.diseases.all()) if diseases is None else diseases
    _set_denormalized(trial, antigens, diseases)
    Trial.objects.filter(pk=trial.pk).update(
        antigen_names=trial.antigen_names,
        disease_names=trial.disease_names,
        disease_categories=trial.disease_categories,
        search_document=trial.search_document,
        search_vector=trial.search_vector,
    )


def _set_denormalized(trial: Trial, antigens: list[Antigen], diseases: list[Disease]) -> None:
    """Set (without saving) the facet arrays and search columns; `search_vector` as an SQL expression."""
    _set_facets_and_document(trial, antigens, diseases)
    trial.search_vector = _search_vector(trial.title, trial.search_document)


def _set_facets_and_document(trial: Trial, antigens: list[Antigen], diseases: list[Disease]) -> None:
    trial.antigen_names = sorted({a.name for a in antigens})
    trial.disease_names = sorted({d.name for d in diseases})
    trial.disease_categories = sorted({d.category for d in diseases})
    trial.search_document = search_document(trial, antigens, diseases)


def _search_vector(title: str, document: str):
    """The search vector of a trial: its title (weight A), its search document (weight B),
    and the document's Chinese as overlapping character pairs (`catalogue_cjk_tokens()`),
    which is how `q` finds Chinese words, which have no spaces between them."""
    return (
        SearchVector(Value(title), weight="A", config="english")
        + SearchVector(Value(document), weight="B", config="english")
        + SearchVector(Func(Value(document), function="catalogue_cjk_tokens"), config="simple")
    )


_TITLE_MARK, _DOCUMENT_MARK = "\x00title\x00", "\x00document\x00"


@lru_cache(maxsize=4)
def _search_vector_template(alias: str) -> tuple[str, tuple[Any, ...]]:
    """`_search_vector()` compiled once, with marks where the title and document go."""
    compiler = InsertQuery(Trial).get_compiler(connection=connections[alias])
    expression = _search_vector(_TITLE_MARK, _DOCUMENT_MARK)
    sql, params = compiler.compile(expression.resolve_expression(compiler.query, allow_joins=False, for_save=True))
    assert params.count(_TITLE_MARK) == 1 and params.count(_DOCUMENT_MARK) >= 1, params
    return sql, tuple(params)


def _search_vector_sql(alias: str, title: str, document: str) -> tuple[str, list[Any]]:
    """SQL and parameters of `_search_vector(title, document)` for an INSERT (compiled once)."""
    sql, params = _search_vector_template(alias)
    marks = {_TITLE_MARK: title, _DOCUMENT_MARK: document}
    return sql, [marks.get(p, p) if isinstance(p, str) else p for p in params]


def search_document(trial: Trial, antigens: list[Antigen], diseases: list[Disease]) -> str:
    """The text `q` searches: titles (English and Chinese), summary, conditions,
    interventions, sponsor, ids, and the names and synonyms of the targets."""
    # A linked pair is one entry: it is found by the other registration's id too.
    merged_ids = list(trial.merged_records.values_list("registry_id", flat=True)) if trial.pk else []
    parts = [
        trial.registry_id,
        " ".join(merged_ids),
        " ".join(trial.secondary_ids),
        trial.title,
        trial.official_title,
        trial.title_zh,
        trial.brief_summary,
        " ".join(trial.conditions),
        " ".join(trial.interventions),
        trial.sponsor,
        " ".join(a.name + " " + " ".join(a.synonyms) for a in antigens),
        " ".join(d.name for d in diseases),
    ]
    return "\n".join(p for p in parts if p)
