"""The one importer: keep each copy of a trial, and make the trial the merge of its copies.

`upsert()` takes one parsed record. Inside one transaction, with the trial's row
locked, it stores the record as a copy of the trial (`TrialSource`, one per
source document), merges all the copies field by field (`ingest.merge`),
normalizes the merged record and writes what changed:
- a copy that leaves a field or section out never erases it;
- an older copy never overrides what a newer one says; the result never
  depends on the order copies arrive in;
- the same copy again is `unchanged`, and `updated_at` does not move;
- a curated field is never overwritten: when the registry changes under it,
  the trial gets a conflict flag with both values for a curator to decide.

`refresh()` re-derives a trial from its stored copies (renormalize, rebuild).
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from dataclasses import asdict
from typing import Any, Literal

from django.db import models, transaction
from django.db.models import F
from django.utils import timezone

from catalogue.models import Antigen, Disease, DoseLevel, Site, SourceDocument, Trial, TrialChange, TrialSource, lookup_key
from catalogue.trials import (
    RELATED_FIELDS,
    SCALAR_FIELDS,
    field_value,
    from_json,
    same_value,
    set_denormalized,
    set_related,
    to_json,
)
from ingest.merge import Merged, Source, dominated, merge
from ingest.normalize import INPUTS, NormalizedTrial, normalize
from ingest.normalize import antigens as antigen_vocab
from ingest.normalize import diseases as disease_vocab
from ingest.normalize.dates import parse_date
from ingest.records import TrialRecord

Outcome = Literal["created", "updated", "unchanged", "older"]


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def snapshot(nt: NormalizedTrial) -> dict[str, Any]:
    """Every registry-derived value of a normalized trial, JSON-safe."""
    values: dict[str, Any] = {f: to_json(getattr(nt, f)) for f in SCALAR_FIELDS}
    values["antigens"] = list(nt.antigens)
    values["diseases"] = [d.name for d in nt.diseases]
    values["dose_levels"] = [asdict(level) for level in nt.dose_levels]
    values["sites"] = [asdict(site) for site in nt.sites]
    return values


class Vocabularies:
    """Antigen and disease vocabularies from the database, cached for one run."""

    def __init__(self) -> None:
        ensure_builtin_vocabulary()
        self.reload()

    def reload(self) -> None:
        self.antigens = {a.name: a for a in Antigen.objects.all()}
        self.diseases = {d.name: d for d in Disease.objects.all()}
        self.antigen_vocabulary = _antigen_vocabulary(
            tuple(antigen_vocab.AntigenSpec(a.name, tuple(a.synonyms), a.gene_symbol) for a in self.antigens.values())
        )
        self.disease_vocabulary = _disease_vocabulary(
            tuple(disease_vocab.DiseaseSpec(d.name, d.category, tuple(d.synonyms)) for d in self.diseases.values())
        )

    def antigen(self, name: str) -> Antigen:
        if name not in self.antigens:
            self.antigens[name], _ = Antigen.objects.get_or_create(name=name)
        return self.antigens[name]

    def disease(self, name: str, category: str) -> Disease:
        if name not in self.diseases:
            self.diseases[name], _ = Disease.objects.get_or_create(name=name, defaults={"category": category})
        return self.diseases[name]

    def normalize(self, record: TrialRecord) -> NormalizedTrial:
        return normalize(record, vocabulary=self.antigen_vocabulary, disease_vocabulary=self.disease_vocabulary)


# Compiling a vocabulary's patterns takes about a second; the terms rarely change
# between runs of one process (a harvest's pages, a test session's ingests).
@lru_cache(maxsize=4)
def _antigen_vocabulary(specs: tuple[antigen_vocab.AntigenSpec, ...]) -> antigen_vocab.Vocabulary:
    return antigen_vocab.Vocabulary.from_specs(specs)


@lru_cache(maxsize=4)
def _disease_vocabulary(specs: tuple[disease_vocab.DiseaseSpec, ...]) -> disease_vocab.Vocabulary:
    return disease_vocab.Vocabulary.from_specs(specs)


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
    # One statement: insert, or touch the existing row so that its id comes back.
    (document,) = SourceDocument.objects.bulk_create(
        [SourceDocument(content=content, sha256=digest, format=format, parser_version=parser_version,
                        filename=filename[:500], size=len(content))],
        update_conflicts=True, unique_fields=["sha256"], update_fields=["sha256"],
    )  # fmt: skip
    document.content = b""  # not needed again: don't hold the bytes
    return document


def upsert(
    record: TrialRecord,
    *,
    vocab: Vocabularies,
    document: SourceDocument,
    parser_version: str = "",
    actor: str = "ingest",
    warnings: list[str] | None = None,
) -> Outcome:
    """Store `record` as `document`'s copy of its trial and re-merge the trial, in one
    transaction; return what happened. `warnings` collects values cut to fit."""
    now = timezone.now()
    with transaction.atomic(savepoint=False):
        trial = _locked(record.registry, record.registry_id.strip())
        if trial is None:
            return _create(record, vocab=vocab, document=document, parser_version=parser_version, now=now,
                           actor=actor, warnings=warnings)  # fmt: skip
        updated_before = trial.registry_updated
        sources = _active_sources(trial)
        mine = next((s for s in sources if s.document_id == document.id), None)
        if mine is None:
            mine = TrialSource.objects.filter(trial=trial, document=document).first() or TrialSource(
                trial=trial, document=document
            )
            sources.append(mine)
        stored = record.to_compact_dict()
        if mine.pk is None or mine.record != stored or mine.parser_version != parser_version or mine.dominated:
            _fill_source(mine, record, stored, parser_version, now)
            mine.dominated = False
            mine.save()
        mine.document_sha = document.sha256
        changed = _apply(trial, sources, vocab=vocab, document=document, now=now, actor=actor, warnings=warnings)
        date = parse_date(record.last_update_date)
        if date is not None and updated_before is not None and date < updated_before:
            return "older"
        return "updated" if changed else "unchanged"


def refresh(
    trial: Trial, *, vocab: Vocabularies, actor: str = "renormalize", warnings: list[str] | None = None,
    thorough: bool = False,
) -> Outcome:
    """Re-merge and re-normalize a trial from its stored copies (current vocabularies).
    `thorough`: compare every value with what is stored, related rows included
    (rebuild), not only with what the registry said last time."""
    with transaction.atomic(savepoint=False):
        locked = _locked(trial.registry, trial.registry_id)
        if locked is None:
            return "unchanged"
        sources = _active_sources(locked)
        if not sources:
            return "unchanged"
        changed = _apply(locked, sources, vocab=vocab, document=None, now=timezone.now(), actor=actor,
                         warnings=warnings, thorough=thorough)  # fmt: skip
        return "updated" if changed else "unchanged"


def _locked(registry: str, registry_id: str) -> Trial | None:
    return Trial.objects.select_for_update(of=("self",)).filter(registry=registry, registry_id=registry_id).first()


def _active_sources(trial: Trial) -> list[TrialSource]:
    return list(
        TrialSource.objects.filter(trial=trial, dominated=False)
        .annotate(document_sha=F("document__sha256"))
        .order_by("id")
    )


def _fill_source(source: TrialSource, record: TrialRecord, stored: dict[str, Any], parser_version: str, now) -> None:
    source.record = stored
    source.source_format = record.source_format
    source.parser_version = parser_version
    source.third_party = record.third_party
    source.registry_updated = parse_date(record.last_update_date)
    source.ingested_at = now


def _merged(sources: list[TrialSource]) -> tuple[Merged, list[Source]]:
    candidates = [Source(TrialRecord.from_dict(s.record), s.document_sha, ref=s) for s in sources]
    return merge(candidates), candidates


def _apply(
    trial: Trial, rows: list[TrialSource], *, vocab: Vocabularies, document: SourceDocument | None, now, actor: str,
    warnings: list[str] | None, thorough: bool = False,
) -> bool:
    """Merge `rows` into `trial` and write what changed. True when a value changed."""
    merged, candidates = _merged(rows)
    for index in dominated(candidates):
        row = candidates[index].ref
        TrialSource.objects.filter(pk=row.pk).update(dominated=True)
    nt = vocab.normalize(merged.record)
    new = snapshot(nt)
    old = trial.parsed or {}
    applied: dict[str, list[Any]] = {}
    conflicts = dict(trial.curation_conflicts or {})
    related: dict[str, Any] = {}
    for field, value in new.items():
        curated = field in trial.curated_fields
        # Scalars are compared with the stored value itself (free); related rows with
        # what the registry said last time, unless `thorough` (rebuild) reads them.
        if curated or (field not in SCALAR_FIELDS and not thorough):
            if same_value(field, value, old.get(field)):
                continue
        if curated:
            curated = field_value(trial, field)
            if not same_value(field, curated, value):
                conflicts[field] = {
                    "curated": curated,
                    "registry_before": old.get(field),
                    "registry_now": value,
                    "detected_at": now.isoformat(),
                }
            continue
        before = field_value(trial, field)
        if same_value(field, before, value):
            continue
        if field in SCALAR_FIELDS:
            setattr(trial, field, from_json(field, value))
        else:
            related[field] = value
        applied[field] = [before, value]
    for field in list(conflicts):
        # The registry came round to the curator's value: nothing left to decide.
        if field in new and same_value(field, new[field], conflicts[field]["curated"]):
            del conflicts[field]
    new_conflicts = sorted(set(conflicts) - set(trial.curation_conflicts or {}))
    flagged = conflicts != (trial.curation_conflicts or {})

    before = {name: getattr(trial, name) for name in _TRACKED}
    trial.parsed = new
    trial.raw = nt.raw
    trial.curation_conflicts = conflicts
    trial.registry_updated = nt.registry_updated
    _set_provenance(trial, merged, nt)
    if applied or flagged:
        trial.updated_at = now
    _fit(trial, warnings)
    if "antigens" in related:
        set_related(trial, "antigens", related["antigens"], antigens={n: vocab.antigen(n) for n in nt.antigens})
    if "diseases" in related:
        set_related(trial, "diseases", related["diseases"],
                    diseases={d.name: vocab.disease(d.name, d.category) for d in nt.diseases})  # fmt: skip
    for field in ("dose_levels", "sites"):
        if field in related:
            set_related(trial, field, related[field])
    if applied:
        set_denormalized(trial, list(trial.antigens.all()), list(trial.diseases.all()))
    if applied or any(getattr(trial, name) != value for name, value in before.items()):
        trial.ingested_at = now
        trial.save()
    if applied or flagged:
        TrialChange.objects.create(
            trial=trial,
            actor=actor,
            source_document=document,
            changes=applied,
            reason="registry changed under curated field(s): " + ", ".join(new_conflicts) if new_conflicts else "",
        )
    return bool(applied or flagged)


# Columns a merge may move without changing a catalogue value.
_TRACKED = (
    "parsed", "raw", "curation_conflicts", "registry_updated", "source_format", "parser_version",
    "source_document_id", "missing_fields", "field_sources",
)  # fmt: skip


def _create(
    record: TrialRecord, *, vocab: Vocabularies, document: SourceDocument, parser_version: str, now, actor: str,
    warnings: list[str] | None,
) -> Outcome:
    stored = record.to_compact_dict()
    nt = vocab.normalize(record)
    new = snapshot(nt)
    trial = Trial(registry=nt.registry, registry_id=nt.registry_id, updated_at=now)
    for field in SCALAR_FIELDS:
        setattr(trial, field, from_json(field, new[field]))
    trial.parsed = new
    trial.raw = nt.raw
    trial.registry_updated = nt.registry_updated
    antigens = [vocab.antigen(name) for name in nt.antigens]
    diseases = [vocab.disease(d.name, d.category) for d in nt.diseases]
    source = TrialSource(document=document)
    _fill_source(source, record, stored, parser_version, now)
    merged = merge([Source(record, document.sha256, ref=source)])
    _set_provenance(trial, merged, nt)
    trial.ingested_at = now
    _fit(trial, warnings)
    set_denormalized(trial, antigens, diseases)
    trial.save(force_insert=True)
    source.trial = trial
    source.save(force_insert=True)
    if antigens:
        Trial.antigens.through.objects.bulk_create([Trial.antigens.through(trial=trial, antigen=a) for a in antigens])
    if diseases:
        Trial.diseases.through.objects.bulk_create([Trial.diseases.through(trial=trial, disease=d) for d in diseases])
    if new["dose_levels"]:
        set_related(trial, "dose_levels", new["dose_levels"], replace=False)
    if new["sites"]:
        set_related(trial, "sites", new["sites"], replace=False)
    TrialChange.objects.create(
        trial=trial,
        actor=actor,
        source_document=document,
        changes={f: [None, new[f]] for f in (*SCALAR_FIELDS, *RELATED_FIELDS) if new[f] not in (None, "", [])},
    )
    return "created"


def _set_provenance(trial: Trial, merged: Merged, nt: NormalizedTrial) -> None:
    best = merged.best.ref
    trial.source_format = nt.source_format
    trial.parser_version = best.parser_version
    trial.source_document_id = best.document_id
    trial.missing_fields = sorted(nt.missing)
    trial.field_sources = _field_sources(merged)


def _field_sources(merged: Merged) -> dict[str, Any]:
    """Which copy supplied each normalized field (the first of its inputs that one
    carries): {"sources": {document id: {registry, format, date, third_party}},
    "fields": {field: document id}}."""
    sources: dict[str, dict[str, Any]] = {}
    fields: dict[str, str] = {}
    for field, inputs in INPUTS.items():
        supplier = next((merged.supplied_by[i] for i in inputs if i in merged.supplied_by), None)
        if supplier is None:
            continue
        key = str(supplier.ref.document_id)
        fields[field] = key
        if key not in sources:
            updated = supplier.updated
            sources[key] = {
                "registry": supplier.record.registry,
                "format": supplier.record.source_format,
                "date": updated.isoformat() if updated else None,
                "third_party": supplier.record.third_party,
            }
    return {"sources": sources, "fields": fields}


def _fit(trial: Trial, warnings: list[str] | None) -> None:
    """Cut over-long values to their column's size, with a warning naming the field,
    instead of refusing the whole trial."""
    for field in Trial._meta.concrete_fields:
        limit = getattr(field, "max_length", None)
        value = getattr(trial, field.attname, None)
        if limit and isinstance(value, str) and len(value) > limit:
            setattr(trial, field.attname, value[:limit])
            if warnings is not None:
                warnings.append(f"{trial.registry_id}: {field.name} cut to {limit} characters (was {len(value)})")
        elif isinstance(field, models.Field) and hasattr(field, "base_field") and isinstance(value, list):
            item_limit = getattr(field.base_field, "max_length", None)
            if item_limit and any(isinstance(v, str) and len(v) > item_limit for v in value):
                setattr(trial, field.attname, [v[:item_limit] if isinstance(v, str) else v for v in value])
                if warnings is not None:
                    warnings.append(f"{trial.registry_id}: {field.name} item(s) cut to {item_limit} characters")


__all__ = [
    "DoseLevel", "Outcome", "Site", "Vocabularies", "ensure_builtin_vocabulary", "refresh", "sha256",
    "snapshot", "store_document", "upsert",
]  # fmt: skip
