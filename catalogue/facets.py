"""Every facet of the catalogue, declared once.

A `Facet` is a repeatable GET parameter (OR within a facet, AND across facets)
over one denormalized column. This list drives the FilterSet
(`catalogue.filters`), the counts (`catalogue.counts`), the sidebar, the
filter summary, the export command's options and the OpenAPI parameters.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db.models import Q

from catalogue.choices import (
    NOT_STATED,
    NOT_STATED_LABEL,
    CellSource,
    DiseaseCategory,
    Modality,
    Phase,
    Status,
    TrialType,
)
from catalogue.registries import REGISTRY_CHOICES


@dataclass(frozen=True)
class Facet:
    """One facet.

    `choices`: the fixed vocabulary, (value, label) pairs; None for open ones
    (antigens, diseases, countries, products), whose values are names resolved
    through their vocabulary (`vocabulary`: "antigen", "disease", "country" or
    "product").
    `unstated`: trials with no value (NULL) count and filter as `not_stated`.
    `boolean`: a yes/no column (true/false), its choices "yes" and "no".
    """

    name: str
    column: str
    array: bool
    label: str
    description: str
    choices: tuple[tuple[str, str], ...] | None = None
    vocabulary: str | None = None
    unstated: bool = False
    boolean: bool = False
    labels: dict[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        labels = dict(self.choices or ())
        if self.unstated:
            labels[NOT_STATED] = NOT_STATED_LABEL
        object.__setattr__(self, "labels", labels)

    @property
    def values(self) -> list[str] | None:
        """The values a request may give; None when open."""
        return list(self.labels) if self.choices is not None else None

    def label_for(self, value: str) -> str:
        return self.labels.get(value, value)

    def condition(self, values: Iterable[str]) -> Q:
        """Trials having any of `values` (already canonical)."""
        values = list(values)
        stated: list = [v for v in values if v != NOT_STATED]
        if self.boolean:
            stated = [v == "yes" for v in stated]
        lookup = "overlap" if self.array else "in"
        condition = Q(**{f"{self.column}__{lookup}": stated}) if stated else Q(pk__in=[])
        if self.unstated and NOT_STATED in values:
            condition |= Q(**{f"{self.column}__isnull": True})
        return condition

    def value_of(self, cell: object) -> str | None:
        """A scalar column's value as the facet counts it (`sql_value`'s Python twin);
        None: not counted."""
        if self.boolean:
            cell = None if cell is None else ("yes" if cell else "no")
        if cell is None:
            return NOT_STATED if self.unstated else None
        return None if cell == "" else str(cell)

    def sql_value(self, ref: str) -> str:
        """SQL giving a row's value as the facet counts it, from column reference `ref`
        (a scalar column; array facets are unnested by the caller)."""
        unstated = f"'{NOT_STATED}'" if self.unstated else "NULL"
        if self.boolean:
            return f"(CASE WHEN {ref} THEN 'yes' WHEN NOT {ref} THEN 'no' ELSE {unstated} END)"
        return f"COALESCE({ref}, {unstated})" if self.unstated else ref


FACETS: tuple[Facet, ...] = (
    Facet("antigen", "antigen_names", True, "Target antigen",
          "Target antigen, by name or synonym (B7-H3, CD276 and b7h3 are the same).", vocabulary="antigen"),
    Facet("disease", "disease_names", True, "Disease", "Disease, by canonical name or synonym.", vocabulary="disease"),
    Facet("disease_category", "disease_categories", True, "Disease category", "Disease category.",
          choices=tuple(DiseaseCategory.choices)),
    Facet("phase", "phase", False, "Phase", "Phase; not_stated: the registry states none.",
          choices=tuple(Phase.choices), unstated=True),
    Facet("status", "status", False, "Status", "Recruitment status; not_stated: the registry states none.",
          choices=tuple(Status.choices), unstated=True),
    Facet("country", "countries", True, "Country", "Country with a site (English name, e.g. China, United States).",
          vocabulary="country"),
    Facet("registry", "registry", False, "Registry", "Registry.", choices=REGISTRY_CHOICES),
    Facet("cell_source", "cell_source", False, "Cell source", "Autologous, allogeneic or made in the body (in vivo).",
          choices=tuple(CellSource.choices)),
    Facet("modality", "modalities", True, "Modality",
          "What kind of engineered cell therapy: CAR-T, CAR-NK, γδ CAR-T, CAR-Treg, CAAR-T, CAR-M, in vivo CAR, TCR-T.",
          choices=tuple(Modality.choices)),
    Facet("trial_type", "trial_type", False, "Trial type",
          "Treatment, long-term follow-up, observational, supportive care or other; not_stated: not classified.",
          choices=tuple(TrialType.choices), unstated=True),
    Facet("product", "product_names", True, "Product",
          "A named product, by any of its names, brands or codes (Kymriah = tisagenlecleucel = CTL019).",
          vocabulary="product"),
    Facet("has_results", "has_results", False, "Results posted",
          "Results posted on the registry: yes or no; not_stated: the registry does not say (ChiCTR).",
          choices=(("yes", "Results posted"), ("no", "No results posted")), unstated=True, boolean=True),
    Facet("has_publications", "has_publications", False, "Publications",
          "The registry record cites publications (a PMID, a citation or a link): yes or no.",
          choices=(("yes", "Publications listed"), ("no", "No publications listed")), boolean=True),
)  # fmt: skip
BY_NAME: dict[str, Facet] = {facet.name: facet for facet in FACETS}
NAMES: tuple[str, ...] = tuple(BY_NAME)
COLUMNS: tuple[str, ...] = tuple(dict.fromkeys(facet.column for facet in FACETS))

Resolver = Callable[[Facet, list[str]], dict[str, str]]
