"""The catalogue's data model.

A `Trial` holds normalized, indexed values for filtering, and beside them:
- `raw`: the registry's own string for each normalized field;
- `parsed`: the values the last ingest derived from the registry, so a curated
  field can be reverted, and a registry change under it detected;
- `curated_fields`: the fields a curator owns, which ingest never overwrites;
- `source_document`: the exact bytes the values came from.

Facet fields are denormalized into array columns (`antigen_names`,
`disease_names`, `disease_categories`, `countries`) with GIN indexes, so a
facet count is one GROUP BY over `unnest()` with no joins.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex, GistIndex
from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.text import slugify

from catalogue import activity
from catalogue.choices import (
    CellSource,
    ChangeActor,
    DiseaseCategory,
    DiseaseKind,
    DoseBasis,
    HarvestMode,
    HarvestSource,
    HarvestStatus,
    JobKind,
    JobStatus,
    Modality,
    PairReason,
    PairStatus,
    Phase,
    Sex,
    SiteStatus,
    SponsorType,
    Status,
    StudyType,
    TrialType,
)
from catalogue.registries import REGISTRY_CHOICES


class EarthField(models.Field):
    """A point of the `earthdistance` extension's `earth` type (no Python value: used in SQL only)."""

    def db_type(self, connection) -> str:  # type: ignore[no-untyped-def, override]
        return "earth"


class EarthPoint(models.Func):
    """`catalogue_ll_to_earth(latitude, longitude)`: `ll_to_earth()` with schema-qualified
    names (migration 0016), so the GiST index on it survives a pg_restore."""

    function = "catalogue_ll_to_earth"
    output_field = EarthField()


def lookup_key(text: str) -> str:
    """Case-, space- and punctuation-insensitive key: 'B7-H3', 'b7h3' → 'b7h3'."""
    return "".join(ch for ch in text.casefold() if ch.isalnum())


class VocabularyTerm(models.Model):
    """Shared shape of the curated vocabularies: a canonical name and synonyms."""

    name = models.CharField(max_length=100, unique=True)
    synonyms = ArrayField(models.CharField(max_length=100), default=list, blank=True)
    lookup_keys = ArrayField(models.CharField(max_length=100), default=list, editable=False)

    class Meta:
        abstract = True
        ordering = ["name"]

    def save(self, *args, **kwargs) -> None:
        self.lookup_keys = sorted({lookup_key(t) for t in self.terms() if lookup_key(t)})
        super().save(*args, **kwargs)

    def terms(self) -> list[str]:
        """Every string that names the term (what `lookup_keys` is made of)."""
        return [self.name, *self.synonyms]

    def __str__(self) -> str:
        return self.name


class Antigen(VocabularyTerm):
    """A CAR target, e.g. B7-H3 with synonyms CD276 and B7H3."""

    gene_symbol = models.CharField(max_length=40, blank=True)

    class Meta(VocabularyTerm.Meta):
        indexes = [GinIndex(fields=["lookup_keys"], name="antigen_lookup_gin")]


class Disease(VocabularyTerm):
    """A node of the disease tree: a category, a disease group or a disease.

    The tree is a parent chain of any depth with a category node at the root:
    Hematologic malignancy → Lymphoma → B-cell non-Hodgkin lymphoma → Diffuse
    large B-cell lymphoma. A node without a parent that is not a category hangs
    under its category's root (`catalogue.disease_tree`). The normalizer assigns
    only `disease` nodes, the most specific it can tell; a trial's
    `disease_names` hold its diseases and all their ancestors, so filtering on a
    node includes everything under it. `synonyms` hold English and Chinese
    names alike; `codes` MeSH ("MeSH:D008223") and ICD-10 ("ICD-10:C83.3")
    codes where one exists. Seeded from `catalogue/data/disease_tree.json`.
    """

    category = models.CharField(max_length=32, choices=DiseaseCategory.choices, default="other")
    kind = models.CharField(max_length=16, choices=DiseaseKind.choices, default=DiseaseKind.DISEASE)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children", db_index=True
    )
    name_zh = models.CharField("Chinese name", max_length=100, blank=True)
    codes = ArrayField(models.CharField(max_length=40), default=list, blank=True)

    class Meta(VocabularyTerm.Meta):
        indexes = [GinIndex(fields=["lookup_keys"], name="disease_lookup_gin")]

    def terms(self) -> list[str]:
        return [self.name, self.name_zh, *self.synonyms]

    def clean(self) -> None:
        node, seen = self.parent, set()
        while node is not None and node.pk not in seen:
            if self.pk is not None and node.pk == self.pk:
                raise ValidationError({"parent": "A disease cannot sit under itself or one of its own descendants."})
            seen.add(node.pk)
            node = node.parent
        if self.kind == DiseaseKind.CATEGORY and self.parent_id is not None:
            raise ValidationError({"parent": "A category is a root of the tree: it has no parent."})


class Product(models.Model):
    """A named cell-therapy product: its names, and its facts each with a source.

    A fact (targets, modality, cell source, sponsor) counts only with a source in
    `sources` ({fact: "a registry record that states it" or "a label or publication
    cited by name"}): an unsourced target never becomes a trial's antigen. Seeded
    from `catalogue/data/products.json`; curators extend it in the admin.
    """

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=120, unique=True)
    aliases = ArrayField(models.CharField(max_length=100), default=list, blank=True)
    codes = ArrayField(models.CharField(max_length=100), default=list, blank=True)
    targets = ArrayField(models.CharField(max_length=100), default=list, blank=True)
    modality = models.CharField(max_length=16, choices=Modality.choices, blank=True)
    cell_source = models.CharField(max_length=16, choices=CellSource.choices, blank=True)
    sponsor = models.CharField(max_length=300, blank=True)
    sources = models.JSONField(default=dict, blank=True)
    lookup_keys = ArrayField(models.CharField(max_length=100), default=list, editable=False)

    class Meta:
        ordering = ["name"]
        indexes = [GinIndex(fields=["lookup_keys"], name="product_lookup_gin")]

    def save(self, *args, **kwargs) -> None:
        self.slug = self.slug or slugify(self.name)[:120]
        self.lookup_keys = sorted({lookup_key(t) for t in [self.name, *self.aliases, *self.codes] if lookup_key(t)})
        super().save(*args, **kwargs)

    def __str__(self) -> str:
        return self.name

    @property
    def names(self) -> list[str]:
        return [self.name, *self.aliases, *self.codes]


class SourceDocument(models.Model):
    """The exact bytes an ingest read. One bulk page can feed many trials."""

    content = models.BinaryField()
    sha256 = models.CharField(max_length=64, unique=True)
    format = models.CharField(max_length=40)
    parser_version = models.CharField(max_length=20)
    filename = models.CharField(max_length=500, blank=True)
    size = models.PositiveIntegerField(default=0)
    ingested_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.filename or self.sha256[:12]} ({self.format})"


class Trial(models.Model):
    """One registered CAR-T trial, normalized, with provenance for every value."""

    registry = models.CharField(max_length=16, choices=REGISTRY_CHOICES)
    registry_id = models.CharField(max_length=64)
    secondary_ids = ArrayField(models.CharField(max_length=200), default=list, blank=True)

    title = models.TextField()
    official_title = models.TextField(blank=True)
    title_zh = models.TextField(blank=True)
    brief_summary = models.TextField(blank=True)

    # None: no copy of the record states it (shown as "not stated", never as a default).
    status = models.CharField(max_length=32, choices=Status.choices, null=True, blank=True)
    phase = models.CharField(max_length=32, choices=Phase.choices, null=True, blank=True)
    study_type = models.CharField(max_length=32, choices=StudyType.choices, null=True, blank=True)

    min_age_years = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    max_age_years = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    sex = models.CharField(max_length=8, choices=Sex.choices, null=True, blank=True)
    healthy_volunteers = models.BooleanField(null=True, blank=True)  # None: not stated

    dose_min_cells_per_kg = models.FloatField(null=True, blank=True)
    dose_max_cells_per_kg = models.FloatField(null=True, blank=True)

    enrollment = models.PositiveIntegerField(null=True, blank=True)
    enrollment_type = models.CharField(max_length=16, blank=True)
    start_date = models.DateField(null=True, blank=True)
    completion_date = models.DateField(null=True, blank=True)
    registration_date = models.DateField(null=True, blank=True)
    # The registry's own last-update date of the newest copy we hold.
    registry_updated = models.DateField(null=True, blank=True)

    sponsor = models.CharField(max_length=500, blank=True)
    # From the lead sponsor's registry class or name (ingest.normalize.sponsor); None: no sponsor stated.
    sponsor_type = models.CharField(max_length=16, choices=SponsorType.choices, null=True, blank=True)
    countries = ArrayField(models.CharField(max_length=100), default=list, blank=True)
    cell_source = models.CharField(max_length=16, choices=CellSource.choices, default="unknown")
    conditions = ArrayField(models.TextField(), default=list, blank=True)
    keywords = ArrayField(models.TextField(), default=list, blank=True)
    interventions = ArrayField(models.TextField(), default=list, blank=True)
    inclusion_criteria = models.TextField(blank=True)
    exclusion_criteria = models.TextField(blank=True)

    # Results: None when no copy of the record says whether results are posted.
    has_results = models.BooleanField(null=True, blank=True)
    results_date = models.DateField(null=True, blank=True)
    results_url = models.URLField(max_length=500, blank=True)
    # Denormalized from `references` for the facet (kept in step by ingest).
    has_publications = models.BooleanField(default=False, editable=False)

    # Classifications (catalogue.choices), each with its evidence in `evidence`.
    modalities = ArrayField(models.CharField(max_length=16, choices=Modality.choices), default=list, blank=True)
    trial_type = models.CharField(max_length=32, choices=TrialType.choices, null=True, blank=True)
    in_scope = models.BooleanField(default=True)
    product_names = ArrayField(models.CharField(max_length=100), default=list, blank=True)
    evidence = models.JSONField(default=dict, blank=True, editable=False)
    # Classifications flagged for a curator's review ("<classification>: <why>").
    review = ArrayField(models.CharField(max_length=300), default=list, blank=True, editable=False)

    antigens = models.ManyToManyField(Antigen, related_name="trials", blank=True)
    diseases = models.ManyToManyField(Disease, related_name="trials", blank=True)

    source_url = models.URLField(max_length=500, blank=True)
    source_format = models.CharField(max_length=40, blank=True)
    source_document = models.ForeignKey(
        SourceDocument, null=True, blank=True, on_delete=models.SET_NULL, related_name="trials"
    )
    parser_version = models.CharField(max_length=20, blank=True)
    ingested_at = models.DateTimeField(null=True, blank=True)

    raw = models.JSONField(default=dict, blank=True)
    parsed = models.JSONField(default=dict, blank=True, editable=False)
    curated_fields = ArrayField(models.CharField(max_length=64), default=list, blank=True)
    curation_conflicts = models.JSONField(default=dict, blank=True)
    # Normalized fields that no copy of the record carries ("not in our copy"),
    # and which copy supplied each of the others (see `catalogue.provenance`).
    missing_fields = ArrayField(models.CharField(max_length=64), default=list, blank=True, editable=False)
    field_sources = models.JSONField(default=dict, blank=True, editable=False)

    # The other registration of the same study; the catalogue shows the pair as one entry.
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged_records"
    )

    # Denormalized for filters and facets (kept in step by ingest and curation).
    antigen_names = ArrayField(models.CharField(max_length=100), default=list, blank=True, editable=False)
    disease_names = ArrayField(models.CharField(max_length=100), default=list, blank=True, editable=False)
    disease_categories = ArrayField(models.CharField(max_length=32), default=list, blank=True, editable=False)
    # The trial's targets as one value ("BCMA + CD19") when it names two or more.
    target_combination = models.CharField(max_length=400, null=True, blank=True, editable=False)
    search_document = models.TextField(blank=True, editable=False)
    search_vector = SearchVectorField(null=True, editable=False)
    # What a search's relevance ranks: the title's and the conditions' words, small enough to
    # stay in the row. Computed by a trigger on every write (migration 0023).
    rank_vector = SearchVectorField(null=True, editable=False)

    created_at = models.DateTimeField(auto_now_add=True)
    # Set by ingest/curation only when a value really changes (not auto_now).
    updated_at = models.DateTimeField()
    # Set by a trigger from a sequence on every insert and update, whoever writes
    # (migration 0017): what the in-memory facet index (catalogue/facet_index.py) follows.
    row_version = models.BigIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["registry_id"]
        constraints = [
            models.UniqueConstraint(fields=["registry", "registry_id"], name="trial_registry_id_unique"),
            models.CheckConstraint(
                condition=models.Q(min_age_years__isnull=True)
                | models.Q(max_age_years__isnull=True)
                | models.Q(min_age_years__lte=models.F("max_age_years")),
                name="trial_age_range_ordered",
            ),
            models.CheckConstraint(
                condition=models.Q(dose_min_cells_per_kg__isnull=True)
                | models.Q(dose_max_cells_per_kg__isnull=True)
                | models.Q(dose_min_cells_per_kg__lte=models.F("dose_max_cells_per_kg")),
                name="trial_dose_range_ordered",
            ),
        ]
        indexes = [
            models.Index(fields=["registry_id"], name="trial_registry_id_idx"),
            models.Index(fields=["status"], name="trial_status_idx"),
            models.Index(fields=["phase"], name="trial_phase_idx"),
            models.Index(fields=["cell_source"], name="trial_cell_source_idx"),
            models.Index(fields=["min_age_years", "max_age_years"], name="trial_age_idx"),
            models.Index(fields=["dose_min_cells_per_kg", "dose_max_cells_per_kg"], name="trial_dose_idx"),
            # Matches the default order (newest start, undated last) so a page is an index walk, not a sort.
            models.Index(models.F("start_date").desc(nulls_last=True), "registry_id", name="trial_newest_idx"),
            models.Index(fields=["-updated_at"], name="trial_updated_idx"),
            models.Index(fields=["row_version"], name="trial_row_version_idx"),
            models.Index(
                models.F("registry_updated").desc(nulls_last=True), "registry_id", name="trial_registry_updated_idx"
            ),
            GinIndex(fields=["antigen_names"], name="trial_antigen_names_gin"),
            GinIndex(fields=["disease_names"], name="trial_disease_names_gin"),
            GinIndex(fields=["disease_categories"], name="trial_disease_cat_gin"),
            GinIndex(fields=["countries"], name="trial_countries_gin"),
            GinIndex(fields=["modalities"], name="trial_modalities_gin"),
            models.Index(
                fields=["healthy_volunteers"],
                name="trial_healthy_volunteers_idx",
                condition=models.Q(healthy_volunteers=True),
            ),
            GinIndex(fields=["product_names"], name="trial_products_gin"),
            models.Index(fields=["target_combination"], name="trial_target_combination_idx"),
            models.Index(fields=["trial_type"], name="trial_type_idx"),
            models.Index(fields=["in_scope"], name="trial_in_scope_idx"),
            models.Index(fields=["has_results"], name="trial_has_results_idx"),
            models.Index(fields=["has_publications"], name="trial_has_publications_idx"),
            # The "possibly stalled" filter (catalogue.activity): status with a date cut-off.
            models.Index(fields=["status", "start_date"], name="trial_status_start_idx"),
            models.Index(fields=["status", "registry_updated"], name="trial_status_updated_idx"),
            GinIndex(fields=["secondary_ids"], name="trial_secondary_ids_gin"),
            GinIndex(fields=["search_vector"], name="trial_search_vector_gin"),
            GinIndex(fields=["title"], name="trial_title_trgm", opclasses=["gin_trgm_ops"]),
        ]

    def __str__(self) -> str:
        return f"{self.registry_id}: {self.title[:80]}"

    @property
    def age_limits_stated(self) -> bool:
        return self.min_age_years is not None or self.max_age_years is not None

    @property
    def stalled_reasons(self) -> list[str]:
        """Why the trial is possibly stalled (`catalogue.activity`), as of today; [] when it is not."""
        return activity.stalled_reasons(self.status, self.start_date, self.registry_updated)


class TrialPair(models.Model):
    """Two registrations that may be one study: a link, a suggestion, or a rejection.

    `linked` pairs are shown as one catalogue entry (the `secondary` record has
    `merged_into` = `primary`). `rejected` pairs are never linked automatically again.
    """

    primary = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="pairs_as_primary")
    secondary = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="pairs_as_secondary")
    status = models.CharField(max_length=16, choices=PairStatus.choices, db_index=True)
    reason = models.CharField(max_length=16, choices=PairReason.choices)
    similarity = models.FloatField(null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-similarity", "-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["primary", "secondary"], name="trial_pair_unique"),
            models.CheckConstraint(condition=~models.Q(primary=models.F("secondary")), name="trial_pair_distinct"),
        ]

    def __str__(self) -> str:
        return f"{self.primary.registry_id} ↔ {self.secondary.registry_id} ({self.status})"


class TrialSource(models.Model):
    """One copy of a trial as one source document gives it: the parsed record
    (registry strings, absent fields as null) and what ranks it in the merge.

    A trial's values are the merge of its copies (`ingest.merge`). A copy that
    another copy ranks above and covers completely is `dominated`: it can never
    supply a value again, so the importer stops loading it (it stays stored).
    """

    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="sources")
    document = models.ForeignKey(SourceDocument, on_delete=models.CASCADE, related_name="trial_sources")
    record = models.JSONField()
    source_format = models.CharField(max_length=40)
    parser_version = models.CharField(max_length=20, blank=True)
    third_party = models.BooleanField(default=False)
    registry_updated = models.DateField(null=True, blank=True)
    dominated = models.BooleanField(default=False)
    ingested_at = models.DateTimeField()

    class Meta:
        ordering = ["trial", "-registry_updated", "id"]
        constraints = [models.UniqueConstraint(fields=["trial", "document"], name="trial_source_unique")]
        indexes = [models.Index(fields=["trial", "dominated"], name="trial_source_active_idx")]

    def __str__(self) -> str:
        return f"{self.trial_id} from {self.document_id} ({self.source_format}, {self.registry_updated})"


class DoseLevel(models.Model):
    """One dose level of a trial or arm, in cells (per kg, per m², or flat)."""

    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="dose_levels")
    position = models.PositiveSmallIntegerField(default=0)
    arm = models.CharField(max_length=500, blank=True)
    low = models.FloatField()
    high = models.FloatField()
    unit = models.CharField(max_length=20)
    basis = models.CharField(max_length=8, choices=DoseBasis.choices)
    raw = models.TextField(blank=True)

    class Meta:
        ordering = ["trial", "position"]
        constraints = [models.CheckConstraint(condition=models.Q(low__lte=models.F("high")), name="dose_low_le_high")]

    def __str__(self) -> str:
        return self.raw or f"{self.low:g}–{self.high:g} {self.unit}"


class Site(models.Model):
    """A site of a trial, as the registry lists it: its place (English and, where
    the registry gives them, Chinese names), its own recruitment status and its
    coordinates.

    `latitude`/`longitude` are the registry's own (`geo_source` "registry") or, when
    it gives none, those of the site's city in the offline gazetteer
    (`catalogue.places`, `geo_source` "gazetteer"); null with `geo_source` "" when
    the place could not be told. A GiST index on `ll_to_earth(latitude, longitude)`
    (migration 0016) serves the distance filter (`near=`).
    """

    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="sites")
    position = models.PositiveSmallIntegerField(default=0)
    institution = models.CharField(max_length=500, blank=True)
    institution_zh = models.CharField(max_length=500, blank=True)
    city = models.CharField(max_length=200, blank=True)
    city_zh = models.CharField(max_length=200, blank=True)
    state = models.CharField(max_length=200, blank=True)
    state_zh = models.CharField(max_length=200, blank=True)
    country = models.CharField(max_length=100, blank=True)  # English (catalogue.countries)
    country_zh = models.CharField(max_length=100, blank=True)
    zip = models.CharField(max_length=40, blank=True)
    status = models.CharField(max_length=32, choices=SiteStatus.choices, null=True, blank=True)  # None: not stated
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    geo_source = models.CharField(max_length=16, blank=True)  # "registry" | "gazetteer" | "" (no coordinates)

    class Meta:
        ordering = ["trial", "position"]
        indexes = [
            GistIndex(
                EarthPoint(models.F("latitude"), models.F("longitude")), name="site_earth_gist",
                condition=models.Q(latitude__isnull=False, longitude__isnull=False),
            ),
        ]  # fmt: skip

    def __str__(self) -> str:
        return ", ".join(p for p in (self.institution, self.city, self.country) if p)

    @property
    def has_coordinates(self) -> bool:
        return self.latitude is not None and self.longitude is not None


class TrialContact(models.Model):
    """A person or office to contact about a trial, as the registry publishes it:
    trial-level (central contacts, ChiCTR's study leader and applicant) or of one
    site (`site`). Only what the registry publishes; never curated."""

    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="contacts")
    site = models.ForeignKey(Site, null=True, blank=True, on_delete=models.CASCADE, related_name="contacts")
    position = models.PositiveSmallIntegerField(default=0)
    # "central", "central_backup", "site", "site_backup", "principal_investigator", "study_chair",
    # "study_director", "study_leader", "applicant", "public", "scientific"... as the parsers give them.
    role = models.CharField(max_length=32, blank=True)
    name = models.CharField(max_length=300, blank=True)
    phone = models.CharField(max_length=100, blank=True)
    email = models.CharField(max_length=254, blank=True)
    affiliation = models.CharField(max_length=500, blank=True)
    address = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["trial", "position"]

    def __str__(self) -> str:
        return " ".join(p for p in (self.role, self.name, self.email or self.phone) if p)


class Reference(models.Model):
    """A publication the registry record cites, as the registry gives it. `type` is the
    registry's word (ClinicalTrials.gov BACKGROUND / RESULT / DERIVED)."""

    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="references")
    position = models.PositiveSmallIntegerField(default=0)
    pmid = models.CharField(max_length=20, blank=True)
    type = models.CharField(max_length=32, blank=True)
    citation = models.TextField(blank=True)
    url = models.URLField(max_length=500, blank=True)

    class Meta:
        ordering = ["trial", "position"]

    def __str__(self) -> str:
        return f"PMID {self.pmid}" if self.pmid else (self.citation[:80] or self.url)


class TrialChange(models.Model):
    """History: one change to a trial, by ingest (with its source document) or by a curator."""

    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="changes")
    changed_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.CharField(max_length=16, choices=ChangeActor.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    source_document = models.ForeignKey(SourceDocument, null=True, blank=True, on_delete=models.SET_NULL)
    changes = models.JSONField(default=dict)  # {field: [old, new]}
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-changed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.trial_id} {self.actor} {', '.join(self.changes)}"


class DataVersion(models.Model):
    """A single row whose `version` changes each time a transaction that changed
    trials or vocabularies commits. Cached counts are keyed on it.

    Database triggers maintain it (migration 0006), so every writer is covered:
    ingest, the admin, renormalize, linking, bulk loaders, raw SQL. The bump
    runs at commit time, once per transaction, so it never takes a lock early
    (no deadlocks with other writers) and never becomes visible before the data.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    version = models.BigIntegerField()
    changed_at = models.DateTimeField()
    # "Data as of": the newest registry last-update date held (set with each
    # version), and when an ingest or harvest last finished.
    registry_updated_max = models.DateField(null=True, blank=True)
    last_ingest_at = models.DateTimeField(null=True, blank=True)
    # Each harvested source's last runs, as the footer shows them (`catalogue.freshness`).
    harvests = models.JSONField(default=dict, null=True, blank=True)

    def __str__(self) -> str:
        return f"data version {self.version} ({self.changed_at:%Y-%m-%d %H:%M:%S})"


class Job(models.Model):
    """A long task started from the admin and run in a process of its own (never in
    a web request): its progress and outcome, for curators to follow."""

    kind = models.CharField(max_length=32, choices=JobKind.choices)
    status = models.CharField(max_length=16, choices=JobStatus.choices, default=JobStatus.QUEUED, db_index=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    message = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.status})"


class FacetRow(models.Model):
    """The facet columns of the trials a count is about: not a table, the name of
    the common table expression `catalogue.counts` builds per query. Declared as a
    model so the FilterSet's own facet filters compile against it."""

    antigen_names = ArrayField(models.CharField(max_length=100))
    disease_names = ArrayField(models.CharField(max_length=100))
    disease_categories = ArrayField(models.CharField(max_length=32))
    phase = models.CharField(max_length=32, null=True)
    status = models.CharField(max_length=32, null=True)
    countries = ArrayField(models.CharField(max_length=100))
    registry = models.CharField(max_length=16)
    cell_source = models.CharField(max_length=16)
    modalities = ArrayField(models.CharField(max_length=16))
    trial_type = models.CharField(max_length=32, null=True)
    product_names = ArrayField(models.CharField(max_length=100))
    has_results = models.BooleanField(null=True)
    has_publications = models.BooleanField()
    # Only with near= and a status filter (`TrialFilterSet.row_columns`).
    near_site_has_status = models.BooleanField(null=True)
    target_combination = models.CharField(max_length=400, null=True)

    class Meta:
        managed = False
        db_table = "facet_base"


class HarvestRun(models.Model):
    """One harvest of a registry source (`manage.py harvest`): what was asked, what
    came back and what the catalogue did with it.

    A ClinicalTrials.gov run stores its query parameters and, after each page it
    has ingested, the token of the next page: a run that fails or is killed is
    resumed from there by the next run (`resumed_from`). `anchor_at` is when the
    data of a complete harvest (the first run of a resumed chain) was asked for;
    the next incremental window starts two days before it.
    """

    SUCCESS = (HarvestStatus.OK, HarvestStatus.UP_TO_DATE)

    source = models.CharField(max_length=16, choices=HarvestSource.choices)
    mode = models.CharField(max_length=16, choices=HarvestMode.choices)
    status = models.CharField(max_length=16, choices=HarvestStatus.choices, default=HarvestStatus.RUNNING)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    anchor_at = models.DateTimeField(null=True, blank=True)
    resumed_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="resumed_by"
    )
    # The registry's own data timestamp (ClinicalTrials.gov /version `dataTimestamp`), as it gave it.
    data_timestamp = models.CharField(max_length=40, blank=True)
    query = models.TextField(blank=True)
    window_start = models.DateField(null=True, blank=True)  # LastUpdatePostDate from; null: everything
    params = models.JSONField(default=dict, blank=True)  # the exact query parameters every page repeats
    next_page_token = models.TextField(blank=True)  # the page to ask for next (resumption)
    total_count = models.PositiveIntegerField(null=True, blank=True)
    pages = models.PositiveIntegerField(default=0)
    studies = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    older = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    warnings = models.TextField(blank=True)
    # Reconcile findings (ids that left the query, aliases, ids the registry no longer
    # has) and the files of an ICTRP run (ingested, skipped as already ingested).
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["source", "status", "-started_at"], name="harvest_run_latest_idx")]

    def __str__(self) -> str:
        return f"{self.get_source_display()} {self.get_mode_display()} {self.started_at:%Y-%m-%d %H:%M} ({self.get_status_display()})"
