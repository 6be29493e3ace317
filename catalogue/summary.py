"""A plain-English summary of the active filters, one removable part per filter.

    antigen=B7-H3&age=12&phase=phase1_phase2
    → "B7-H3 trials accepting a 12-year-old, phase 1/2"

Parts before the word "trials" (status, cell source, antigens) read as
adjectives; the others follow it as qualifiers. Each part carries the query
string that removes it, so the page can put a remove link on every part.
No queries of its own: antigen and disease names come from the FilterSet's
synonym cache, which the list query has already filled.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from catalogue import facets, nearby
from catalogue.filters import AGE_GROUPS, HEALTHY_VOLUNTEERS, SEXES
from catalogue.selectors import CHOICE_LABELS, TrialFilters
from catalogue.templatetags.catalogue_tags import format_cells, format_years


@dataclass(frozen=True)
class SummaryPart:
    params: tuple[str, ...]  # the GET names this part stands for
    text: str
    remove_query: str


@dataclass
class FilterSummary:
    lead: list[SummaryPart] = field(default_factory=list)  # before "trials"
    qualifiers: list[SummaryPart] = field(default_factory=list)  # after "trials"
    clear_query: str = ""  # no filters, the sort and page size kept

    @property
    def parts(self) -> list[SummaryPart]:
        return [*self.lead, *self.qualifiers]

    @property
    def is_empty(self) -> bool:
        return not self.parts

    @property
    def noun(self) -> str:
        return "trials" if self.lead else "Trials"

    @property
    def text(self) -> str:
        """The whole sentence, e.g. 'Recruiting B7-H3 trials accepting a 12-year-old, phase 1/2'."""
        if self.is_empty:
            return "All trials"
        lead = " ".join(p.text for p in self.lead)
        sentence = f"{lead} {self.noun}".strip()
        if self.qualifiers:
            sentence += " " + ", ".join(p.text for p in self.qualifiers)
        return sentence

    def __str__(self) -> str:
        return self.text


def join_or(items: list[str]) -> str:
    """['a'] → 'a'; ['a', 'b'] → 'a or b'; ['a', 'b', 'c'] → 'a, b or c'."""
    items = [i for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " or " + items[-1]


def age_phrase(age: Decimal | float | int) -> str:
    """12 → 'a 12-year-old', 18 → 'an 18-year-old', 0.5 → 'a patient aged 0.5 years'."""
    number = Decimal(str(age))
    text = format_years(number)
    if number != number.to_integral_value():
        return f"a patient aged {text} years"
    spoken_vowel = text.startswith("8") or text in ("11", "18")
    return f"{'an' if spoken_vowel else 'a'} {text}-year-old"


def _label(facet: str, value: str) -> str:
    return CHOICE_LABELS.get(facet, {}).get(value, value)


def _canonical(filters: TrialFilters, facet: str, values: list[str]) -> list[str]:
    """Synonyms shown under their canonical names ('cd276' → 'B7-H3')."""
    names: list[str] = []
    if facets.BY_NAME[facet].vocabulary and filters.filterset is not None:
        names = filters.filterset.canonical(facets.BY_NAME[facet], list(values))
    else:
        names = [str(v) for v in values]
    return list(dict.fromkeys(names))


def build_summary(filters: TrialFilters) -> FilterSummary:
    values: dict[str, Any] = filters.values
    summary = FilterSummary(clear_query=filters.querystring(drop=tuple(values)))

    def part(text: str, *params: str) -> SummaryPart:
        return SummaryPart(params=params, text=text, remove_query=filters.querystring(drop=params))

    # Adjectives before "trials".
    if values.get("status"):
        summary.lead.append(part(join_or([_label("status", v).lower() for v in values["status"]]), "status"))
    if values.get("cell_source"):
        known = [v for v in values["cell_source"] if v != "unknown"]
        words = [_label("cell_source", v).lower() for v in known]
        if "unknown" in values["cell_source"]:
            words.append("unknown-source")
        summary.lead.append(part(join_or(words), "cell_source"))
    if values.get("antigen"):
        summary.lead.append(part(join_or(_canonical(filters, "antigen", values["antigen"])), "antigen"))
    if values.get("modality"):
        summary.lead.append(part(join_or([_label("modality", v) for v in values["modality"]]), "modality"))
    # A sentence starting with an adjective starts with a capital (antigen names keep their case).
    if summary.lead and summary.lead[0].params[0] not in ("antigen", "modality"):
        first = summary.lead[0]
        summary.lead[0] = SummaryPart(first.params, first.text[:1].upper() + first.text[1:], first.remove_query)

    # Qualifiers after "trials".
    q = summary.qualifiers
    if values.get("disease"):
        q.append(part("for " + join_or(_canonical(filters, "disease", values["disease"])), "disease"))
    if values.get("disease_category"):
        labels = [_label("disease_category", v).lower() for v in values["disease_category"]]
        q.append(part("in the category " + join_or(labels), "disease_category"))
    if values.get("age") is not None:
        q.append(part("accepting " + age_phrase(values["age"]), "age"))
    if values.get("age_group"):
        q.append(part("for " + AGE_GROUPS[values["age_group"]][0], "age_group"))
    if values.get("sex"):
        q.append(part(SEXES[values["sex"]], "sex"))
    if values.get("healthy_volunteers"):
        q.append(part(HEALTHY_VOLUNTEERS[values["healthy_volunteers"]], "healthy_volunteers"))
    age_min, age_max = values.get("age_min"), values.get("age_max")
    if age_min is not None and age_max is not None:
        q.append(part(f"open to ages {format_years(age_min)}–{format_years(age_max)}", "age_min", "age_max"))
    elif age_min is not None:
        q.append(part(f"open to ages {format_years(age_min)} and over", "age_min"))
    elif age_max is not None:
        q.append(part(f"open to ages {format_years(age_max)} and under", "age_max"))
    if values.get("phase"):
        labels = [_label("phase", v) for v in values["phase"]]
        labels = ["phase not applicable" if v == "Not applicable" else v[:1].lower() + v[1:] for v in labels]
        q.append(part(join_or(labels), "phase"))
    if values.get("product"):
        q.append(part("of " + join_or(_canonical(filters, "product", values["product"])), "product"))
    if values.get("trial_type"):
        labels = [_label("trial_type", v).lower() for v in values["trial_type"]]
        q.append(part("of type " + join_or(labels), "trial_type"))
    if values.get("country"):
        q.append(part("in " + join_or(_canonical(filters, "country", values["country"])), "country"))
    near = values.get("near")
    if near is not None:
        within = values.get("within_km") or nearby.DEFAULT_WITHIN_KM
        q.append(part(f"with a site within {within:g} km of {near.label}", "near", "within_km"))
    if values.get("registry"):
        q.append(part("registered with " + join_or([_label("registry", v) for v in values["registry"]]), "registry"))
    dose_min, dose_max = values.get("dose_min"), values.get("dose_max")
    if dose_min is not None and dose_max is not None:
        q.append(
            part(f"dosing within {format_cells(dose_min)}–{format_cells(dose_max)} cells/kg", "dose_min", "dose_max")
        )
    elif dose_min is not None:
        q.append(part(f"dosing at or above {format_cells(dose_min)} cells/kg", "dose_min"))
    elif dose_max is not None:
        q.append(part(f"dosing at or below {format_cells(dose_max)} cells/kg", "dose_max"))
    if values.get("start_year") is not None:
        q.append(part(f"starting in {values['start_year']}", "start_year"))
    if values.get("has_results"):
        words = {"yes": "with results posted", "no": "without posted results",
                 "not_stated": "not saying whether results are posted"}  # fmt: skip
        q.append(part(join_or([words.get(v, v) for v in values["has_results"]]), "has_results"))
    if values.get("has_publications"):
        words = {"yes": "citing publications", "no": "citing no publications"}
        q.append(part(join_or([words.get(v, v) for v in values["has_publications"]]), "has_publications"))
    if values.get("stalled") == "yes":
        q.append(part("possibly stalled", "stalled"))
    elif values.get("stalled") == "no":
        q.append(part("not possibly stalled", "stalled"))
    if values.get("q"):
        q.append(part(f"matching “{values['q']}”", "q"))
    if values.get("scope") == "all":
        q.append(part("including those outside the catalogue's scope", "scope"))
    elif values.get("scope") == "out":
        q.append(part("outside the catalogue's scope only", "scope"))
    return summary
