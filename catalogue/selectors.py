"""Reads of the catalogue. The list page, the API, the export and the tests all
come through `trial_list(*, filters)`.

`parse_filters()` validates GET parameters once: an invalid value is dropped,
with an error saying what was wrong (the API and the downloads answer 400 with
it) and a notice for the pages, which show the results without that filter; an
antigen or disease no term names stays (it matches nothing) with a "did you
mean" notice. `show` (a facet listed in full) and `open` (disease tree nodes
shown expanded) are display state, not filters.
`facet_counts()` counts each facet under all the *other* active filters, all
facets and the total in one UNION ALL query over the denormalized columns; a
free-text search is evaluated once for all of them.

Counts and totals are cached per normalized filter
and per data version (`catalogue.DataVersion`, bumped by database triggers when a
change commits), so a cached value is never served after the data changed.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.postgres.search import SearchRank
from django.core.paginator import Page, Paginator
from django.db import router
from django.db.models import BooleanField, Case, F, FloatField, Func, Prefetch, Q, QuerySet, Value, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import Collate
from django.http import QueryDict

from catalogue import cache, counts, facet_index, facets, nearby, search
from catalogue.cache import DataState
from catalogue.countries import country_name
from catalogue.filters import FACETS, MODES, SORT_NEEDS, SORTS, VOCABULARIES, TrialFilterSet, close_terms
from catalogue.models import Antigen, Disease, Trial

# Each facet's value -> display label (fixed vocabularies only).
CHOICE_LABELS: dict[str, dict[str, str]] = {f.name: f.labels for f in facets.FACETS if f.choices is not None}
DEFAULT_PAGE_SIZE = 20
# Display state: what the sidebar shows, not which trials match.
DISPLAY_PARAMS = ("show", "open")
MAX_OPEN = 10
# Cached values that depend on the display state (the facet counts are limited to what is shown).
DISPLAY_KEYS = frozenset({"counts", "facets", "api_facets"})
# The facets whose unknown values get a "did you mean" notice.
SUGGESTED = ("antigen", "disease")
T = TypeVar("T")


@dataclass
class TrialFilters:
    """Validated filter state. `values` holds only the valid, active filters."""

    values: dict[str, Any] = field(default_factory=dict)
    notices: list[str] = field(default_factory=list)
    errors: dict[str, list[str]] = field(default_factory=dict)
    sort: str = ""
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE
    show: str = ""  # the facet listed in full ("show all")
    open: list[str] = field(default_factory=list)  # disease tree nodes shown expanded
    # "Did you mean" links: (the suggested value, the query string that uses it instead).
    suggestions: list[tuple[str, str]] = field(default_factory=list)
    filterset: TrialFilterSet | None = None
    # Per-request memo: the data version and the counts, each read at most once.
    memo: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def is_valid(self) -> bool:
        return not self.errors

    @property
    def effective_sort(self) -> str:
        if self.sort:
            return self.sort
        return "relevance" if self.values.get("q") else "newest"

    def query_items(
        self,
        *,
        without: tuple[str, Any] | None = None,
        with_: tuple[str, Any] | None = None,
        drop: tuple[str, ...] = (),
    ) -> list[tuple[str, str]]:
        """The URL state as (name, value) pairs, optionally toggling one value."""
        items: list[tuple[str, str]] = []
        for name, value in self.values.items():
            if name in drop:
                continue
            for v in value if isinstance(value, list) else [value]:
                if without and without == (name, v):
                    continue
                items.append((name, _format_param(v)))
        if with_ and with_ not in items:
            items.append((with_[0], _format_param(with_[1])))
        if self.sort and "sort" not in drop:
            items.append(("sort", self.sort))
        if self.page_size != DEFAULT_PAGE_SIZE and "page_size" not in drop:
            items.append(("page_size", str(self.page_size)))
        if self.show and "show" not in drop:
            items.append(("show", self.show))
        if "open" not in drop:
            items.extend(("open", node) for node in self.open)
        return items

    def querystring(self, **kwargs: Any) -> str:
        return urlencode(self.query_items(**kwargs))


def _format_param(value: Any) -> str:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def parse_filters(params: Mapping[str, Any] | QueryDict | None) -> TrialFilters:
    """Validate GET parameters. Never raises: bad values become notices/errors."""
    if params is None:
        params = QueryDict()
    if not isinstance(params, QueryDict):
        qd = QueryDict(mutable=True)
        for key, value in params.items():
            qd.setlist(key, [str(v) for v in (value if isinstance(value, (list, tuple)) else [value])])
        params = qd
    state = TrialFilters()
    data = QueryDict(mutable=True)
    for name in TrialFilterSet.base_filters:
        values = [v.replace("\x00", "") for v in params.getlist(name) if v.strip()]
        if not values:
            continue
        facet = facets.BY_NAME.get(name)
        if facet is not None and facet.values is not None:
            labels = {k.lower(): k for k in facet.values}
            good = [labels[v.strip().lower()] for v in values if v.strip().lower() in labels]
            for bad in (v for v in values if v.strip().lower() not in labels):
                _invalid(state, name, f"{name}={bad[:40]!r} is not one of {', '.join(facet.values)}")
            values = list(dict.fromkeys(good))
        elif facet is None:
            values = values[-1:]
        if values:
            data.setlist(name, values)

    filterset = TrialFilterSet(data=data, queryset=Trial.objects.none())
    form = filterset.form
    form.is_valid()
    for name, errors in form.errors.items():
        raw = data.get(name, "")
        label = str(filterset.filters[name].label or name).split(" (")[0].lower()
        _invalid(state, name, f"{name}={raw[:40]!r} is not valid ({label}): {' '.join(errors)}")
    for name in filterset.filters:
        if name in form.errors:
            continue
        value = form.cleaned_data.get(name)
        if value not in (None, "", []):
            state.values[name] = value
    state.filterset = filterset
    for mode in MODES:
        if state.values.get(mode) == "any":
            state.values.pop(mode)  # the default: not in the URL
    # A search's concepts are looked up once per data version, whatever the other filters.
    filterset.concept_lookup = lambda keys: _concepts(state, keys)

    q = state.values.get("q")
    if isinstance(q, str):
        q = " ".join(q.split())
        if q and search.only_negations(q):
            state.values.pop("q")
            _invalid(state, "q", f"q={q[:40]!r} only excludes words (-word): add a word to look for")
        elif q:
            state.values["q"] = q
        else:
            state.values.pop("q")

    if "within_km" in state.values and "near" not in state.values:
        state.values.pop("within_km")  # a parameter of `near` (the form sends its default)

    sort = params.get("sort", "").strip()
    if sort:
        if sort in SORT_NEEDS and SORT_NEEDS[sort] not in state.values:
            _invalid(state, "sort", f"sort by {SORTS[sort]} needs a place to measure from (near=) (ignored)")
        elif sort in SORTS:
            state.sort = sort
        else:
            _invalid(state, "sort", f"sort={sort[:40]!r} is not one of {', '.join(SORTS)}")
    state.page_size = _int_param(state, params, "page_size", DEFAULT_PAGE_SIZE, 1, settings.CATALOGUE_MAX_PAGE_SIZE)
    state.page = _int_param(state, params, "page", 1, 1, 10**6)
    show = params.get("show", "").strip()
    if show in facets.BY_NAME:
        state.show = show
    elif show:
        state.notices.append(f"There is no facet {show[:40]!r} to show in full.")
    state.open = list(dict.fromkeys(" ".join(v.split())[:100] for v in params.getlist("open") if v.strip()))[:MAX_OPEN]
    _unknown_terms(state)
    return state


only_negations = search.only_negations


def _concepts(state: TrialFilters, keys: list[str]) -> dict[str, list[tuple[search.Concept, str, int]]]:
    if settings.CATALOGUE_CACHE_SECONDS <= 0:
        return search.lookup_concepts(keys)
    return cache.memoize(data_state_for(state), ["concepts", keys], lambda: search.lookup_concepts(keys))


def _unknown_terms(state: TrialFilters) -> None:
    """An antigen or disease no term names: an error (the API answers 400), kept as a
    filter on the pages (it matches nothing), with the closest terms as suggestions."""
    assert state.filterset is not None
    for name in SUGGESTED:
        values = state.values.get(name)
        if not values:
            continue
        model = VOCABULARIES[facets.BY_NAME[name].vocabulary or name]
        _, unknown = state.filterset.matched(model, values)
        for bad in unknown:
            close = close_terms(model, bad)
            label = facets.BY_NAME[name].label.lower()
            message = f"no {label} is called {bad[:40]!r}, so no trial matches it"
            # The page links the suggestions under its notices; the API's error names them.
            state.errors.setdefault(name, []).append(
                message + (": did you mean " + " or ".join(close) + "?" if close else "")
            )
            state.notices.append(message[0].upper() + message[1:] + ".")
            for suggestion in close:
                state.suggestions.append((suggestion, state.querystring(without=(name, bad), with_=(name, suggestion))))


def _invalid(state: TrialFilters, name: str, message: str) -> None:
    """Record what was wrong with parameter `name`: the error as it is (API, downloads),
    and for the pages a notice that the results leave this value out."""
    state.errors.setdefault(name, []).append(message)
    state.notices.append(f"Not applied: {message.rstrip('.')}.")


def _int_param(state: TrialFilters, params: QueryDict, name: str, default: int, low: int, high: int) -> int:
    raw = params.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        _invalid(state, name, f"{name}={raw[:20]!r} is not a whole number")
        return default
    if value > high and name == "page_size":
        state.notices.append(f"Page size is capped at {high}.")
        return high
    if not low <= value <= high:
        _invalid(state, name, f"{name}={value} is out of range: expected {low} to {high}")
        return default
    return value


def _as_filters(filters: TrialFilters | Mapping[str, Any] | None) -> TrialFilters:
    return filters if isinstance(filters, TrialFilters) else parse_filters(filters)


def base_queryset() -> QuerySet:
    """Catalogue entries: a record merged into another registration is shown through it."""
    return Trial.objects.filter(merged_into__isnull=True)


def _apply(
    filters: TrialFilters, queryset: QuerySet, *, exclude: Collection[str] = (), scope_default: bool = True
) -> QuerySet:
    """The active filters but those excluded; on the trial table, out-of-scope
    trials are left out unless `scope` asks for them."""
    assert filters.filterset is not None
    if scope_default and queryset.model is Trial and "scope" not in filters.values:
        queryset = queryset.filter(in_scope=True)
    for name, value in filters.values.items():
        if name not in exclude:
            queryset = filters.filterset.filters[name].filter(queryset, value)
    return queryset


def trial_list(
    *, filters: TrialFilters | Mapping[str, Any] | None = None, ids: Sequence[int] | None = None
) -> QuerySet:
    """The filtered, ordered catalogue entries. The one read path for lists.

    With `near`, each entry carries `nearest_site`: its nearest qualifying site
    ({institution, city, country, status, distance_km}, see `catalogue.nearby`).
    `ids`: entries the filters are known to keep (the facet index said so): these are
    read by id, in the same order and with the same annotations, without evaluating
    the filters again."""
    filters = _as_filters(filters)
    if ids is None:
        queryset = _apply(filters, base_queryset())
    else:
        queryset = base_queryset().filter(_id_in(ids))
    sort = filters.effective_sort
    q = filters.values.get("q")
    near = filters.values.get("near")
    if near is not None:
        within = filters.values.get("within_km")
        statuses = filters.values.get("status")
        queryset = queryset.annotate(nearest_site=nearby.nearest_site(near, within, statuses))
        if sort == "distance":
            queryset = queryset.annotate(distance_km=nearby.nearest_distance(near, within, statuses))
    if sort == "distance" and near is not None:
        queryset = queryset.order_by(F("distance_km").asc(nulls_last=True), Collate(F("registry_id"), "C"))
    elif sort == "relevance" and q:
        queryset = queryset.annotate(relevance=_relevance(filters, q)).order_by(*RELEVANCE_ORDER)
    elif sort == "updated":
        queryset = queryset.order_by(F("registry_updated").desc(nulls_last=True), "registry_id")
    elif sort == "registry_id":
        queryset = queryset.order_by("registry_id")
    else:
        queryset = queryset.order_by(F("start_date").desc(nulls_last=True), "registry_id")
    return queryset


# Ties by registry id, compared as bytes (the same order as the default collation for
# ids, which are ASCII, without its cost: a broad search sorts ~40,000 of them).
RELEVANCE_ORDER = (F("relevance").desc(), Collate(F("registry_id"), "C"))


def _relevance(filters: TrialFilters, q: str) -> Any:
    """How well a trial answers the search `q`: 10 for a product it names (Kymriah,
    CTL019), 1 for a concept it is tagged with, 1 when its title (English or Chinese)
    has the search's words or it is the registry id searched for, plus the text rank
    of its title and conditions (`rank_vector`, migration 0023)."""
    assert filters.filterset is not None
    plan = filters.filterset.search_plan(q)
    query = plan.rank_query()
    concepts = [c for c in plan.concepts if c.kind != "product"]
    products = [c.name for c in plan.concepts if c.kind == "product"]
    in_title = Q(registry_id__iexact=q)
    if query is not None:
        in_title |= Q(_InTitle(F("rank_vector"), query))
    return (
        (SearchRank(F("rank_vector"), query) if query is not None else Value(0.0))
        + Case(When(in_title, then=Value(1.0)), default=Value(0.0), output_field=FloatField())
        + _boost([c.condition() for c in concepts], 1.0)
        + _boost([Q(product_names__overlap=products)] if products else [], 10.0)
    )


class _InTitle(Func):
    """`vector @@ query` with every word of the query restricted to weight A, the title's
    in a rank vector: the query's text form with `:A` after each lexeme (the query is a
    constant, so PostgreSQL rewrites it once; filtering each vector instead cost a third
    of a broad search's ranking)."""

    output_field = BooleanField()

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:  # type: ignore[override]
        vector, vector_params = compiler.compile(self.source_expressions[0])
        query, query_params = compiler.compile(self.source_expressions[1])
        weighted = f"regexp_replace(({query})::text, %s, %s, 'g')::tsquery"
        return f"{vector} @@ {weighted}", [*vector_params, *query_params, r"('(?:[^']|'')*')(?::(\*))?", r"\1:\2A"]


def search_order(filters: TrialFilters) -> list[int]:
    """The ids of every trial the search (`q` alone) matches, in `trial_list`'s relevance
    order: one pass over the matches, read through the indexes, that gives the facet
    index both the search's bitmap and the order of a result page (`page_rows`).
    Memoized per request."""
    if "search_order" not in filters.memo:
        q = filters.values["q"]
        matches = _apply(
            filters, Trial.objects.all(), exclude=[n for n in filters.values if n != "q"], scope_default=False
        )
        ordered = matches.annotate(relevance=_relevance(filters, q)).order_by(*RELEVANCE_ORDER)
        filters.memo["search_order"] = counts.ids_of(ordered, ordered=True)
    return filters.memo["search_order"]


# Up to this many trials, a page whose filters include one only SQL answers (near, q) reads
# the trials the facet index kept by id, rather than evaluate those filters again (each is
# a GiST or GIN scan and a look at every match: 50–150 ms at 100,000 trials).
PAGE_BY_IDS_MAX = 10_000


def _kept_by_index(filters: TrialFilters) -> list[int] | None:
    """The ids of the trials the filters keep, from the facet index, when reading a page
    by them is cheaper than filtering again (`PAGE_BY_IDS_MAX`); else None."""
    if not (filters.values.get("near") is not None or filters.values.get("q")):
        return None
    snapshot = index_snapshot(filters)
    if snapshot is None:
        return None
    everything = index_selection(filters, snapshot).everything
    if everything.bit_count() > PAGE_BY_IDS_MAX:
        return None
    return facet_index.members(everything)


def ranks_by_pass(filters: TrialFilters) -> bool:
    """Whether a search's result page is ranked by one pass over all its matches
    (`search_order`) and picked from them with the facet index, rather than ranked in
    SQL within the other filters. The pass costs about as much as the matches' ids,
    which the counts need anyway; ranking in SQL costs about as much again for the
    matches the other filters keep. So: the pass, unless the other filters keep under
    a third of the catalogue (or one of them only SQL can answer, such as `near`)."""
    if not filters.values.get("q") or filters.effective_sort != "relevance":
        return False
    if "ranks_by_pass" not in filters.memo:
        snapshot = index_snapshot(filters)
        others = {
            n: v for n, v in filters.values.items() if n not in facets.BY_NAME and n not in (*MODES, "scope", "q")
        }
        if snapshot is None or any(facet_index.scalar(snapshot, n, v) is None for n, v in others.items()):
            filters.memo["ranks_by_pass"] = False
        else:
            kept_by_others = index_selection(filters, snapshot, exclude=("q",)).everything
            filters.memo["ranks_by_pass"] = (
                kept_by_others.bit_count() * 3 >= snapshot.of(facet_index.ENTRY, "1").bit_count()
            )
    return filters.memo["ranks_by_pass"]


def _id_in(ids: Sequence[int]) -> RawSQL:
    """`id = ANY(ids)`: one array parameter, where `pk__in` makes one parameter per id."""
    return RawSQL(f"{Trial._meta.db_table}.id = ANY(%s)", (list(ids),), BooleanField())


def _boost(conditions: list[Q], weight: float) -> Case | Value:
    """`weight` for the trials meeting any of `conditions` (trials tagged with a concept the search names)."""
    if not conditions:
        return Value(0.0)
    condition = conditions[0]
    for other in conditions[1:]:
        condition |= other
    return Case(When(condition, then=Value(weight)), default=Value(0.0), output_field=FloatField())


def trial_page(filters: TrialFilters) -> Page:
    """One page of `trial_list`, uncached. A page past the end gives the last page."""
    paginator = Paginator(trial_list(filters=filters), filters.page_size)
    return paginator.get_page(filters.page)


# Columns the list page never shows: not loaded for a result page.
LIST_DEFERRED_FIELDS: tuple[str, ...] = (
    "raw", "parsed", "curation_conflicts", "brief_summary", "inclusion_criteria", "exclusion_criteria",
    "search_document", "search_vector", "rank_vector", "conditions", "interventions", "official_title",
    "keywords", "field_sources", "missing_fields",
)  # fmt: skip


def trial_list_page(filters: TrialFilters) -> Page:
    """`trial_page` for the list page: the same rows, without the heavy text columns.

    The total comes from `catalogue_counts()`; the rows are read on first use
    (`LazyRows`), so a page whose rendered cards are cached reads none. Queries:
    the data version, the counts (on a miss) and the rows, plus the synonym
    lookups the filters need.
    """
    paginator = Paginator(Trial.objects.none(), filters.page_size)
    paginator.count = catalogue_counts(filters)[0]  # type: ignore[misc]  # a cached_property, set once
    number = min(filters.page, paginator.num_pages)
    rows = LazyRows(lambda: page_rows(filters, number, lambda queryset: queryset.defer(*LIST_DEFERRED_FIELDS)))
    return Page(rows, number, paginator)


class LazyRows(Sequence):
    """A page's rows, read on first use: a page whose rendered cards are cached never reads them."""

    def __init__(self, load: Callable[[], list[Trial]]) -> None:
        self._load = load
        self._rows: list[Trial] | None = None

    @property
    def rows(self) -> list[Trial]:
        if self._rows is None:
            self._rows = self._load()
        return self._rows

    def __getitem__(self, index):  # type: ignore[no-untyped-def, override]
        return self.rows[index]

    def __len__(self) -> int:
        return len(self.rows)


def page_rows(filters: TrialFilters, number: int, prepare: Callable[[QuerySet], QuerySet]) -> list[Trial]:
    """The trials of result page `number` of `trial_list`, through `prepare` (defer,
    prefetch). One query (plus what `prepare` prefetches); ranking a search's matches
    by relevance reads them through the indexes (`counts.index_scans`: 2 more)."""
    start = (number - 1) * filters.page_size
    if ranks_by_pass(filters):
        snapshot = index_snapshot(filters)
        assert snapshot is not None
        ids = facet_index.page_of(
            search_order(filters), index_selection(filters, snapshot, ranked=True).everything, start, filters.page_size
        )
        return list(prepare(trial_list(filters=filters, ids=ids))) if ids else []
    kept = _kept_by_index(filters)
    if kept is not None and filters.effective_sort == "distance":
        # Ordered by the distances the site query gave; SQL orders the page's trials and those
        # tied with its first or last (ties go by registry id).
        km = _nearby(filters).km
        ordered = sorted((km[n], n) for n in kept)
        if start >= len(ordered):
            return []
        low, high = ordered[start][0], ordered[min(start + filters.page_size, len(ordered)) - 1][0]
        before = bisect.bisect_left(ordered, (low, -1))
        tied = [n for distance, n in ordered[before : bisect.bisect_right(ordered, (high, math.inf))]]
        page = slice(start - before, start - before + filters.page_size)
        if len(tied) > 2 * filters.page_size:
            # Many sites at one spot (a city's centre): their trials' order is their registry ids'.
            registry_ids = dict(Trial.objects.filter(_id_in(tied)).order_by().values_list("id", "registry_id"))
            tied.sort(key=lambda n: (km[n], registry_ids[n]))  # str order: the "C" collation's
            return list(prepare(trial_list(filters=filters, ids=tied[page])))
        return list(prepare(trial_list(filters=filters, ids=tied))[page])
    if kept is not None:
        return list(prepare(trial_list(filters=filters, ids=kept))[start : start + filters.page_size])
    rows = prepare(trial_list(filters=filters))[start : start + filters.page_size]
    if filters.values.get("q") and filters.effective_sort == "relevance":
        with counts.index_scans():
            return list(rows)
    return list(rows)


def catalogue_counts(filters: TrialFilters) -> tuple[int, dict[str, dict[str, int]]]:
    """(total, {facet: {value: count}}) for the filters: each facet counted under
    all the *other* active filters. Cached per normalized filter and data version;
    on a miss, one query."""
    if "counts" not in filters.memo:
        filters.memo["counts"] = cached(filters, ("counts",), lambda: _count_facets(filters))
    return filters.memo["counts"]


def data_state_for(filters: TrialFilters) -> DataState:
    """The data state (version, "data as of"), read at most once per request."""
    if "state" not in filters.memo:
        filters.memo["state"] = cache.data_state()
    return filters.memo["state"]


def _memo_key(filters: TrialFilters, key: tuple[Any, ...]) -> list[Any]:
    drop = ("sort", "page", "page_size") + (() if key and key[0] in DISPLAY_KEYS else DISPLAY_PARAMS)
    return [filters.query_items(drop=drop), key]


def cached(filters: TrialFilters, key: tuple[Any, ...], compute: Callable[[], T]) -> T:
    """`compute()`'s value for these filters and `key`, from the cache when the data
    hasn't changed since it was stored."""
    if settings.CATALOGUE_CACHE_SECONDS <= 0:
        return compute()
    return cache.memoize(data_state_for(filters), _memo_key(filters, key), compute)


def fragment_key(filters: TrialFilters, *key: Any) -> str:
    """What a cached template fragment of these filters varies on ("" when caching is off:
    the fragment tag then caches nothing, its timeout being 0)."""
    if settings.CATALOGUE_CACHE_SECONDS <= 0:
        return ""
    return cache.key_for(data_state_for(filters), _memo_key(filters, key)) or ""


def is_cached(filters: TrialFilters, key: tuple[Any, ...]) -> bool:
    """Whether `cached(filters, key, ...)` would answer from the cache (one data-version read)."""
    return settings.CATALOGUE_CACHE_SECONDS > 0 and cache.is_cached(data_state_for(filters), _memo_key(filters, key))


read_connection = counts.read_connection


def _count_facets(filters: TrialFilters) -> tuple[int, dict[str, dict[str, int]]]:
    assert filters.filterset is not None
    extra: dict[str, QuerySet] = {}
    if "scope" not in filters.values:
        # How many trials the default scope hides under these filters (the summary says so).
        extra["hidden"] = _apply(filters, base_queryset().filter(in_scope=False), scope_default=False)
    plan = search_plan(filters)
    if plan is not None and plan.concepts:
        # The trials tagged with the concepts the search names ("also matched as text in N" is the rest).
        extra["concepts"] = _apply(filters, base_queryset(), exclude=("q",)).filter(plan.condition(concepts_only=True))
    assert filters.filterset is not None
    keep = {
        facet.name: filters.filterset.canonical(facet, [str(v) for v in filters.values[facet.name]])
        for facet in facets.FACETS
        if filters.values.get(facet.name) and facet.values is None
    }
    every = every_facets(filters)
    focus = [*filters.open, *keep.get("disease", [])]
    snapshot = index_snapshot(filters)
    if snapshot is not None:
        return _count_with_index(filters, snapshot, extra=extra, keep=keep, focus=focus)
    return counts.count_facets(
        filters, _apply, base_queryset(), extra=extra, keep=keep, focus=focus, show=filters.show, every=every,
    )  # fmt: skip


def search_plan(filters: TrialFilters) -> search.Plan | None:
    """What the filters' search was understood as (None without a search)."""
    q = filters.values.get("q")
    if not q or filters.filterset is None:
        return None
    return filters.filterset.search_plan(q)


def facet_sizes(filters: TrialFilters) -> dict[str, int]:
    """How many values each facet has under the filters (its "show all N")."""
    return catalogue_counts(filters)[1].get("_sizes", {})


def index_snapshot(filters: TrialFilters) -> facet_index.Snapshot | None:
    """The facet index at the request's data state when it can answer these filters
    (CATALOGUE_FACET_INDEX on, the index built); None: count in SQL."""
    if not settings.CATALOGUE_FACET_INDEX:
        return None
    return facet_index.INDEX.current(
        router.db_for_read(Trial),
        data_state_for(filters).token,
        background=settings.CATALOGUE_FACET_INDEX_BACKGROUND,
        wait=settings.CATALOGUE_FACET_INDEX_WAIT,
    )


def every_facets(filters: TrialFilters) -> tuple[str, ...]:
    """The facets matching all their chosen values (`antigen_mode=all`)."""
    return tuple(f.name for f in facets.FACETS if f.match_all and filters.values.get(f.match_all) == "all")


def index_filters(
    filters: TrialFilters, snapshot: facet_index.Snapshot, *, exclude: Collection[str] = (), ranked: bool = False
) -> tuple[dict[str, list[str]], int | None, str | None, tuple[str, ...], dict[str, int]]:
    """The filters as the facet index takes them (`index_selection`, `facet_index.select`):
    (the facet filters' canonical values, the bitmap of the trials the other filters
    keep or None, the scope, the facets in "all" mode, the facets whose trials only
    SQL can say, as bitmaps). Age, dose, year, sex and volunteer filters are answered
    by the index; `near` by one query of the site table (with a status filter, a near
    site must have the status too: `given`); free text (and any filter the index cannot
    answer) by PostgreSQL, as the ids it keeps (one query; with `ranked`, a search by
    `search_order`). `exclude`: filters left out."""
    assert filters.filterset is not None
    selected = {
        name: filters.filterset.canonical(facets.BY_NAME[name], value)
        for name, value in filters.values.items()
        if name in facets.BY_NAME and name not in exclude
    }
    kept: int | None = None
    in_sql: list[str] = []
    for name, value in filters.values.items():
        if name in facets.BY_NAME or name in MODES or name in ("scope", "within_km") or name in exclude:
            continue  # within_km: a parameter of `near`
        answer = facet_index.scalar(snapshot, name, value)
        if answer is None:
            in_sql.append(name)
        else:
            kept = answer if kept is None else kept & answer
    given: dict[str, int] = {}
    if "near" in in_sql:
        in_sql.remove("near")
        near, qualifying = _trials_near(filters)
        kept = near if kept is None else kept & near
        if "status" in selected:
            given["status"] = qualifying
    if "q" in in_sql and (ranked or "search_order" in filters.memo):
        # The ranked pass, which a result page reads its order from (`page_rows`).
        in_sql.remove("q")
        if "search_bitmap" not in filters.memo:
            filters.memo["search_bitmap"] = facet_index.bitmap(search_order(filters))
        answer = filters.memo["search_bitmap"]
        kept = answer if kept is None else kept & answer
    if in_sql:
        key = ("sql_ids", *sorted(in_sql))
        if key not in filters.memo:
            ids = _apply(
                filters,
                Trial.objects.all(),
                exclude=[n for n in filters.values if n not in in_sql],
                scope_default=False,
            )
            filters.memo[key] = facet_index.bitmap(counts.ids_of(ids))
        kept = filters.memo[key] if kept is None else kept & filters.memo[key]
    return selected, kept, filters.values.get("scope"), every_facets(filters), given


def _trials_near(filters: TrialFilters) -> tuple[int, int]:
    """(the trials with a site near the `near` place, those whose near site has one of
    the status filter's statuses or states none), as bitmaps; memoized per request
    with the distances (`_nearby`)."""
    found = _nearby(filters)
    if "near_bitmaps" not in filters.memo:
        filters.memo["near_bitmaps"] = (facet_index.bitmap(found.near), facet_index.bitmap(found.qualifying))
    return filters.memo["near_bitmaps"]


def _nearby(filters: TrialFilters) -> nearby.TrialsNear:
    """`nearby.trials_near` for the filters, once per request."""
    if "near" not in filters.memo:
        assert filters.filterset is not None
        filters.memo["near"] = nearby.trials_near(
            filters.values["near"],
            filters.filterset.radius_km(),
            filters.values.get("status"),
        )
    return filters.memo["near"]


def index_selection(
    filters: TrialFilters, snapshot: facet_index.Snapshot, *, ranked: bool = False, exclude: Collection[str] = ()
) -> facet_index.Selection:
    """The trials `trial_list(filters)` lists (but for the filters in `exclude`), as
    bitmaps of the facet index (`index_filters`)."""
    selected, kept, scope, every, given = index_filters(filters, snapshot, ranked=ranked, exclude=exclude)
    return facet_index.select(snapshot, selected, scalar=kept, scope=scope, every=every, given=given)


def _count_with_index(
    filters: TrialFilters,
    snapshot: facet_index.Snapshot,
    *,
    extra: dict[str, QuerySet],
    keep: dict[str, list[str]],
    focus: list[str],
) -> tuple[int, dict[str, Any]]:
    """`_count_facets` through the in-memory facet index (catalogue/facet_index.py): the
    same numbers as the SQL path, without counting in SQL (`index_filters`). A search
    sorted by relevance may be matched by the ranked pass its result page reads (`ranks_by_pass`)."""
    selection = index_selection(filters, snapshot, ranked=ranks_by_pass(filters))
    scoped = "scope" in filters.values
    total, full, hidden = facet_index.count(snapshot, selection, every=every_facets(filters), hidden=not scoped)
    extras: dict[str, int | None] = {}
    for name, queryset in extra.items():
        answer = hidden if name == "hidden" else _concepts_count(filters, snapshot) if name == "concepts" else None
        extras[name] = queryset.count() if answer is None else answer
    return counts.shape(
        total, full, extras, token=data_state_for(filters).token, keep=keep, focus=focus, show=filters.show
    )


def _concepts_count(filters: TrialFilters, snapshot: facet_index.Snapshot) -> int | None:
    """The trials tagged with the concepts the search names, under the other filters
    (`_count_facets`' "concepts"), from the index: the search's matches that carry, for
    each part naming concepts, one of its concepts (a part's text is the rest of what
    it matches). None when a part mixes terms naming concepts with terms that don't
    (only SQL can tell those apart)."""
    plan = search_plan(filters)
    if plan is None:
        return None
    facet_of_column = {facet.column: facet.name for facet in facets.FACETS}
    tagged: int | None = None
    for part in plan.parts:
        named = [concepts for _, concepts in part.terms]
        if part.negated or not any(named):
            continue  # the same in both: the search's matches already meet it
        if not all(named):
            return None
        ids = 0
        for concepts in named:
            for concept in concepts:
                ids |= snapshot.of(facet_of_column[search.KINDS[concept.kind]], concept.name)
        tagged = ids if tagged is None else tagged & ids
    if tagged is None:
        return None
    return (index_selection(filters, snapshot, ranked=ranks_by_pass(filters)).everything & tagged).bit_count()


def hidden_count(filters: TrialFilters) -> int:
    """Trials matching the filters that the default scope hides (0 when `scope` is set)."""
    return catalogue_counts(filters)[1].get("_extra", {}).get("hidden", 0)


def trial_detail(registry_id: str) -> Trial | None:
    """One trial by registry id (case-insensitive), with everything its page shows.

    A registry id that is only a secondary id of exactly one entry resolves to
    that entry. A trial merged into another is returned as it is (with
    `merged_into` selected): the caller redirects to the primary.
    Bounded: one lookup plus one query per prefetched relation (dose levels, sites,
    contacts, antigens, diseases, linked records).
    """
    registry_id = " ".join(str(registry_id).split())[:64]
    if not registry_id:
        return None
    queryset = Trial.objects.select_related("merged_into").prefetch_related(
        "dose_levels",
        "sites",
        "references",
        # Trial-level and per-site contacts together (`site_id` tells a site's own).
        "contacts",
        Prefetch("antigens", queryset=Antigen.objects.order_by("name")),
        Prefetch("diseases", queryset=Disease.objects.order_by("name")),
        Prefetch("merged_records", queryset=Trial.objects.only("id", "registry", "registry_id", "merged_into_id")),
    )
    trial = queryset.filter(registry_id=registry_id).first()
    if trial is None:
        trial = queryset.filter(registry_id__iexact=registry_id).order_by("registry").first()
    if trial is None:
        matches = list(base_queryset().filter(secondary_ids__contains=[registry_id]).values_list("pk", flat=True)[:2])
        if len(matches) == 1:
            trial = queryset.get(pk=matches[0])
    return trial


def merged_primary(trial: Trial) -> Trial:
    """The catalogue entry a (possibly merged) record is shown through."""
    seen = {trial.pk}
    while trial.merged_into_id is not None:
        parent = trial.merged_into if trial.merged_into_id else None
        if parent is None or parent.pk in seen:
            break
        seen.add(parent.pk)
        trial = parent
    return trial


@dataclass(frozen=True)
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool
    toggle_query: str
    # Tree facets (disease): the node above this one, and whether it has nodes under it.
    parent: str | None = None
    has_children: bool = False


def facet_counts(filters: TrialFilters | Mapping[str, Any] | None = None) -> dict[str, list[FacetValue]]:
    """Each facet's values with their counts under all the other active filters,
    with the query string that toggles each value. Counts from `catalogue_counts()`."""
    filters = _as_filters(filters)
    counts = catalogue_counts(filters)[1]
    tree = counts.get("_tree", {})
    result: dict[str, list[FacetValue]] = {}
    for facet in FACETS:
        selected = [str(v) for v in filters.values.get(facet, [])]
        resolved = _resolved_selection(filters, facet, selected)
        values = dict(counts[facet])
        for value in resolved:
            values.setdefault(value, 0)
        items = []
        for value, n in sorted(values.items(), key=lambda kv: (-kv[1], kv[0].lower())):
            is_selected = value in resolved
            original = resolved.get(value, value)
            items.append(
                FacetValue(
                    value=value,
                    label=CHOICE_LABELS.get(facet, {}).get(value, value),
                    count=n,
                    selected=is_selected,
                    toggle_query=filters.querystring(without=(facet, original))
                    if is_selected
                    else filters.querystring(with_=(facet, value)),
                    **(_node(tree, value) if facets.BY_NAME[facet].tree else {}),
                )
            )
        result[facet] = items
    return result


def _node(tree: dict[str, tuple[str | None, bool]], value: str) -> dict[str, Any]:
    parent, has_children = tree.get(value, (None, False))
    return {"parent": parent, "has_children": has_children}


def _resolved_selection(filters: TrialFilters, facet: str, selected: list[str]) -> dict[str, str]:
    """Canonical facet value -> the parameter value the user gave (synonyms resolve)."""
    if not selected:
        return {}
    vocabulary = facets.BY_NAME[facet].vocabulary
    if vocabulary in ("antigen", "disease", "product", "combination") and filters.filterset is not None:
        if vocabulary == "combination":
            return {canonical: original for original, canonical in filters.filterset.combinations(selected).items()}
        mapping = filters.filterset.resolved(VOCABULARIES[vocabulary], selected)
        return {canonical: original for original, canonical in mapping.items()}
    if vocabulary == "country":
        return {country_name(s) or s: s for s in selected}
    return {s: s for s in selected}
