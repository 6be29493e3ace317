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
from typing import Any, Literal

from django.contrib.postgres.search import SearchVector
from django.db import connection, transaction
from django.db.models import Value
from django.utils import timezone

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
    with connection.cursor() as cursor:
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
        trial = Trial.objects.select_for_update().filter(registry=nt.registry, registry_id=nt.registry_id).first()
        if trial is None:
            trial = Trial(registry=nt.registry, registry_id=nt.registry_id, updated_at=now)
            for field in SCALAR_FIELDS:
                setattr(trial, field, from_json(field, new[field]))
            _set_provenance(trial, nt, new, document, parser_version, now)
            _set_denormalized(
                trial,
                [vocab.antigen(name) for name in nt.antigens],
                [vocab.disease(d.name, d.category) for d in nt.diseases],
            )
            trial.save()
            for field in RELATED_FIELDS:
                _apply_related(trial, field, nt, vocab, fresh=True)
            TrialChange.objects.create(
                trial=trial,
                actor=actor,
                source_document=document,
                changes={f: [None, new[f]] for f in (*SCALAR_FIELDS, *RELATED_FIELDS) if new[f] not in (None, "", [])},
            )
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


def _set_provenance(trial: Trial, nt: NormalizedTrial, new: dict, document, parser_version: str, now) -> None:
    trial.parsed = new
    trial.raw = nt.raw
    trial.source_format = nt.source_format
    if document is not None:
        trial.source_document = document
    trial.parser_version = parser_version
    trial.ingested_at = now


def _apply_related(trial: Trial, field: str, nt: NormalizedTrial, vocab: Vocabularies, *, fresh: bool = False) -> None:
    """Write one related field. `fresh`: the trial was just created, nothing to replace."""
    if field == "antigens":
        objs = [vocab.antigen(name) for name in nt.antigens]
        if fresh:
            if objs:
                through = Trial.antigens.through
                through.objects.bulk_create([through(trial=trial, antigen=a) for a in objs])
        else:
            trial.antigens.set(objs)
    elif field == "diseases":
        objs = [vocab.disease(d.name, d.category) for d in nt.diseases]
        if fresh:
            if objs:
                through = Trial.diseases.through
                through.objects.bulk_create([through(trial=trial, disease=d) for d in objs])
        else:
            trial.diseases.set(objs)
    elif field == "dose_levels" and (nt.dose_levels or not fresh):
        if not fresh:
            trial.dose_levels.all().delete()
        DoseLevel.objects.bulk_create(
            [
                DoseLevel(trial=trial, position=i, arm=d.arm[:500], low=d.low, high=d.high, unit=d.unit, basis=d.basis, raw=d.raw)
                for i, d in enumerate(nt.dose_levels)
            ]
        )
    elif field == "sites" and (nt.sites or not fresh):
        if not fresh:
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
    trial.antigen_names = sorted({a.name for a in antigens})
    trial.disease_names = sorted({d.name for d in diseases})
    trial.disease_categories = sorted({d.category for d in diseases})
    trial.search_document = search_document(trial, antigens, diseases)
    trial.search_vector = SearchVector(Value(trial.title), weight="A", config="english") + SearchVector(
        Value(trial.search_document), weight="B", config="english"
    )


def search_document(trial: Trial, antigens: list[Antigen], diseases: list[Disease]) -> str:
    """The text `q` searches: titles (English and Chinese), summary, conditions,
    interventions, sponsor, ids, and the names and synonyms of the targets."""
    parts = [
        trial.registry_id,
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
