"""The catalogue's filters: one FilterSet, the same GET names everywhere.

Repeatable facets (antigen, disease, disease_category, phase, status, country,
registry, cell_source) are OR within a facet and AND across facets. Age
filters keep trials whose limits are not stated (open on that side); so do the
sex and age-group filters. `near=` (a city, or "lat,lon") with `within_km=`
keeps trials with a site that close (`catalogue.nearby`); with a status
filter, that site itself must have the status (or state none of its own).
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from typing import Any

import django_filters
from django import forms
from django.conf import settings
from django.contrib.postgres.search import SearchQuery
from django.db.models import Q, QuerySet

from catalogue import activity, facets, nearby, places
from catalogue.countries import country_name
from catalogue.models import Antigen, Disease, FacetRow, Product, Trial, lookup_key

SCOPES = {
    "all": "every trial, in scope or not",
    "out": "only trials out of the catalogue's scope",
}
STALLED = {
    "yes": "possibly stalled (still recruiting 3+ years after the start, or not updated in 2 years)",
    "no": "not possibly stalled",
}
SORTS = {
    "relevance": "relevance",
    "newest": "newest start",
    "updated": "registry last updated",
    "registry_id": "registry id",
    "distance": "distance",
}
# Sorts that need another filter: sort -> the filter.
SORT_NEEDS = {"distance": "near"}
SEXES = {"female": "open to female patients", "male": "open to male patients"}
HEALTHY_VOLUNTEERS = {"yes": "accepting healthy volunteers"}
# Age groups (ClinicalTrials.gov's): [from, to) in years; None: no upper end.
AGE_GROUPS: dict[str, tuple[str, int, int | None]] = {
    "child": ("children (0–17)", 0, 18),
    "adult": ("adults (18–64)", 18, 65),
    "older_adult": ("older adults (65+)", 65, None),
}


class MultiValueField(forms.Field):
    """A repeatable GET parameter (`?antigen=a&antigen=b`) of free-text values."""

    widget = forms.SelectMultiple

    def to_python(self, value: Any) -> list[str]:
        if not value:
            return []
        if isinstance(value, str):
            value = [value]
        cleaned = []
        for item in value:
            item = " ".join(str(item).replace("\x00", "").split())[:100]
            if item and item not in cleaned:
                cleaned.append(item)
        return cleaned[:20]


class MultiValueFilter(django_filters.Filter):
    field_class = MultiValueField


_SCI = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(?:[x×*]\s*10\s*\^?\s*([+-]?\d+)|[eE]([+-]?\d+))?\s*$")


class CellsPerKgField(forms.Field):
    """A dose in cells/kg: '1000000', '1e6', '1x10^6', '1×10^6'."""

    default_error_messages = {"invalid": "Enter a dose in cells/kg, such as 1e6 or 1x10^6."}

    def to_python(self, value: Any) -> float | None:
        if value in (None, ""):
            return None
        match = _SCI.match(str(value).replace(",", ""))
        if not match:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        number, exp_a, exp_b = match.groups()
        exponent = int(exp_a or exp_b or 0)
        if abs(exponent) > 20:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        result = float(number) * 10**exponent
        if not math.isfinite(result) or result < 0:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return result


class AgeField(forms.DecimalField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(min_value=0, max_value=120, max_digits=6, decimal_places=2, **kwargs)

    def to_python(self, value: Any) -> Decimal | None:
        try:
            return super().to_python(value)
        except forms.ValidationError:
            raise forms.ValidationError("Enter an age in years between 0 and 120.", code="invalid") from None


class StartYearField(forms.IntegerField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(min_value=1900, max_value=2100, **kwargs)

    def to_python(self, value: Any) -> int | None:
        try:
            return super().to_python(value)
        except forms.ValidationError:
            raise forms.ValidationError("Enter a year such as 2024.", code="invalid") from None


class NearField(forms.Field):
    """A place: a city ("Houston", "Houston, TX", "北京") resolved through the
    gazetteer (`catalogue.places`), or "lat,lon"."""

    def to_python(self, value: Any) -> nearby.Near | None:
        text = " ".join(str(value or "").replace("\x00", "").split())[:200]
        if not text:
            return None
        found = places.lookup(text)
        if found.found:
            assert found.latitude is not None and found.longitude is not None
            return nearby.Near(text, found.latitude, found.longitude, found.label)
        if found.ambiguous:
            raise forms.ValidationError(
                "Several places have this name: say which one, e.g. " + " or ".join(
                    f"“{c.label}”" for c in found.candidates[:3]) + ", or give coordinates as lat,lon.",
                code="ambiguous",
            )  # fmt: skip
        raise forms.ValidationError(
            "No city of that name is known (the gazetteer lists cities of 15,000 people or more): try a nearby "
            "larger city, add the country (“Paris, France”), or give coordinates as lat,lon.",
            code="unknown",
        )


class WithinKmField(forms.FloatField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(min_value=1, max_value=nearby.MAX_WITHIN_KM, **kwargs)

    def to_python(self, value: Any) -> float | None:
        try:
            result = super().to_python(value)
        except forms.ValidationError:
            raise forms.ValidationError("Enter a distance in km, such as 100.", code="invalid") from None
        if result is not None and not math.isfinite(result):
            raise forms.ValidationError("Enter a distance in km, such as 100.", code="invalid")
        return result


class NearFilter(django_filters.Filter):
    field_class = NearField


class WithinKmFilter(django_filters.Filter):
    field_class = WithinKmField


class AgeFilter(django_filters.Filter):
    field_class = AgeField


class CellsPerKgFilter(django_filters.Filter):
    field_class = CellsPerKgField


class StartYearFilter(django_filters.Filter):
    field_class = StartYearField


class TrialFilterSet(django_filters.FilterSet):
    """Every catalogue filter: one per facet (`catalogue.facets.FACETS`, added below)
    and the scalar ones declared here. Use through `catalogue.selectors`.
    django-filter calls no filter method for an empty value."""

    age = AgeFilter(method="filter_age", label="Patient age (years)")
    age_min = AgeFilter(method="filter_age_min", label="Ages from")
    age_max = AgeFilter(method="filter_age_max", label="Ages to")
    dose_min = CellsPerKgFilter(method="filter_dose_min", label="Dose from (cells/kg)")
    dose_max = CellsPerKgFilter(method="filter_dose_max", label="Dose to (cells/kg)")
    start_year = StartYearFilter(method="filter_start_year", label="Start year")
    q = django_filters.CharFilter(method="filter_q", label="Search", max_length=settings.CATALOGUE_MAX_QUERY_LENGTH)
    # Trials that study no CAR, CAAR or TCR-engineered cell therapy are hidden unless asked for.
    scope = django_filters.ChoiceFilter(choices=list(SCOPES.items()), method="filter_scope", label="Scope")
    # Evaluated against today's date (catalogue.activity); nothing stored.
    stalled = django_filters.ChoiceFilter(
        choices=list(STALLED.items()), method="filter_stalled", label="Possibly stalled"
    )
    near = NearFilter(method="filter_near", label="Near (a city, or lat,lon)")
    # Read by `filter_near` (and the status filter); 200 km when not given.
    within_km = WithinKmFilter(method="filter_within_km", label="Within (km)")
    sex = django_filters.ChoiceFilter(choices=list(SEXES.items()), method="filter_sex", label="Sex")
    healthy_volunteers = django_filters.ChoiceFilter(
        choices=list(HEALTHY_VOLUNTEERS.items()), method="filter_healthy_volunteers", label="Healthy volunteers"
    )
    age_group = django_filters.ChoiceFilter(
        choices=[(k, v[0]) for k, v in AGE_GROUPS.items()], method="filter_age_group", label="Age group"
    )

    class Meta:
        model = Trial
        fields: list[str] = []

    def filter_scope(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(in_scope=False) if value == "out" else queryset

    def filter_stalled(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(activity.stalled_q() if value == "yes" else activity.not_stalled_q())

    def filter_facet(self, queryset: QuerySet, name: str, value: list[str]) -> QuerySet:
        facet = facets.BY_NAME[name]
        queryset = queryset.filter(facet.condition(self.canonical(facet, value)))
        near = self.near_point()
        if name == "status" and near is not None:
            # The near site must itself have the status (or state none): see catalogue.nearby.
            if queryset.model is FacetRow:
                return queryset.filter(near_site_has_status=True)  # computed once, in the counts' CTE
            queryset = queryset.filter(nearby.has_site_near(near, self.radius_km(), value))
        return queryset

    def row_columns(self) -> dict[str, Any]:
        """Columns the counts' rows (`FacetRow`) need beyond the facet columns, as
        expressions over a trial: with `near` and a status filter, whether a near site
        has one of the statuses (else each facet's count would look it up again)."""
        near, statuses = self.near_point(), (getattr(self.form, "cleaned_data", None) or {}).get("status")
        if near is None or not statuses:
            return {}
        return {"near_site_has_status": nearby.has_site_near(near, self.radius_km(), statuses)}

    def near_point(self) -> nearby.Near | None:
        """The valid `near` place, if any."""
        return (getattr(self.form, "cleaned_data", None) or {}).get("near")

    def radius_km(self) -> float:
        return (getattr(self.form, "cleaned_data", None) or {}).get("within_km") or nearby.DEFAULT_WITHIN_KM

    def filter_near(self, queryset: QuerySet, name: str, value: nearby.Near | None) -> QuerySet:
        return queryset.filter(nearby.has_site_near(value, self.radius_km())) if value is not None else queryset

    def filter_within_km(self, queryset: QuerySet, name: str, value: float | None) -> QuerySet:
        return queryset  # a parameter of `near`

    def filter_sex(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        # A trial open to all, or stating no sex at all (like an unstated age limit), is kept.
        return queryset.filter(Q(sex__in=[value, "all"]) | Q(sex__isnull=True))

    def filter_healthy_volunteers(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(healthy_volunteers=True)

    def filter_age_group(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        _, start, end = AGE_GROUPS[value]
        # The trial's age range overlaps [start, end); an unstated limit is open.
        condition = Q(max_age_years__isnull=True) | Q(max_age_years__gte=start)
        if end is not None:
            condition &= Q(min_age_years__isnull=True) | Q(min_age_years__lt=end)
        return queryset.filter(condition)

    def canonical(self, facet: facets.Facet, values: list[str]) -> list[str]:
        """The facet's values as the columns hold them: synonyms and country names resolved."""
        if facet.vocabulary in ("antigen", "disease", "product"):
            model = {"antigen": Antigen, "disease": Disease, "product": Product}[facet.vocabulary]
            mapping = self.resolved(model, values)
            return list(dict.fromkeys(mapping[v] for v in values))
        if facet.vocabulary == "country":
            return [country_name(v) or v for v in values]
        return list(values)

    def resolved(self, model: type[Antigen] | type[Disease] | type[Product], values: list[str]) -> dict[str, str]:
        """Given value -> canonical name, looked up once per FilterSet."""
        cache = self.__dict__.setdefault("_resolved", {})
        key = (model.__name__, tuple(values))
        if key not in cache:
            cache[key] = resolve_terms(model, values)
        return cache[key]

    def filter_age(self, queryset: QuerySet, name: str, value: Decimal | None) -> QuerySet:
        return queryset.filter(
            (Q(min_age_years__isnull=True) | Q(min_age_years__lte=value))
            & (Q(max_age_years__isnull=True) | Q(max_age_years__gte=value))
        )

    def filter_age_min(self, queryset: QuerySet, name: str, value: Decimal | None) -> QuerySet:
        return queryset.filter(Q(max_age_years__isnull=True) | Q(max_age_years__gte=value))

    def filter_age_max(self, queryset: QuerySet, name: str, value: Decimal | None) -> QuerySet:
        return queryset.filter(Q(min_age_years__isnull=True) | Q(min_age_years__lte=value))

    def filter_dose_min(self, queryset: QuerySet, name: str, value: float | None) -> QuerySet:
        return queryset.filter(dose_max_cells_per_kg__gte=value)

    def filter_dose_max(self, queryset: QuerySet, name: str, value: float | None) -> QuerySet:
        return queryset.filter(dose_min_cells_per_kg__lte=value)

    def filter_start_year(self, queryset: QuerySet, name: str, value: int | None) -> QuerySet:
        return queryset.filter(start_date__year=value)

    def filter_q(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = " ".join(value.replace("\x00", "").split())
        if not value:
            return queryset
        return queryset.filter(search_vector=search_query(value))


def _facet_filters() -> None:
    """One repeatable filter per facet, before the scalar filters (URL order)."""
    declared = dict(TrialFilterSet.base_filters)
    TrialFilterSet.base_filters = {
        **{
            facet.name: MultiValueFilter(
                field_name=facet.name, method="filter_facet", label=facet.label, distinct=False
            )
            for facet in facets.FACETS
        },
        **declared,
    }


_facet_filters()
FACETS: tuple[str, ...] = facets.NAMES


# CJK ideographs (with extension A and the compatibility block): the same class as
# the database function `catalogue_cjk_tokens()` (migration 0007).
CJK_CHARS = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_RUN = re.compile(f"[{CJK_CHARS}]+")
_WORD = re.compile(r"[^\W_]+")


def search_query(value: str) -> SearchQuery:
    """The tsquery for free text `value`, served by the search vector's GIN index.

    - Words match English full text (websearch syntax: "phrases", -not, or), or as
      stemmed word prefixes (words of three letters or more), so 'lymph' finds
      lymphoma and 'NCT0683' an id.
    - Chinese has no spaces: each run of ideographs matches as an exact substring,
      through the overlapping character pairs the search vector holds
      ('淋巴瘤' is '淋巴' followed by '巴瘤'); one character matches as a prefix.
    """
    runs = _CJK_RUN.findall(value)
    rest = _CJK_RUN.sub(" ", value)
    words = _WORD.findall(rest)
    query: SearchQuery | None = None
    if words or not runs:
        query = SearchQuery(rest, search_type="websearch", config="english")
        if words:
            # Two-letter prefixes ('t' of CAR-T) would match most of the catalogue: exact words only.
            prefixes = " & ".join(f"{word}:*" if len(word) >= 3 else word for word in words)
            query = query | SearchQuery(prefixes, search_type="raw", config="english")
    for run in runs:
        if len(run) == 1:
            phrase = f"{run}:*"
        else:
            phrase = " <-> ".join(run[i : i + 2] for i in range(len(run) - 1))
        part = SearchQuery(phrase, search_type="raw", config="simple")
        query = part if query is None else query & part
    assert query is not None
    return query


def resolve_terms(model: type[Antigen] | type[Disease] | type[Product], values: list[str]) -> dict[str, str]:
    """Map each given value to its canonical name, matching names and synonyms
    case- and punctuation-insensitively. One query.

    Unknown values map to themselves, so they simply match nothing.
    """
    keys = {v: lookup_key(v) for v in values}
    rows = list(
        model.objects.filter(lookup_keys__overlap=[k for k in keys.values() if k]).values_list("name", "lookup_keys")
    )
    mapping = {}
    for value, key in keys.items():
        mapping[value] = next((name for name, name_keys in rows if key and key in name_keys), value)
    return mapping
