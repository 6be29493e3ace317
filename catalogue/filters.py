"""The catalogue's filters: one FilterSet, the same GET names everywhere.

Repeatable facets (antigen, disease, disease_category, phase, status, country,
registry, cell_source) are OR within a facet and AND across facets. Age
filters keep trials whose limits are not stated (open on that side).
"""

from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation
from typing import Any

import django_filters
from django import forms
from django.conf import settings
from django.contrib.postgres.search import SearchQuery
from django.db.models import Q, QuerySet

from catalogue.models import REGISTRY_CHOICES, Antigen, Disease, Trial, lookup_key
from ingest.normalize.enums import CELL_SOURCE_CHOICES, DISEASE_CATEGORY_CHOICES, PHASE_CHOICES, STATUS_CHOICES

FACETS: tuple[str, ...] = (
    "antigen", "disease", "disease_category", "phase", "status", "country", "registry", "cell_source",
)  # fmt: skip
# A facet value for trials whose registry states no phase / status (never shown as a default).
NOT_STATED = "not_stated"
NOT_STATED_CHOICE = (NOT_STATED, "Not stated")
SORTS = {
    "relevance": "relevance",
    "newest": "newest start",
    "updated": "registry last updated",
    "registry_id": "registry id",
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


class AgeFilter(django_filters.Filter):
    field_class = AgeField


class CellsPerKgFilter(django_filters.Filter):
    field_class = CellsPerKgField


class StartYearFilter(django_filters.Filter):
    field_class = StartYearField


class TrialFilterSet(django_filters.FilterSet):
    """Every catalogue filter. Use through `catalogue.selectors`, not directly."""

    antigen = MultiValueFilter(method="filter_antigen", label="Target antigen")
    disease = MultiValueFilter(method="filter_disease", label="Disease")
    # distinct=False: these are columns of the trial row itself, so there is nothing to
    # de-duplicate, and SELECT DISTINCT would merge equal rows in the facet and chart counts.
    disease_category = django_filters.MultipleChoiceFilter(
        choices=DISEASE_CATEGORY_CHOICES, method="filter_disease_category", label="Disease category", distinct=False
    )
    phase = django_filters.MultipleChoiceFilter(
        choices=(*PHASE_CHOICES, NOT_STATED_CHOICE), method="filter_stated_or_not", label="Phase", distinct=False
    )
    status = django_filters.MultipleChoiceFilter(
        choices=(*STATUS_CHOICES, NOT_STATED_CHOICE), method="filter_stated_or_not", label="Status", distinct=False
    )
    country = MultiValueFilter(method="filter_country", label="Country")
    registry = django_filters.MultipleChoiceFilter(
        choices=REGISTRY_CHOICES, field_name="registry", label="Registry", distinct=False
    )
    cell_source = django_filters.MultipleChoiceFilter(
        choices=CELL_SOURCE_CHOICES, field_name="cell_source", label="Cell source", distinct=False
    )
    age = AgeFilter(method="filter_age", label="Patient age (years)")
    age_min = AgeFilter(method="filter_age_min", label="Ages from")
    age_max = AgeFilter(method="filter_age_max", label="Ages to")
    dose_min = CellsPerKgFilter(method="filter_dose_min", label="Dose from (cells/kg)")
    dose_max = CellsPerKgFilter(method="filter_dose_max", label="Dose to (cells/kg)")
    start_year = StartYearFilter(method="filter_start_year", label="Start year")
    q = django_filters.CharFilter(method="filter_q", label="Search", max_length=settings.CATALOGUE_MAX_QUERY_LENGTH)

    class Meta:
        model = Trial
        fields: list[str] = []

    def filter_antigen(self, queryset: QuerySet, name: str, value: list[str]) -> QuerySet:
        if not value:
            return queryset
        return queryset.filter(antigen_names__overlap=sorted(set(self.resolved(Antigen, value).values())))

    def filter_disease(self, queryset: QuerySet, name: str, value: list[str]) -> QuerySet:
        if not value:
            return queryset
        return queryset.filter(disease_names__overlap=sorted(set(self.resolved(Disease, value).values())))

    def resolved(self, model: type[Antigen] | type[Disease], values: list[str]) -> dict[str, str]:
        """Given value -> canonical name, looked up once per FilterSet."""
        cache = self.__dict__.setdefault("_resolved", {})
        key = (model.__name__, tuple(values))
        if key not in cache:
            cache[key] = resolve_terms(model, values)
        return cache[key]

    def filter_stated_or_not(self, queryset: QuerySet, name: str, value: list[str]) -> QuerySet:
        """The chosen values; `not_stated` picks the trials whose registry states none."""
        if not value:
            return queryset
        condition = Q(**{f"{name}__in": [v for v in value if v != NOT_STATED]})
        if NOT_STATED in value:
            condition |= Q(**{f"{name}__isnull": True})
        return queryset.filter(condition)

    def filter_disease_category(self, queryset: QuerySet, name: str, value: list[str]) -> QuerySet:
        return queryset.filter(disease_categories__overlap=list(value)) if value else queryset

    def filter_country(self, queryset: QuerySet, name: str, value: list[str]) -> QuerySet:
        if not value:
            return queryset
        from ingest.normalize.countries import country_name

        return queryset.filter(countries__overlap=[country_name(v) or v for v in value])

    def filter_age(self, queryset: QuerySet, name: str, value: Decimal | None) -> QuerySet:
        if value is None:
            return queryset
        return queryset.filter(
            (Q(min_age_years__isnull=True) | Q(min_age_years__lte=value))
            & (Q(max_age_years__isnull=True) | Q(max_age_years__gte=value))
        )

    def filter_age_min(self, queryset: QuerySet, name: str, value: Decimal | None) -> QuerySet:
        if value is None:
            return queryset
        return queryset.filter(Q(max_age_years__isnull=True) | Q(max_age_years__gte=value))

    def filter_age_max(self, queryset: QuerySet, name: str, value: Decimal | None) -> QuerySet:
        if value is None:
            return queryset
        return queryset.filter(Q(min_age_years__isnull=True) | Q(min_age_years__lte=value))

    def filter_dose_min(self, queryset: QuerySet, name: str, value: float | None) -> QuerySet:
        if value is None:
            return queryset
        return queryset.filter(dose_max_cells_per_kg__gte=value)

    def filter_dose_max(self, queryset: QuerySet, name: str, value: float | None) -> QuerySet:
        if value is None:
            return queryset
        return queryset.filter(dose_min_cells_per_kg__lte=value)

    def filter_start_year(self, queryset: QuerySet, name: str, value: int | None) -> QuerySet:
        return queryset if value is None else queryset.filter(start_date__year=value)

    def filter_q(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = " ".join(value.replace("\x00", "").split())
        if not value:
            return queryset
        return queryset.filter(search_vector=search_query(value))


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


def resolve_terms(model: type[Antigen] | type[Disease], values: list[str]) -> dict[str, str]:
    """Map each given value to its canonical name, matching names and synonyms
    case- and punctuation-insensitively. One query.

    Unknown values map to themselves, so they simply match nothing.
    """
    keys = {v: lookup_key(v) for v in values}
    rows = list(model.objects.filter(lookup_keys__overlap=[k for k in keys.values() if k]).values_list("name", "lookup_keys"))
    mapping = {}
    for value, key in keys.items():
        mapping[value] = next((name for name, name_keys in rows if key and key in name_keys), value)
    return mapping
