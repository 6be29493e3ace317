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
import zlib
from dataclasses import dataclass, field, fields
from functools import cache, lru_cache
from typing import Any, Literal

from django.db import DatabaseError, IntegrityError, connection, models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import slugify

from catalogue import places
from catalogue.choices import DiseaseKind
from catalogue.disease_tree import DiseaseTree
from catalogue.disease_tree import seed as seed_disease_tree
from catalogue.models import (
    Antigen,
    Disease,
    DoseLevel,
    Product,
    Reference,
    Site,
    SourceDocument,
    Trial,
    TrialChange,
    TrialContact,
    TrialSource,
    lookup_key,
)
from catalogue.trials import (
    RELATED_FIELDS,
    SCALAR_FIELDS,
    contact_fields,
    field_value,
    from_json,
    level_fields,
    reference_fields,
    same_value,
    set_denormalized,
    set_related,
    site_fields,
    to_json,
)
from ingest import bulk
from ingest.merge import Merged, Source, dominated, merge
from ingest.normalize import INPUTS, NormalizedTrial, normalize
from ingest.normalize import antigens as antigen_vocab
from ingest.normalize import diseases as disease_vocab
from ingest.normalize import products as product_vocab
from ingest.normalize.dates import parse_date
from ingest.records import TrialRecord

Outcome = Literal["created", "updated", "unchanged", "older"]


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


# Trial fields whose normalized value has another name.
_NORMALIZED_NAME = {"product_names": "products"}


def snapshot(nt: NormalizedTrial) -> dict[str, Any]:
    """Every registry-derived value of a normalized trial, JSON-safe."""
    values: dict[str, Any] = {f: to_json(getattr(nt, _NORMALIZED_NAME.get(f, f))) for f in SCALAR_FIELDS}
    values["antigens"] = list(nt.antigens)
    values["diseases"] = [d.name for d in nt.diseases]
    values["dose_levels"] = [_as_dict(level) for level in nt.dose_levels]
    values["sites"] = [_as_dict(site) for site in nt.sites]
    values["references"] = [_as_dict(reference) for reference in nt.references]
    values["contacts"] = [_as_dict(contact) for contact in nt.contacts]
    return values


def _as_dict(value: Any) -> dict[str, Any]:
    """`dataclasses.asdict` of a value object whose fields are plain values (str, numbers,
    None), without asdict's recursion and copying: the same dict, several times faster."""
    return {name: getattr(value, name) for name in _value_fields(type(value))}


@cache
def _value_fields(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls))


class Vocabularies:
    """Antigen and disease vocabularies from the database, cached for one run."""

    def __init__(self) -> None:
        # Moves each time a reload changes what `normalize` reads: a record normalized
        # ahead of its write (`Prepared`) counts only if normalized at the same generation.
        self.generation = 0
        self._specs: tuple | None = None
        ensure_builtin_vocabulary()
        self.reload()

    def prepare(self) -> None:
        """Read now, not on first use, what the normalizers read besides the terms:
        the gazetteer of places (about a second). Done once per process, before
        worker processes start so that they share it."""
        places.prepare()

    def reload(self) -> None:
        self.antigens = {a.name: a for a in Antigen.objects.all()}
        self.diseases = {d.name: d for d in Disease.objects.all()}
        self.products = {p.name: p for p in Product.objects.all()}
        product_specs = tuple(
            product_vocab.ProductSpec(p.name, tuple(p.aliases), tuple(p.codes), tuple(p.targets), p.modality,
                                      p.cell_source, p.sponsor, p.sources)
            for p in self.products.values()
        )  # fmt: skip
        self.product_vocabulary = _product_vocabulary(product_specs)
        self.antigen_vocabulary = _antigen_vocabulary(
            tuple(antigen_vocab.AntigenSpec(a.name, tuple(a.synonyms), a.gene_symbol) for a in self.antigens.values()),
            product_specs,
        )
        self.disease_tree = DiseaseTree.from_diseases(self.diseases.values())
        # The normalizer assigns diseases only, never a group or a category (their
        # names are search and filter terms).
        disease_specs = tuple(
            disease_vocab.DiseaseSpec(d.name, d.category, tuple(d.synonyms))
            for d in self.diseases.values()
            if d.kind == DiseaseKind.DISEASE
        )
        self.disease_vocabulary = _disease_vocabulary(disease_specs)
        specs = (self.antigen_vocabulary, self.product_vocabulary, self.disease_vocabulary)
        if self._specs is not None and any(a is not b for a, b in zip(specs, self._specs)):
            self.generation += 1
        self._specs = specs

    def antigen(self, name: str) -> Antigen:
        if name not in self.antigens:
            self.antigens[name], _ = Antigen.objects.get_or_create(name=name)
        return self.antigens[name]

    def disease(self, name: str, category: str) -> Disease:
        if name not in self.diseases:
            self.diseases[name], _ = Disease.objects.get_or_create(name=name, defaults={"category": category})
            self.disease_tree = DiseaseTree.from_diseases(self.diseases.values())
        return self.diseases[name]

    def normalize(self, record: TrialRecord) -> NormalizedTrial:
        return normalize(
            record, vocabulary=self.antigen_vocabulary, disease_vocabulary=self.disease_vocabulary,
            product_vocabulary=self.product_vocabulary,
        )  # fmt: skip

    def products_of(self, names: list[str]) -> list[Product]:
        return [self.products[n] for n in names if n in self.products]

    def prepared(self, record: TrialRecord) -> Prepared:
        """What `record` gives before the database is read (see `Prepared`)."""
        nt = self.normalize(record)
        return Prepared(record.to_compact_dict(), nt, snapshot(nt), self.generation)


@dataclass
class Prepared:
    """A record's stored form and, normalized on its own, its values: all that the
    importer derives from a record without the database, so it can be computed
    ahead, in another process (`ingest.pipeline`). It stands for the record's own
    normalization only at the vocabularies' `generation` it was made with."""

    stored: dict[str, Any]
    nt: NormalizedTrial
    new: dict[str, Any]
    generation: int

    def usable(self, vocab: Vocabularies) -> bool:
        return self.generation == vocab.generation


# Compiling a vocabulary's patterns takes about a second; the terms rarely change
# between runs of one process (a harvest's pages, a test session's ingests).
@lru_cache(maxsize=4)
def _antigen_vocabulary(
    specs: tuple[antigen_vocab.AntigenSpec, ...], products: tuple[product_vocab.ProductSpec, ...]
) -> antigen_vocab.Vocabulary:
    return antigen_vocab.Vocabulary.from_specs(specs, products=products)


@lru_cache(maxsize=4)
def _product_vocabulary(specs: tuple[product_vocab.ProductSpec, ...]) -> product_vocab.ProductVocabulary:
    return product_vocab.ProductVocabulary.from_specs(specs)


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
    # The disease tree: its groups and categories, and each built-in disease in its place.
    seed_disease_tree(Disease, [(s.name, s.category, s.synonyms) for s in disease_vocab.BUILTIN_DISEASES])
    Product.objects.bulk_create(
        [
            Product(
                name=s.name, slug=slugify(s.name)[:120], aliases=list(s.aliases), codes=list(s.codes),
                targets=list(s.targets), modality=s.modality, cell_source=s.cell_source, sponsor=s.sponsor,
                sources=dict(s.sources),
                lookup_keys=sorted({lookup_key(t) for t in (s.name, *s.aliases, *s.codes) if lookup_key(t)}),
            )
            for s in product_vocab.builtin_products()
        ],
        ignore_conflicts=True,
    )  # fmt: skip


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


def store_documents(
    documents: list[tuple[bytes, str, str, str]], *, digests: list[str] | None = None
) -> list[SourceDocument]:
    """`store_document` for several (content, format, parser_version, filename), in one
    statement. `digests`: their SHA-256, when the caller has them already."""
    digests = digests or [sha256(content) for content, *_ in documents]
    rows: dict[str, tuple] = {}
    now = timezone.now()
    for digest, (content, format, parser_version, filename) in zip(digests, documents):
        rows.setdefault(digest, (content, digest, format, parser_version, filename[:500], len(content), now))
    # Bound parameters, not SQL text: each document's bytes travel as they are (a page
    # of a few MB escaped into the statement's text took as long to build as to store).
    values = ", ".join(["(%s, %s, %s, %s, %s, %s, %s)"] * len(rows))
    by_digest: dict[str, SourceDocument] = {}
    with bulk.bound_cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {SourceDocument._meta.db_table} (content, sha256, format, parser_version, filename, size,"
            f" ingested_at) VALUES {values} ON CONFLICT (sha256) DO UPDATE SET sha256 = EXCLUDED.sha256"
            " RETURNING id, sha256",
            [value for row in rows.values() for value in row],
        )
        for pk, digest in cursor.fetchall():
            _, _, format, parser_version, filename, size, _ = rows[digest]
            by_digest[digest] = SourceDocument(id=pk, content=b"", sha256=digest, format=format,
                                               parser_version=parser_version, filename=filename, size=size,
                                               ingested_at=now)  # fmt: skip
    for document in by_digest.values():
        document._state.adding = False
        document._state.db = connection.alias
    return [by_digest[digest] for digest in digests]


def upsert(
    record: TrialRecord,
    *,
    vocab: Vocabularies,
    document: SourceDocument,
    parser_version: str = "",
    actor: str = "ingest",
    warnings: list[str] | None = None,
    unplaced: list[str] | None = None,
    prepared: Prepared | None = None,
) -> Outcome:
    """Store `record` as `document`'s copy of its trial and re-merge the trial, in one
    transaction; return what happened. `warnings` collects values cut to fit;
    `unplaced`, the sites written without coordinates (see `unplaced_sites`).
    `prepared`: the record's `Prepared` form, when it was computed ahead."""
    now = timezone.now()
    with transaction.atomic(savepoint=False):
        trial = _locked(record.registry, record.registry_id.strip())
        if trial is None:
            new = _prepare_new(record, vocab=vocab, document=document, parser_version=parser_version, now=now,
                               actor=actor, warnings=warnings, unplaced=unplaced, prepared=prepared)  # fmt: skip
            _insert_new([new])
            return "created"
        return _update(trial, record, vocab=vocab, document=document, parser_version=parser_version, now=now,
                       actor=actor, warnings=warnings, unplaced=unplaced, prepared=prepared)  # fmt: skip


@dataclass
class Item:
    """One record of a batch (`upsert_many`) and, once written, its outcome."""

    record: TrialRecord
    document: SourceDocument
    parser_version: str = ""
    warnings: list[str] = field(default_factory=list)
    unplaced: list[str] = field(default_factory=list)
    outcome: Outcome | None = None
    error: Exception | None = None
    prepared: Prepared | None = None


def upsert_many(items: list[Item], *, vocab: Vocabularies, actor: str = "ingest") -> None:
    """Upsert a batch of records inside the caller's transaction, setting each
    item's `outcome` (or `error`, for a record that failed alone).

    The batch's existing trials are read (and locked) in one query and updated one
    by one, each in a savepoint. New trials are written together: their rows go in
    one COPY per table, in one savepoint. When that fails, it is rolled back and
    the new trials are written again one by one, each in a savepoint of its own, so
    one bad record costs only itself. The records must name distinct trials.
    """
    now = timezone.now()
    by_key = {(i.record.registry, i.record.registry_id.strip()): i for i in items}
    if len(by_key) != len(items):
        raise ValueError("a batch must name each trial once")
    existing = {
        (t.registry, t.registry_id): t
        for t in Trial.objects.select_for_update(of=("self",)).filter(
            registry_id__in=sorted({key[1] for key in by_key})
        )
    }
    sources = _active_sources_of(list(existing.values()))
    new: list[_NewTrial] = []
    for key, item in by_key.items():
        trial = existing.get(key)
        try:
            if trial is None:
                new.append(_prepare_new(item.record, vocab=vocab, document=item.document, parser_version=item.parser_version,
                                        now=now, actor=actor, warnings=item.warnings, item=item,
                                        unplaced=item.unplaced, prepared=item.prepared))  # fmt: skip
                continue
            with transaction.atomic():
                unplaced: list[str] = []
                item.outcome = _update(trial, item.record, vocab=vocab, document=item.document,
                                       parser_version=item.parser_version, now=now, actor=actor, warnings=item.warnings,
                                       unplaced=unplaced, prepared=item.prepared, sources=sources[trial.pk])  # fmt: skip
                item.unplaced.extend(unplaced)
        except DatabaseError as exc:
            item.error = exc
        except Exception as exc:  # a normalizer bug must cost one record, not the batch
            item.error = exc
    if not new:
        return
    try:
        with transaction.atomic():
            _insert_new(new, now=now)
    except DatabaseError:
        for prepared in new:
            _insert_alone(prepared, vocab=vocab, actor=actor)
    else:
        for prepared in new:
            if prepared.item is not None:
                prepared.item.outcome = "created"


def _insert_alone(new: _NewTrial, *, vocab: Vocabularies, actor: str) -> None:
    """Write one new trial of a batch whose multi-row write failed, in a savepoint of
    its own, as `upsert` would: when another ingest has created the trial since the
    batch looked, the record updates it."""
    item = new.item
    assert item is not None
    for attempt in (1, 2):
        warnings: list[str] = []
        unplaced: list[str] = []
        try:
            with transaction.atomic():
                if attempt == 1:
                    _insert_new([new], now=new.trial.updated_at)
                    item.outcome = "created"
                else:
                    item.outcome = upsert(item.record, vocab=vocab, document=item.document,
                                          parser_version=item.parser_version, actor=actor, warnings=warnings,
                                          unplaced=unplaced, prepared=item.prepared)  # fmt: skip
                    item.warnings[:] = warnings
                    item.unplaced[:] = unplaced
            return
        except IntegrityError as exc:
            if attempt == 1 and "trial_registry_id_unique" in str(exc):
                vocab.reload()
                continue
            item.error = exc
        except DatabaseError as exc:
            item.error = exc
        except Exception as exc:  # a normalizer bug must cost one record, not the batch
            item.error = exc
        return


def _update(
    trial: Trial,
    record: TrialRecord,
    *,
    vocab: Vocabularies,
    document: SourceDocument,
    parser_version: str,
    now,
    actor: str,
    warnings: list[str] | None,
    unplaced: list[str] | None = None,
    prepared: Prepared | None = None,
    sources: list[TrialSource] | None = None,
) -> Outcome:
    """`sources`: the trial's active copies, when the caller read them already."""
    updated_before = trial.registry_updated
    sources = list(sources) if sources is not None else _active_sources(trial)
    mine = next((s for s in sources if s.document_id == document.id), None)
    if mine is None:
        mine = TrialSource.objects.filter(trial=trial, document=document).first() or TrialSource(
            trial=trial, document=document
        )
        sources.append(mine)
    stored = prepared.stored if prepared is not None else record.to_compact_dict()
    if mine.pk is None or mine.record != stored or mine.parser_version != parser_version or mine.dominated:
        fill_source(mine, record, stored, parser_version, now)
        mine.dominated = False
        mine.save()
    mine.document_sha = document.sha256
    changed = _apply(trial, sources, vocab=vocab, document=document, now=now, actor=actor, warnings=warnings,
                     unplaced=unplaced, ahead=(record, prepared) if prepared is not None else None)  # fmt: skip
    date = parse_date(record.last_update_date)
    if date is not None and updated_before is not None and date < updated_before:
        return "older"
    return "updated" if changed else "unchanged"


def refresh(
    trial: Trial,
    *,
    vocab: Vocabularies,
    actor: str = "renormalize",
    warnings: list[str] | None = None,
    thorough: bool = False,
    unplaced: list[str] | None = None,
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
                         warnings=warnings, thorough=thorough, unplaced=unplaced)  # fmt: skip
        return "updated" if changed else "unchanged"


def _locked(registry: str, registry_id: str) -> Trial | None:
    return Trial.objects.select_for_update(of=("self",)).filter(registry=registry, registry_id=registry_id).first()


def _active_sources(trial: Trial) -> list[TrialSource]:
    return _active_sources_of([trial]).get(trial.pk, [])


def _active_sources_of(trials: list[Trial]) -> dict[int, list[TrialSource]]:
    """The copies each of `trials` (locked) merges from, in one query."""
    found: dict[int, list[TrialSource]] = {t.pk: [] for t in trials}
    if not trials:
        return found
    rows = (
        TrialSource.objects.filter(trial__in=[t.pk for t in trials], dominated=False)
        .annotate(document_sha=F("document__sha256"))
        .order_by("id")
    )
    for row in rows:
        found[row.trial_id].append(row)
    return found


def fill_source(source: TrialSource, record: TrialRecord, stored: dict[str, Any], parser_version: str, now) -> None:
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
    trial: Trial,
    rows: list[TrialSource],
    *,
    vocab: Vocabularies,
    document: SourceDocument | None,
    now,
    actor: str,
    warnings: list[str] | None,
    thorough: bool = False,
    unplaced: list[str] | None = None,
    ahead: tuple[TrialRecord, Prepared] | None = None,
) -> bool:
    """Merge `rows` into `trial` and write what changed. True when a value changed.
    `ahead`: a record and its `Prepared` form, whose normalization stands for the
    merge's when the merge gives that very record (a trial with one copy)."""
    merged, candidates = _merged(rows)
    for index in dominated(candidates):
        row = candidates[index].ref
        TrialSource.objects.filter(pk=row.pk).update(dominated=True)
    if ahead is not None and ahead[1].usable(vocab) and merged.record == ahead[0]:
        nt, new = ahead[1].nt, ahead[1].new
    else:
        nt = vocab.normalize(merged.record)
        new = snapshot(nt)
    old = trial.parsed or {}
    applied: dict[str, list[Any]] = {}
    conflicts = dict(trial.curation_conflicts or {})
    related: dict[str, Any] = {}
    for key, value in new.items():
        curated = key in trial.curated_fields
        # Scalars are compared with the stored value itself (free); related rows with
        # what the registry said last time, unless `thorough` (rebuild) reads them.
        if (curated or (key not in SCALAR_FIELDS and not thorough)) and same_value(key, value, old.get(key)):
            continue
        if curated:
            curated = field_value(trial, key)
            if not same_value(key, curated, value):
                conflicts[key] = {
                    "curated": curated,
                    "registry_before": old.get(key),
                    "registry_now": value,
                    "detected_at": now.isoformat(),
                }
            continue
        before = field_value(trial, key)
        if same_value(key, before, value):
            continue
        if key in SCALAR_FIELDS:
            setattr(trial, key, from_json(key, value))
        else:
            related[key] = value
        applied[key] = [before, value]
    for key in list(conflicts):
        # The registry came round to the curator's value: nothing left to decide.
        if key in new and same_value(key, new[key], conflicts[key]["curated"]):
            del conflicts[key]
    new_conflicts = sorted(set(conflicts) - set(trial.curation_conflicts or {}))
    flagged = conflicts != (trial.curation_conflicts or {})

    before = {name: getattr(trial, name) for name in _TRACKED}
    trial.parsed = new
    trial.raw = nt.raw
    trial.curation_conflicts = conflicts
    trial.registry_updated = nt.registry_updated
    trial.evidence = nt.evidence
    trial.review = nt.review
    _set_provenance(trial, merged, nt)
    if applied or flagged:
        trial.updated_at = now
    _fit(trial, warnings)
    if "antigens" in related:
        set_related(trial, "antigens", related["antigens"], antigens={n: vocab.antigen(n) for n in nt.antigens})
    if "diseases" in related:
        set_related(trial, "diseases", related["diseases"],
                    diseases={d.name: vocab.disease(d.name, d.category) for d in nt.diseases})  # fmt: skip
    for key in ("dose_levels", "references"):
        if key in related:
            set_related(trial, key, related[key])
    if "sites" in related:
        set_related(trial, "sites", related["sites"])
        if unplaced is not None:
            unplaced.extend(unplaced_sites(trial.registry_id, related["sites"]))
    if "sites" in related or "contacts" in related:
        # A site's contacts went with the old site rows.
        set_related(trial, "contacts", new["contacts"])
    if applied:
        set_denormalized(
            trial, list(trial.antigens.all()), list(trial.diseases.all()), vocab.products_of(trial.product_names),
            tree=vocab.disease_tree,
        )  # fmt: skip
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
    "source_document_id", "missing_fields", "field_sources", "evidence", "review",
)  # fmt: skip


@dataclass
class _NewTrial:
    """A new trial and its rows, ready to insert."""

    trial: Trial
    source: TrialSource
    antigens: list[Antigen]
    diseases: list[Disease]
    dose_levels: list[dict[str, Any]]
    sites: list[dict[str, Any]]
    references: list[dict[str, Any]]
    contacts: list[dict[str, Any]]
    change: TrialChange
    item: Item | None = None


def _prepare_new(
    record: TrialRecord,
    *,
    vocab: Vocabularies,
    document: SourceDocument,
    parser_version: str,
    now,
    actor: str,
    warnings: list[str] | None,
    item: Item | None = None,
    unplaced: list[str] | None = None,
    prepared: Prepared | None = None,
) -> _NewTrial:
    if prepared is not None and prepared.usable(vocab):
        stored, nt, new = prepared.stored, prepared.nt, prepared.new
    else:
        stored = record.to_compact_dict()
        nt = vocab.normalize(record)
        new = snapshot(nt)
    trial = Trial(registry=nt.registry, registry_id=nt.registry_id, updated_at=now, created_at=now)
    for field_name in SCALAR_FIELDS:
        setattr(trial, field_name, from_json(field_name, new[field_name]))
    trial.parsed = new
    trial.raw = nt.raw
    trial.registry_updated = nt.registry_updated
    trial.evidence = nt.evidence
    trial.review = nt.review
    trial.has_publications = bool(new["references"])
    antigens = [vocab.antigen(name) for name in nt.antigens]
    diseases = [vocab.disease(d.name, d.category) for d in nt.diseases]
    source = TrialSource(document=document)
    fill_source(source, record, stored, parser_version, now)
    merged = merge([Source(record, document.sha256, ref=source)])
    _set_provenance(trial, merged, nt)
    trial.ingested_at = now
    _fit(trial, warnings)
    # No search vector: the insert computes it in SQL (`_insert_new`).
    set_denormalized(trial, antigens, diseases, vocab.products_of(trial.product_names), tree=vocab.disease_tree,
                     vector=False)  # fmt: skip
    change = TrialChange(
        actor=actor,
        source_document=document,
        changes={f: [None, new[f]] for f in (*SCALAR_FIELDS, *RELATED_FIELDS) if new[f] not in (None, "", [])},
        changed_at=now,
    )
    if unplaced is not None:
        unplaced.extend(unplaced_sites(nt.registry_id, new["sites"]))
    return _NewTrial(
        trial,
        source,
        antigens,
        diseases,
        new["dose_levels"],
        new["sites"],
        new["references"],
        new["contacts"],
        change,
        item,
    )


# New trials go through a temporary staging table (COPY cannot compute the search vector),
# named after the columns it was made with: a session that outlives a schema change
# (a migration run by the same process) makes another.
_STAGE = "ingest_new_trial"
_TRIAL_EXCLUDE = ("search_vector",)
_ROW_EXCLUDE = ("id",)


def _insert_new(new: list[_NewTrial], *, now=None) -> None:
    """Insert new trials and their rows: their ids in one query, then one COPY per table
    (the trials through a staging table, which adds their search vector). Run it in a
    savepoint: a failure leaves rows of some tables written."""
    if not new:
        return
    ids = bulk.next_ids({Trial._meta.db_table: len(new), Site._meta.db_table: sum(len(n.sites) for n in new)})
    for n, pk in zip(new, ids[Trial._meta.db_table]):
        n.trial.pk = pk
        if n.trial.created_at is None:
            n.trial.created_at = now or timezone.now()
    columns, formatters = bulk.columns(Trial, exclude=_TRIAL_EXCLUDE)
    names = bulk.attnames(Trial, exclude=_TRIAL_EXCLUDE)
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    stage = f"{_STAGE}_{zlib.crc32(quoted.encode()):08x}"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {stage} (LIKE {Trial._meta.db_table})")
        bulk.copy_rows(stage, columns, (bulk.row(n.trial, formatters, names) for n in new))
        cursor.execute(
            f"WITH staged AS (DELETE FROM {stage} RETURNING *) "
            f"INSERT INTO {Trial._meta.db_table} ({quoted}, search_vector) "
            f"SELECT {quoted}, {_SEARCH_VECTOR} FROM staged"
        )
    for n in new:
        n.trial._state.adding = False
        n.trial._state.db = connection.alias
        n.source.trial = n.trial
        n.change.trial = n.trial
    _copy_objects(TrialSource, [n.source for n in new])
    _copy_dicts(Trial.antigens.through, [{"trial_id": n.trial.pk, "antigen_id": a.pk} for n in new for a in n.antigens])
    _copy_dicts(Trial.diseases.through, [{"trial_id": n.trial.pk, "disease_id": d.pk} for n in new for d in n.diseases])
    _copy_dicts(
        DoseLevel, [{"trial_id": n.trial.pk, **level_fields(i, d)} for n in new for i, d in enumerate(n.dose_levels)]
    )
    site_ids = iter(ids[Site._meta.db_table])
    sites = []
    by_position: dict[int, dict[int, int]] = {}
    for n in new:
        for i, s in enumerate(n.sites):
            pk = next(site_ids)
            by_position.setdefault(n.trial.pk, {})[i] = pk
            sites.append({"id": pk, "trial_id": n.trial.pk, **site_fields(i, s)})
    _copy_dicts(Site, sites, with_id=True)
    _copy_dicts(
        Reference, [{"trial_id": n.trial.pk, **reference_fields(i, r)} for n in new for i, r in enumerate(n.references)]
    )
    _copy_dicts(
        TrialContact,
        [{"trial_id": n.trial.pk, "site_id": by_position.get(n.trial.pk, {}).get(c.get("site")), **contact_fields(i, c)}
         for n in new for i, c in enumerate(n.contacts)],
    )  # fmt: skip
    _copy_objects(TrialChange, [n.change for n in new])


# `catalogue.trials.search_vector(F("title"), F("search_document"))`, over the staged rows
# (the fast path's test compares the two).
_SEARCH_VECTOR = (
    "((setweight(to_tsvector('english'::regconfig, COALESCE(staged.title, '')), 'A') || "
    "setweight(to_tsvector('english'::regconfig, COALESCE(staged.search_document, '')), 'B')) || "
    "to_tsvector('simple'::regconfig, COALESCE(catalogue_cjk_tokens(staged.search_document), '')))"
)


def _copy_objects(model: type[models.Model], objects: list[models.Model]) -> None:
    """COPY unsaved model instances (their ids from the table's default)."""
    if not objects:
        return
    columns, formatters = bulk.columns(model, exclude=_ROW_EXCLUDE)
    names = bulk.attnames(model, exclude=_ROW_EXCLUDE)
    bulk.copy_rows(model._meta.db_table, columns, (bulk.row(o, formatters, names) for o in objects))


def _copy_dicts(model: type[models.Model], rows: list[dict[str, Any]], *, with_id: bool = False) -> None:
    """COPY rows given as {attribute name: value} (plain columns only: no array or JSON)."""
    if not rows:
        return
    exclude = () if with_id else _ROW_EXCLUDE
    columns, _ = bulk.columns(model, exclude=exclude)
    names = bulk.attnames(model, exclude=exclude)
    bulk.copy_rows(model._meta.db_table, columns, (tuple(r[a] for a in names) for r in rows))


def unplaced_sites(registry_id: str, sites: list[dict[str, Any]]) -> list[str]:
    """'<id>: <institution, city, state, country>' for each site (JSON form) without coordinates."""
    return [
        f"{registry_id}: " + (", ".join(p for p in (s.get("institution"), s.get("city") or s.get("city_zh"),
                                                    s.get("state") or s.get("state_zh"), s.get("country")) if p) or "?")
        for s in sites
        if s.get("latitude") is None or s.get("longitude") is None
    ]  # fmt: skip


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
    for name, inputs in INPUTS.items():
        supplier = next((merged.supplied_by[i] for i in inputs if i in merged.supplied_by), None)
        if supplier is None:
            continue
        key = str(supplier.ref.document_id)
        fields[name] = key
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
    for name, attname, limit, item_limit in _limits():
        value = getattr(trial, attname, None)
        if limit and isinstance(value, str) and len(value) > limit:
            setattr(trial, attname, value[:limit])
            if warnings is not None:
                warnings.append(f"{trial.registry_id}: {name} cut to {limit} characters (was {len(value)})")
        elif item_limit and isinstance(value, list) and any(isinstance(v, str) and len(v) > item_limit for v in value):
            setattr(trial, attname, [v[:item_limit] if isinstance(v, str) else v for v in value])
            if warnings is not None:
                warnings.append(f"{trial.registry_id}: {name} item(s) cut to {item_limit} characters")


@lru_cache(maxsize=1)
def _limits() -> tuple[tuple[str, str, int | None, int | None], ...]:
    """(name, attribute, length limit, list item length limit) of each Trial column with a limit."""
    found = []
    for column in Trial._meta.concrete_fields:
        limit = getattr(column, "max_length", None)
        base = getattr(column, "base_field", None) if isinstance(column, models.Field) else None
        item_limit = getattr(base, "max_length", None) if base is not None else None
        if limit or item_limit:
            found.append((column.name, column.attname, limit, item_limit))
    return tuple(found)


__all__ = [
    "Item", "Outcome", "Vocabularies", "ensure_builtin_vocabulary", "fill_source", "refresh", "sha256", "snapshot",
    "store_document", "store_documents", "unplaced_sites", "upsert", "upsert_many",
]  # fmt: skip
