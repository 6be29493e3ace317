"""What a trial's values are, in one place: the fields a registry supplies and a
curator may own, their JSON form (history, `Trial.parsed`), the related rows, and
the denormalized facet and search columns. Ingest, curation, linking and the
admin all write trials through these functions.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from django.contrib.postgres.search import SearchVector
from django.db.models import Expression, F, Func, Value

from catalogue.disease_tree import DiseaseTree
from catalogue.models import Antigen, Disease, DoseLevel, Product, Reference, Site, Trial, TrialContact

# Normalized scalar fields a registry supplies (and a curator may own).
SCALAR_FIELDS: tuple[str, ...] = (
    "secondary_ids", "title", "official_title", "title_zh", "brief_summary",
    "status", "phase", "study_type", "min_age_years", "max_age_years", "sex",
    "dose_min_cells_per_kg", "dose_max_cells_per_kg", "enrollment", "enrollment_type",
    "healthy_volunteers", "start_date", "completion_date", "registration_date", "sponsor", "sponsor_type", "countries",
    "cell_source", "conditions", "keywords", "interventions", "inclusion_criteria", "exclusion_criteria",
    "source_url", "modalities", "trial_type", "in_scope", "product_names",
    "has_results", "results_date", "results_url",
)  # fmt: skip
# Related fields, written as whole fields (references and contacts are the registry's only: never curated).
RELATED_FIELDS: tuple[str, ...] = ("antigens", "diseases", "dose_levels", "sites", "references", "contacts")
CURATABLE_FIELDS: tuple[str, ...] = SCALAR_FIELDS + ("antigens", "diseases", "dose_levels")
# List fields: one entry per line in the admin, compared as lists (entries contain commas).
LIST_FIELDS: tuple[str, ...] = (
    "secondary_ids",
    "countries",
    "conditions",
    "keywords",
    "interventions",
    "product_names",
)
DECIMAL_FIELDS = frozenset({"min_age_years", "max_age_years"})
DATE_FIELDS = frozenset({"start_date", "completion_date", "registration_date", "registry_updated", "results_date"})
DOSE_LEVEL_KEYS = ("arm", "low", "high", "unit", "basis", "raw")
SITE_KEYS = (
    "institution", "institution_zh", "city", "city_zh", "state", "state_zh", "country", "country_zh", "zip",
    "status", "latitude", "longitude", "geo_source",
)  # fmt: skip
# A contact's JSON form also has "site": the position of its site (None: a trial-level contact).
CONTACT_KEYS = ("role", "name", "phone", "email", "affiliation", "address")
_SITE_TEXT_LIMITS = {"institution": 500, "institution_zh": 500, "city": 200, "city_zh": 200, "state": 200,
                     "state_zh": 200, "country": 100, "country_zh": 100, "zip": 40, "geo_source": 16}  # fmt: skip
_CONTACT_TEXT_LIMITS = {"role": 32, "name": 300, "phone": 100, "email": 254, "affiliation": 500, "address": 500}
REFERENCE_KEYS = ("pmid", "type", "citation", "url")


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


def field_value(trial: Trial, field: str) -> Any:
    """The trial's present value of `field`, in its JSON form (as in `Trial.parsed`)."""
    if field in SCALAR_FIELDS:
        return to_json(getattr(trial, field))
    if field == "antigens":
        return sorted(a.name for a in trial.antigens.all())
    if field == "diseases":
        return sorted(d.name for d in trial.diseases.all())
    if field == "dose_levels":
        return [{key: getattr(d, key) for key in DOSE_LEVEL_KEYS} for d in trial.dose_levels.all()]
    if field == "sites":
        return [{key: getattr(s, key) for key in SITE_KEYS} for s in trial.sites.all()]
    if field == "references":
        return [{key: getattr(r, key) for key in REFERENCE_KEYS} for r in trial.references.all()]
    if field == "contacts":
        positions = {s.pk: s.position for s in trial.sites.all()}
        return [
            {**{key: getattr(c, key) for key in CONTACT_KEYS}, "site": positions.get(c.site_id)}
            for c in trial.contacts.all()
        ]
    return to_json(getattr(trial, field, None))


def same_value(field: str, a: Any, b: Any) -> bool:
    """Equal for the catalogue: antigens and diseases as sets, all else exactly."""
    if field in ("antigens", "diseases"):
        return sorted(a or []) == sorted(b or [])
    return a == b


def level_fields(position: int, level: dict[str, Any]) -> dict[str, Any]:
    """A DoseLevel row's column values (but its trial) from its JSON form (`DOSE_LEVEL_KEYS`)."""
    return {
        "position": position, "arm": (level.get("arm") or "")[:500], "low": level["low"], "high": level["high"],
        "unit": level["unit"], "basis": level["basis"], "raw": level.get("raw") or "",
    }  # fmt: skip


def level_row(trial: Trial, position: int, level: dict[str, Any]) -> DoseLevel:
    """An unsaved DoseLevel from its JSON form (`DOSE_LEVEL_KEYS`)."""
    return DoseLevel(trial=trial, **level_fields(position, level))


def site_fields(position: int, site: dict[str, Any]) -> dict[str, Any]:
    """A Site row's column values (but its trial) from its JSON form (`SITE_KEYS`; absent keys are empty)."""
    fields = {"position": position, "status": site.get("status") or None,
              "latitude": site.get("latitude"), "longitude": site.get("longitude")}  # fmt: skip
    for key, limit in _SITE_TEXT_LIMITS.items():
        fields[key] = (site.get(key) or "")[:limit]
    if fields["latitude"] is None or fields["longitude"] is None:
        fields["latitude"] = fields["longitude"] = None
        fields["geo_source"] = ""
    return fields


def site_row(trial: Trial, position: int, site: dict[str, Any]) -> Site:
    """An unsaved Site from its JSON form (`SITE_KEYS`; absent keys are empty)."""
    return Site(trial=trial, **site_fields(position, site))


def contact_fields(position: int, contact: dict[str, Any]) -> dict[str, Any]:
    """A TrialContact row's column values but its trial and site, from its JSON form
    (`CONTACT_KEYS`; its "site" is the position of its site among the trial's sites)."""
    fields: dict[str, Any] = {"position": position}
    for key, limit in _CONTACT_TEXT_LIMITS.items():
        fields[key] = (contact.get(key) or "")[:limit]
    return fields


def contact_row(trial: Trial, position: int, contact: dict[str, Any], sites: dict[int, Site]) -> TrialContact:
    """An unsaved TrialContact from its JSON form (`CONTACT_KEYS` and "site", the
    position of its site among `sites`, saved Site rows by position)."""
    site = sites.get(contact.get("site"))  # type: ignore[arg-type]
    return TrialContact(trial=trial, site=site, **contact_fields(position, contact))


def reference_fields(position: int, reference: dict[str, Any]) -> dict[str, Any]:
    """A Reference row's column values (but its trial) from its JSON form (`REFERENCE_KEYS`)."""
    return {
        "position": position, "pmid": (reference.get("pmid") or "")[:20], "type": (reference.get("type") or "")[:32],
        "citation": reference.get("citation") or "", "url": (reference.get("url") or "")[:500],
    }  # fmt: skip


def reference_row(trial: Trial, position: int, reference: dict[str, Any]) -> Reference:
    """An unsaved Reference from its JSON form (`REFERENCE_KEYS`)."""
    return Reference(trial=trial, **reference_fields(position, reference))


def set_references(trial: Trial, references: Iterable[dict[str, Any]], *, replace: bool = True) -> None:
    """Replace the trial's references (dicts of `REFERENCE_KEYS`) and its `has_publications` flag."""
    references = list(references)
    if replace:
        trial.references.all().delete()
    Reference.objects.bulk_create([reference_row(trial, i, r) for i, r in enumerate(references)])
    has_publications = bool(references) or (not replace and trial.has_publications)
    if trial.has_publications != has_publications:
        trial.has_publications = has_publications
        Trial.objects.filter(pk=trial.pk).update(has_publications=has_publications)


def set_dose_levels(trial: Trial, levels: Iterable[dict[str, Any]], *, replace: bool = True) -> None:
    """Replace the trial's dose levels with `levels` (dicts of `DOSE_LEVEL_KEYS`)."""
    if replace:
        trial.dose_levels.all().delete()
    DoseLevel.objects.bulk_create([level_row(trial, i, d) for i, d in enumerate(levels)])


def set_sites(trial: Trial, sites: Iterable[dict[str, Any]], *, replace: bool = True) -> None:
    """Replace the trial's sites with `sites` (dicts of `SITE_KEYS`). Their contacts
    go with them: write the contacts again after (`set_contacts`)."""
    if replace:
        trial.sites.all().delete()
    Site.objects.bulk_create([site_row(trial, i, s) for i, s in enumerate(sites)])


def set_contacts(trial: Trial, contacts: Iterable[dict[str, Any]], *, replace: bool = True) -> None:
    """Replace the trial's contacts with `contacts` (dicts of `CONTACT_KEYS` and "site")."""
    if replace:
        trial.contacts.all().delete()
    contacts = list(contacts)
    sites = {s.position: s for s in trial.sites.all()} if any(c.get("site") is not None for c in contacts) else {}
    TrialContact.objects.bulk_create([contact_row(trial, i, c, sites) for i, c in enumerate(contacts)])


def set_related(
    trial: Trial,
    field: str,
    value: Any,
    *,
    antigens: dict[str, Antigen] | None = None,
    diseases: dict[str, Disease] | None = None,
    replace: bool = True,
) -> None:
    """Set one related field from its JSON form (`field_value`). `antigens` /
    `diseases`: the vocabulary terms by name (looked up or created otherwise)."""
    if field == "antigens":
        terms = [(antigens or {}).get(name) or Antigen.objects.get_or_create(name=name)[0] for name in value]
        if replace:
            trial.antigens.set(terms)
        else:
            trial.antigens.add(*terms)
    elif field == "diseases":
        terms = [(diseases or {}).get(name) or Disease.objects.get_or_create(name=name)[0] for name in value]
        if replace:
            trial.diseases.set(terms)
        else:
            trial.diseases.add(*terms)
    elif field == "dose_levels":
        set_dose_levels(trial, value, replace=replace)
    elif field == "sites":
        set_sites(trial, value, replace=replace)
    elif field == "references":
        set_references(trial, value, replace=replace)
    elif field == "contacts":
        set_contacts(trial, value, replace=replace)
    else:
        raise ValueError(f"{field!r} is not a related field")


def search_document(
    trial: Trial, antigens: list[Antigen], diseases: list[Disease], products: list[Product] | None = None
) -> str:
    """The text `q` searches: titles (English and Chinese), summary, conditions,
    interventions, keywords, sponsor, ids, the names and synonyms of the targets,
    and the names, aliases and codes of the products the trial names."""
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
        " ".join(trial.keywords or []),
        " ".join(trial.interventions),
        trial.sponsor,
        " ".join(a.name + " " + " ".join(a.synonyms) for a in antigens),
        " ".join(d.name for d in diseases),
        " ".join(" ".join(p.names) for p in products or []),
    ]
    return "\n".join(p for p in parts if p)


def search_vector(title: str | Expression, document: str | Expression) -> Any:
    """The search vector of a trial, as an SQL expression: its title (weight A),
    its search document (weight B), and the document's Chinese as overlapping
    character pairs (`catalogue_cjk_tokens()`, migration 0007), which is how `q`
    finds Chinese words, which have no spaces between them.

    `title` and `document` are the texts, or expressions such as `F("title")` for
    computing it over stored columns (the benchmark data loader does)."""
    title, document = (v if isinstance(v, Expression | F) else Value(v) for v in (title, document))
    return (
        SearchVector(title, weight="A", config="english")
        + SearchVector(document, weight="B", config="english")
        + SearchVector(Func(document, function="catalogue_cjk_tokens"), config="simple")
    )


def target_combination(antigen_names: list[str]) -> str | None:
    """A trial's targets as one facet value ("BCMA + CD19"), for two or more targets
    (None past the column's size: such a list is no combination anyone filters on,
    and a cut one would be wrong; the antigen facet still has each target)."""
    names = sorted(set(antigen_names))
    value = " + ".join(names)
    limit = Trial._meta.get_field("target_combination").max_length or 0
    return value if len(names) >= 2 and len(value) <= limit else None


def set_denormalized(
    trial: Trial,
    antigens: list[Antigen],
    diseases: list[Disease],
    products: list[Product] | None = None,
    *,
    tree: DiseaseTree | None = None,
    vector: bool = True,
) -> None:
    """Set (without saving) the facet arrays and the search columns. `products`: the
    trial's products (looked up from `product_names` when not given). `tree`: the
    disease tree (read when not given, if the trial has diseases): `disease_names`
    holds each disease and all its ancestors. `vector`: also the search vector's
    expression (a writer that computes it in SQL itself leaves it out)."""
    if products is None:
        products = list(Product.objects.filter(name__in=trial.product_names)) if trial.product_names else []
    if tree is None and diseases:
        tree = DiseaseTree.load()
    trial.antigen_names = sorted({a.name for a in antigens})
    trial.target_combination = target_combination(trial.antigen_names)
    trial.disease_names = tree.closure(d.name for d in diseases) if tree is not None else []
    trial.disease_categories = sorted({d.category for d in diseases})
    trial.search_document = search_document(trial, antigens, diseases, products)
    if vector:
        trial.search_vector = search_vector(trial.title, trial.search_document)


def refresh_denormalized(
    trial: Trial, *, antigens: list[Antigen] | None = None, diseases: list[Disease] | None = None
) -> None:
    """Recompute and save the facet arrays and search columns from the trial's
    current values. Pass `antigens`/`diseases` when the caller holds them."""
    antigens = list(trial.antigens.all()) if antigens is None else antigens
    diseases = list(trial.diseases.all()) if diseases is None else diseases
    set_denormalized(trial, antigens, diseases)
    Trial.objects.filter(pk=trial.pk).update(
        antigen_names=trial.antigen_names,
        target_combination=trial.target_combination,
        disease_names=trial.disease_names,
        disease_categories=trial.disease_categories,
        search_document=trial.search_document,
        search_vector=trial.search_vector,
    )
