"""Public pages, the JSON API and the downloads of the catalogue.

Every view reads the same GET filters through `catalogue.selectors`; no view
queries the models directly. Invalid filters: pages show a notice and leave the
value out (200); the API, the downloads and the feed answer 400 saying what was wrong.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import prefetch_related_objects
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
    QueryDict,
    StreamingHttpResponse,
)
from django.shortcuts import render
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.views.decorators.http import require_safe
from django_ratelimit.core import get_usage

from catalogue import exports, facets, freshness, history, landscape, provenance, recent, suggest
from catalogue.about import about, about_lines, export_filename
from catalogue.cache import data_state
from catalogue.charts import clean as xml_text
from catalogue.choices import Modality
from catalogue.criteria import criteria_sections, has_list
from catalogue.filters import AGE_GROUPS, FACETS, SEXES, SORT_NEEDS, SORTS
from catalogue.maps import distance_to, near_point, place, results_map, status_legend, trial_map
from catalogue.models import Product, Site, Trial, TrialContact
from catalogue.nearby import DEFAULT_WITHIN_KM
from catalogue.registries import results_page, safe_url
from catalogue.selectors import (
    DEFAULT_PAGE_SIZE,
    LIST_DEFERRED_FIELDS,
    FacetValue,
    TrialFilters,
    cached,
    catalogue_counts,
    data_state_for,
    facet_counts,
    facet_sizes,
    fragment_key,
    hidden_count,
    is_cached,
    merged_primary,
    page_rows,
    parse_filters,
    search_plan,
    trial_detail,
    trial_list,
    trial_list_page,
)
from catalogue.serializers import (
    PARAMETER_EXAMPLES,
    export_queryset,
    iter_csv,
    iter_json,
    openapi_schema,
    serialize_trials,
    trial_to_dict,
)
from catalogue.summary import build_summary
from catalogue.templatetags.catalogue_tags import format_age_range, format_dose_range
from catalogue.world_map import world_map
from config.client_ip import client_key

# The filter form's own inputs; every other active filter rides along as hidden inputs.
FORM_FIELDS = (
    "q", "age", "age_min", "age_max", "dose_min", "dose_max", "start_year", "sort", "near", "within_km", "sex",
    "age_group", "healthy_volunteers",
)  # fmt: skip
# The distance choices of the filter form (any other within_km= still works).
WITHIN_KM_CHOICES = (25, 50, 100, 200, 500, 1000)
JSON_PARAMS = {"ensure_ascii": False}


# --- the rate limit on uncached searches ------------------------------------------------------

RATE_GROUP = "catalogue.uncached-search"
PLAIN_TEXT_VIEWS = ("export_csv", "export_json", "trial_feed", "landscape_chart")
TOO_MANY = "You have run many new searches in a short time. Please wait {seconds} s, then try again."


def _limited(
    request: HttpRequest, filters: TrialFilters, key: tuple[Any, ...] = ("counts",), *, uncached: bool = False
) -> HttpResponse | None:
    """429 with Retry-After when this client (config/client_ip.py) has run more than
    SEARCH_RATE requests that the counts cache could not answer; else None.

    Only such requests count (`uncached`, or the counts for `key` not cached yet):
    paging, re-sorting and anything someone else already asked for stay free, and so
    does the cache pre-warm (catalogue/warm.py), which is no client."""
    if not settings.SEARCH_RATE or getattr(request, "warming", False) or (not uncached and is_cached(filters, key)):
        return None
    usage = get_usage(request, group=RATE_GROUP, key=client_key, rate=settings.SEARCH_RATE, increment=True)
    if usage is None or not usage["should_limit"]:
        return None
    seconds = max(1, int(usage["time_left"]))
    message = TOO_MANY.format(seconds=seconds)
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse({"detail": message}, status=429)
    elif request.resolver_match is not None and request.resolver_match.url_name in PLAIN_TEXT_VIEWS:
        response = HttpResponse(message + "\n", status=429, content_type="text/plain; charset=utf-8")
    else:
        response = render(request, "catalogue/too_many.html", {"message": message}, status=429)
    response["Retry-After"] = str(seconds)
    return response


# --- the list page --------------------------------------------------------------------------


@dataclass
class TreeItem:
    """A disease tree node as the sidebar shows it: indented under the node above it,
    with a link that shows (or hides) the nodes under it."""

    value: FacetValue
    depth: int
    expanded: bool
    toggle_open_query: str | None  # None: it has nothing under it, or is held open by a selection


@dataclass
class FacetGroup:
    name: str
    title: str
    values: list[FacetValue]
    size: int  # how many values the facet has under the filters
    selected_count: int
    clear_query: str
    show_query: str  # "show all N" (or, when shown in full, "show fewer")
    showing_all: bool
    tree: list[TreeItem] | None = None
    mode_links: list[tuple[str, str, bool]] = field(default_factory=list)  # (label, query, current)

    @property
    def truncated(self) -> bool:
        return not self.showing_all and self.size > len([v for v in self.values if v.count])


def facet_groups(filters: TrialFilters, counted: dict[str, list[FacetValue]]) -> list[FacetGroup]:
    """Each facet with the values its counts give (its top ones and the selected),
    its "show all N" link, the disease facet as a tree, the antigen facet's any/all switch."""
    sizes = facet_sizes(filters)
    groups = []
    for facet in facets.FACETS:
        values = counted.get(facet.name, [])
        if not values:
            continue
        showing_all = filters.show == facet.name
        group = FacetGroup(
            name=facet.name,
            title=facet.label,
            values=values,
            size=sizes.get(facet.name, 0),
            selected_count=sum(1 for v in values if v.selected),
            clear_query=filters.querystring(drop=(facet.name, "page")),
            show_query=filters.querystring(drop=("show", "page"))
            if showing_all
            else urlencode([*filters.query_items(drop=("show", "page")), ("show", facet.name)]),
            showing_all=showing_all,
        )
        if facet.tree:
            group.tree = _tree(filters, values, everything=showing_all)
        if facet.match_all:
            every = filters.values.get(facet.match_all) == "all"
            group.mode_links = [
                ("any", filters.querystring(drop=(facet.match_all, "page")), not every),
                ("all", urlencode([*filters.query_items(drop=(facet.match_all, "page")), (facet.match_all, "all")]),
                 every),
            ]  # fmt: skip
        groups.append(group)
    return groups


def _tree(filters: TrialFilters, values: list[FacetValue], *, everything: bool) -> list[TreeItem]:
    """The tree facet's nodes in display order: roots first (most trials first), each
    expanded node followed by the nodes under it. Expanded: the `open` nodes, the
    selected ones and their ancestors (everything when shown in full)."""
    by_name = {v.value: v for v in values}
    under: dict[str | None, list[FacetValue]] = {}
    for v in values:
        parent = v.parent if v.parent in by_name else None
        if v.count or v.selected or v.value in filters.open:
            under.setdefault(parent, []).append(v)
    held: set[str] = set()
    for v in values:
        if v.selected:
            node: str | None = v.value
            while node is not None and node not in held:
                held.add(node)
                node = by_name[node].parent if node in by_name else None
    opened = set(filters.open)
    for name in list(opened):
        node = by_name[name].parent if name in by_name else None
        while node is not None and node not in opened:
            opened.add(node)
            node = by_name[node].parent if node in by_name else None

    def ancestors(name: str) -> list[str]:
        chain, node = [], by_name[name].parent if name in by_name else None
        while node is not None and node not in chain:
            chain.append(node)
            node = by_name[node].parent if node in by_name else None
        return chain

    items: list[TreeItem] = []

    def walk(parent: str | None, depth: int) -> None:
        for v in sorted(under.get(parent, []), key=lambda v: (-v.count, v.label.casefold())):
            expanded = everything or v.value in held or v.value in opened
            toggle = None
            if v.has_children and not everything and v.value not in held:
                # Hiding a node hides the open nodes under it too.
                open_now = (
                    [o for o in filters.open if o != v.value and v.value not in ancestors(o)]
                    if expanded
                    else [*filters.open, v.value]
                )
                toggle = urlencode([*filters.query_items(drop=("open", "page")), *(("open", o) for o in open_now)])
            items.append(TreeItem(v, depth, expanded and v.has_children, toggle))
            if expanded and depth < 8:
                walk(v.value, depth + 1)

    walk(None, 0)
    return items


def _form_state(request: HttpRequest, filters: TrialFilters) -> dict[str, Any]:
    """What the filter form shows: each box's value, and the other filters as hidden inputs."""
    values = {}
    for name in FORM_FIELDS:
        raw = request.GET.get(name, "").strip()
        if name in filters.values or name in filters.errors or (name == "sort" and filters.sort):
            values[name] = raw
    hidden = [
        (name, value)
        for name, value in filters.query_items(drop=FORM_FIELDS)
        if (name, value) != ("status", "recruiting")
    ]
    return {
        "form_values": values,
        "form_errors": set(filters.errors),
        "hidden_inputs": hidden,
        "recruiting_only": "recruiting" in filters.values.get("status", []),
        # How many of the form's boxes below the search are set (its phone summary says so).
        "form_more_set": sum(1 for name in values if name not in ("q", "sort", "within_km"))
        + ("recruiting" in filters.values.get("status", [])),
        "sort_options": [
            (key, label) for key, label in SORTS.items() if key not in SORT_NEEDS or SORT_NEEDS[key] in filters.values
        ],
        # Only a sort the user chose: the default (relevance with a search, else newest) submits none.
        "current_sort": filters.sort,
        "within_km_options": _within_km_options(filters),
        "sex_options": list(SEXES.items()),
        "age_group_options": [(key, group[0]) for key, group in AGE_GROUPS.items()],
    }


def _within_km_options(filters: TrialFilters) -> list[tuple[str, str, bool]]:
    """(value, label, selected) of the distance menu: the usual distances and the current one."""
    current = filters.values.get("within_km") or DEFAULT_WITHIN_KM
    values = sorted({*(float(v) for v in WITHIN_KM_CHOICES), float(current)})
    return [(f"{v:g}", f"{v:g} km", v == current) for v in values]


def _page_links(page: Any) -> list[int | None]:
    """Page numbers around the current one, None for a gap: 1 … 4 5 [6] 7 8 … 20."""
    last = page.paginator.num_pages
    current = page.number
    wanted = {1, last, *range(max(1, current - 2), min(last, current + 2) + 1)}
    links: list[int | None] = []
    previous = 0
    for n in sorted(wanted):
        if n - previous > 1:
            links.append(None)
        links.append(n)
        previous = n
    return links


def active_filter_count(filters: TrialFilters) -> int:
    """How many filter values are on (each selected facet value counts), for "Filters (N active)".
    `within_km` is a part of `near`, not a filter of its own."""
    return sum(
        len(value) if isinstance(value, list) else 1 for name, value in filters.values.items() if name != "within_km"
    )


@require_safe
def trial_list_view(request: HttpRequest) -> HttpResponse:
    filters = parse_filters(request.GET)
    if limited := _limited(request, filters):
        return limited
    page = trial_list_page(filters)
    base_query = filters.querystring()
    summary = build_summary(filters)
    # The map view (?view=map) shows the same results on a map; every link that changes
    # the filters keeps it.
    view = "map" if request.GET.get("view") == "map" else "list"
    view_query = "view=map" if view == "map" else ""
    context = {
        "page": page,
        "filters": filters,
        "view": view,
        "view_query": view_query,
        # The trial cards and the facet sidebar (hundreds of toggle links) are most of the
        # render: the template caches them per filter state and data version. The facet
        # groups are computed only when the sidebar is rendered (the template calls them).
        "cache_seconds": settings.CATALOGUE_CACHE_SECONDS,
        "cards_key": fragment_key(filters, "cards", filters.effective_sort, page.number, filters.page_size),
        "facets_key": fragment_key(filters, "facets", filters.sort, filters.page_size, view),
        "facet_groups": lambda: facet_groups(filters, facet_counts(filters)),
        "summary": summary,
        "base_query": base_query,
        "page_base_query": "&".join(q for q in (base_query, view_query) if q),
        "active_filters": active_filter_count(filters),
        "page_links": _page_links(page),
        "export_query": filters.querystring(drop=("page_size",)),
        "feed_query": filters.querystring(drop=("sort", "page_size")),
        "requested_page_past_end": filters.page > page.paginator.num_pages,
        "hidden_out_of_scope": hidden_count(filters),
        "show_all_query": filters.querystring(with_=("scope", "all"), drop=("page",)),
        "data_state": data_state_for(filters),
        **_form_state(request, filters),
    }
    if view == "map":
        context.update(_map_view(filters, page))
    request.data_state = context["data_state"]  # the footer reads it too
    return render(request, "catalogue/trial_list.html", context)


def search_understood(filters: TrialFilters) -> dict[str, Any] | None:
    """What the search was understood as, for the API: the concepts its terms name,
    how many trials are tagged with them and how many matched as text only."""
    plan = search_plan(filters)
    if plan is None:
        return None
    total, counts = catalogue_counts(filters)
    concept_count = counts.get("_extra", {}).get("concepts")
    return {
        "q": plan.q,
        "concepts": [
            {"term": term, "kind": c.kind, "value": c.name, "excluded": negated}
            for term, concepts, negated in plan.understood_terms
            for c in concepts
        ],
        "concept_count": concept_count,
        "text_only_count": None if concept_count is None else total - concept_count,
    }


def _map_view(filters: TrialFilters, page: Any) -> dict[str, Any]:
    """The list's map view: the map reads every site of the filter from `results_map_view`;
    beside it, the sites of this page's trials as a table (one more query, for the sites)."""
    rows = page_rows(
        filters, page.number, lambda queryset: queryset.defer(*LIST_DEFERRED_FIELDS).prefetch_related("sites")
    )
    query = filters.querystring(drop=("page", "page_size", "sort"))
    near = near_point(filters)
    return {
        "map_data_url": reverse("catalogue:results_map") + (f"?{query}" if query else ""),
        "map_trials": [(trial, site_rows(list(trial.sites.all()), [], near)) for trial in rows],
        "site_statuses": status_legend(),
        "near": near,
    }


@require_safe
def results_map_view(request: HttpRequest) -> HttpResponse:
    """The sites (with coordinates) of every trial in the filter, for the list's map view.
    Invalid filters are ignored, as on the list page."""
    filters = parse_filters(request.GET)
    if limited := _limited(request, filters, ("results_map",)):
        return limited
    return JsonResponse(results_map(filters, near_point(filters)), json_dumps_params=JSON_PARAMS)


# --- the trial page --------------------------------------------------------------------------


@dataclass
class ComparisonRow:
    label: str
    value: str
    raw: list[tuple[str, Any]]  # (registry field, its text or list)
    curated: bool
    note: str = ""
    missing: bool = False  # no copy of the record we hold carries it
    source: str = ""  # which copy supplied it, in words
    evidence: list[str] = field(default_factory=list)  # why a classification has its value


RAW_LABELS = {
    "status": "status",
    "phase": "phase",
    "study_type": "study type",
    "min_age": "minimum age",
    "max_age": "maximum age",
    "age_text": "age text",
    "sex": "sex",
    "enrollment": "enrollment",
    "enrollment_type": "enrollment type",
    "start_date": "start date",
    "completion_date": "completion date",
    "registration_date": "registration date",
    "last_update_date": "last update",
    "sponsor": "sponsor",
    "countries": "countries",
    "conditions": "conditions",
    "interventions": "interventions",
    "doses": "doses",
}
NOT_STATED = "not stated"


def _date(value: dt.date | None) -> str:
    return value.strftime("%-d %b %Y") if value else ""


def _choice(trial: Trial, field: str) -> str:
    return getattr(trial, f"get_{field}_display")() if getattr(trial, field) else NOT_STATED


def comparison_rows(trial: Trial) -> list[ComparisonRow]:
    """Every normalized field beside the registry's own text for it, with the copy it came from."""
    raw = trial.raw or {}
    curated = set(trial.curated_fields or [])
    missing = set(trial.missing_fields or [])
    antigens = list(trial.antigens.all())
    diseases = list(trial.diseases.all())

    def raw_items(*keys: str) -> list[tuple[str, Any]]:
        items = []
        for key in keys:
            value = raw.get(key)
            if value in (None, "", []):
                continue
            items.append((RAW_LABELS.get(key, key), value))
        return items

    def row(
        label: str, fields: tuple[str, ...], value: str, raw_keys: tuple[str, ...], note: str = ""
    ) -> ComparisonRow:
        return ComparisonRow(
            label, value, raw_items(*raw_keys), bool(set(fields) & curated), note,
            missing=all(f in missing for f in fields), source=provenance.field_source(trial, fields[0]),
        )  # fmt: skip

    enrollment = ""
    if trial.enrollment is not None:
        enrollment = str(trial.enrollment) + (f" ({trial.enrollment_type})" if trial.enrollment_type else "")
    return [
        row("Status", ("status",), _choice(trial, "status"), ("status",)),
        row("Phase", ("phase",), _choice(trial, "phase"), ("phase",)),
        row("Study type", ("study_type",), _choice(trial, "study_type"), ("study_type",)),
        row(
            "Ages",
            ("min_age_years", "max_age_years"),
            format_age_range(trial.min_age_years, trial.max_age_years),
            ("min_age", "max_age", "age_text"),
            note="" if trial.age_limits_stated else "The age filter keeps this trial for any age.",
        ),  # fmt: skip
        row("Sex", ("sex",), _choice(trial, "sex"), ("sex",)),
        row("Enrollment", ("enrollment",), enrollment, ("enrollment", "enrollment_type")),
        row("Start date", ("start_date",), _date(trial.start_date), ("start_date",)),
        row("Completion date", ("completion_date",), _date(trial.completion_date), ("completion_date",)),
        row("Registration date", ("registration_date",), _date(trial.registration_date), ("registration_date",)),
        row("Registry last updated", ("registry_updated",), _date(trial.registry_updated), ("last_update_date",)),
        row("Sponsor", ("sponsor",), trial.sponsor, ("sponsor",)),
        row("Countries", ("countries",), ", ".join(trial.countries), ("countries",)),
        ComparisonRow(
            "Diseases",
            "; ".join(f"{d.name} ({d.get_category_display().lower()})" for d in diseases),
            raw_items("conditions"),
            "diseases" in curated,
            evidence=provenance.evidence_lines(trial, "disease_categories"),
        ),
        ComparisonRow(
            "Target antigens",
            ", ".join(a.name for a in antigens),
            raw_items("interventions"),
            "antigens" in curated,
            evidence=provenance.evidence_lines(trial, "antigens"),
        ),
        row(
            "Dose (per kg)",
            ("dose_min_cells_per_kg", "dose_max_cells_per_kg"),
            format_dose_range(trial.dose_min_cells_per_kg, trial.dose_max_cells_per_kg),
            ("doses",),
            note=""
            if trial.dose_min_cells_per_kg is not None
            else "No per-kg dose: dose filters leave this trial out.",
        ),  # fmt: skip
        ComparisonRow(
            "Cell source",
            trial.get_cell_source_display(),
            [],
            "cell_source" in curated,
            evidence=provenance.evidence_lines(trial, "cell_source"),
        ),
        ComparisonRow(
            "Modality",
            ", ".join(Modality(m).label for m in trial.modalities if m in Modality.values) or "none identified",
            [],
            "modalities" in curated,
            evidence=provenance.evidence_lines(trial, "modalities"),
        ),
        ComparisonRow(
            "Products",
            ", ".join(trial.product_names) or "none named",
            [],
            "product_names" in curated,
            evidence=provenance.evidence_lines(trial, "products"),
        ),
        ComparisonRow(
            "Trial type",
            _choice(trial, "trial_type"),
            [],
            "trial_type" in curated,
            evidence=provenance.evidence_lines(trial, "trial_type"),
        ),
        ComparisonRow(
            "In the catalogue's scope",
            "yes" if trial.in_scope else "no",
            [],
            "in_scope" in curated,
            evidence=provenance.evidence_lines(trial, "in_scope"),
        ),
    ]


@dataclass
class SiteRow:
    site: Site
    contacts: list[TrialContact]
    place: str
    place_zh: str
    distance_km: int | None = None


def site_rows(sites: list[Site], contacts: list[TrialContact], near: dict[str, Any] | None = None) -> list[SiteRow]:
    """Each site with its own contacts and its place in words (English, and Chinese where
    given); with a `near` place, its distance, nearest first (sites of unknown place last)."""
    by_site: dict[int, list[TrialContact]] = {}
    for contact in contacts:
        if contact.site_id is not None:
            by_site.setdefault(contact.site_id, []).append(contact)
    rows = [
        SiteRow(
            site=site,
            contacts=by_site.get(site.pk, []),
            place=place(site.city, site.state, site.country),
            place_zh="".join(p for p in (site.country_zh, site.state_zh, site.city_zh) if p),
            distance_km=distance_to(site, near),
        )
        for site in sites
    ]
    if near is not None:
        rows.sort(key=lambda row: (row.distance_km is None, row.distance_km or 0))
    return rows


@require_safe
def trial_detail_view(request: HttpRequest, registry_id: str) -> HttpResponse:
    trial = trial_detail(registry_id)
    if trial is None:
        raise Http404("No trial with this registry id.")
    primary = merged_primary(trial)
    if primary.pk != trial.pk or trial.registry_id != registry_id:
        # A merged record shows through its primary; an id in another case or a
        # secondary id goes to the canonical address.
        return HttpResponseRedirect(reverse("catalogue:trial_detail", args=[primary.registry_id]))
    merged = [r for r in trial.merged_records.all() if r.pk != trial.pk]
    sites = list(trial.sites.all())
    # Every contact of the trial (central and per site) in one query.
    prefetch_related_objects([trial], "contacts")
    contacts = list(trial.contacts.all())
    dose_levels = list(trial.dose_levels.all())
    inclusion = criteria_sections(trial.inclusion_criteria)
    exclusion = criteria_sections(trial.exclusion_criteria)
    # From a near-me search (`?near=`, the cards' links carry it): each site's distance.
    near = near_point(parse_filters({k: request.GET[k] for k in ("near", "within_km") if k in request.GET}))
    site_map = trial_map(sites, near)
    references = list(trial.references.all())
    context = {
        "trial": trial,
        "references": references,
        "results_href": safe_url(trial.results_url)
        or (results_page(trial.registry, trial.registry_id) if trial.has_results else ""),  # fmt: skip
        "history": history.trial_history(trial),
        "stalled_reasons": trial.stalled_reasons,
        "rows": comparison_rows(trial),
        "antigens": list(trial.antigens.all()),
        "diseases": list(trial.diseases.all()),
        "dose_levels": dose_levels,
        "sites": sites,
        "site_rows": site_rows(sites, contacts, near),
        "near": near,
        "central_contacts": [c for c in contacts if c.site_id is None],
        "site_contact_count": sum(1 for c in contacts if c.site_id is not None),
        "site_map": site_map,
        "site_map_note": (
            f"{len(site_map['sites'])} of {len(sites)} sites have a known place. Select a site for its name and status."
            if site_map
            else ""
        ),
        "site_statuses": status_legend(s for s in sites if s.latitude is not None),
        "criteria": {
            "inclusion": inclusion,
            "inclusion_split": has_list(inclusion),
            "exclusion": exclusion,
            "exclusion_split": has_list(exclusion),
        },
        "merged_records": merged,
        "registry_ids": [trial.registry_id, *(r.registry_id for r in merged)],
        "curated_fields": list(trial.curated_fields or []),
        "products": list(Product.objects.filter(name__in=trial.product_names).only("name", "slug"))
        if trial.product_names
        else [],
        "modality_labels": [Modality(m).label for m in trial.modalities if m in Modality.values],
        "gaps": {
            "eligibility": provenance.section(
                trial,
                ("inclusion_criteria", "exclusion_criteria"),
                trial.inclusion_criteria or trial.exclusion_criteria,
            ),
            "sites": provenance.section(trial, ("sites",), sites),
            "summary": provenance.section(trial, ("brief_summary",), trial.brief_summary),
            "doses": provenance.section(trial, ("dose_levels",), dose_levels),
            "conditions": provenance.section(trial, ("conditions",), trial.conditions),
            "references": provenance.section(trial, ("references",), references),
            "results": provenance.section(trial, ("has_results",), trial.has_results is not None),
        },  # fmt: skip
        "data_state": data_state(),
    }
    request.data_state = context["data_state"]
    return render(request, "catalogue/trial_detail.html", context)


# --- products ---------------------------------------------------------------------------------


@require_safe
def product_detail_view(request: HttpRequest, slug: str) -> HttpResponse:
    """A named product: its names, its facts each with its source, and its trials by
    phase and status (the catalogue's own counts, filtered to the product)."""
    product = Product.objects.filter(slug=slug).first()
    if product is None:
        raise Http404("No product with this name.")
    filters = parse_filters({"product": product.name, "scope": "all"})
    total, counted = catalogue_counts(filters)
    facts = [
        (label, value, product.sources.get(fact, ""))
        for fact, label, value in (
            ("targets", "Targets", ", ".join(product.targets)),
            ("modality", "Modality", product.get_modality_display() if product.modality else ""),
            ("cell_source", "Cell source", product.get_cell_source_display() if product.cell_source else ""),
            ("sponsor", "Sponsor", product.sponsor),
        )
    ]
    context = {
        "product": product,
        "facts": facts,
        "total": total,
        "by_phase": facet_counts(filters)["phase"],
        "by_status": facet_counts(filters)["status"],
        "trials": page_rows(filters, 1, lambda queryset: queryset.defer(*LIST_DEFERRED_FIELDS))[:50] if total else [],
        "list_query": filters.querystring(drop=("scope",)),
        "feed_query": filters.querystring(drop=("sort", "page_size")),
        "data_state": data_state_for(filters),
    }
    request.data_state = context["data_state"]
    return render(request, "catalogue/product_detail.html", context)


# --- the landscape -----------------------------------------------------------------------------


LANDSCAPE_FORMATS = (("svg", "SVG"), ("png", "PNG"), ("csv", "CSV"))
LANDSCAPE_TYPES = {"svg": "image/svg+xml; charset=utf-8", "png": "image/png", "csv": "text/csv; charset=utf-8"}


def _trend(request: HttpRequest) -> list[str]:
    """The antigens the trend chart draws (`?trend=CD19&trend=BCMA`): not a filter."""
    return [" ".join(v.replace("\x00", "").split())[:100] for v in request.GET.getlist("trend") if v.strip()][:20]


@require_safe
def landscape_view(request: HttpRequest) -> HttpResponse:
    filters = parse_filters(request.GET)
    if limited := _limited(request, filters, landscape.COUNTS_KEY):
        return limited
    trend = _trend(request)
    form = _form_state(request, filters)
    form["hidden_inputs"] = [*form["hidden_inputs"], *(("trend", name) for name in trend)]
    context = {
        "filters": filters,
        "summary": build_summary(filters),
        "list_query": filters.querystring(),
        "total": landscape.landscape_counts(filters)[0],
        # Laying out and drawing the charts is most of the render: the template caches them
        # per filter state, trend and data version, and builds them only on a miss.
        "cache_seconds": settings.CATALOGUE_CACHE_SECONDS,
        "charts_key": fragment_key(filters, "landscape-charts", trend),
        "charts": lambda: landscape.build_charts(filters, trend=trend)[1],
        **form,
        "trend_hidden": filters.query_items(drop=("page", "sort", "page_size")),
        "download_formats": LANDSCAPE_FORMATS,
        "world_map": world_map(filters),
        "data_state": data_state_for(filters),
    }
    request.data_state = context["data_state"]
    return render(request, "catalogue/landscape.html", context)


@require_safe
def landscape_chart_view(request: HttpRequest, chart: str, fmt: str) -> HttpResponse:
    """One landscape chart as SVG, PNG (rendered here) or CSV, stamped with the filter
    in words, the data date and the page it comes from. Invalid filters: 400."""
    if chart not in landscape.BY_KEY or fmt not in LANDSCAPE_TYPES:
        raise Http404("No such chart.")
    filters = parse_filters(request.GET)
    if not filters.is_valid:
        message = "Invalid filters:\n" + "\n".join(f"- {m}" for m in filters.notices) + "\n"
        return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")
    if limited := _limited(request, filters, landscape.COUNTS_KEY):
        return limited
    _, charts = landscape.build_charts(filters, trend=_trend(request), only=chart)
    figure = charts[0]
    page = reverse("catalogue:landscape") + (f"?{figure.query}" if figure.query else "") + f"#chart-{chart}"
    stamp = landscape.Stamp.of(build_summary(filters).text, data_state_for(filters), request.build_absolute_uri(page))
    if fmt == "csv":
        body: str | bytes = landscape.chart_csv(figure, stamp)
    else:
        body = landscape.standalone_svg(figure, stamp)
        if fmt == "png":
            body = landscape.png(body)
    response = HttpResponse(body, content_type=LANDSCAPE_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{landscape.filename(figure, filters, stamp, fmt)}"'
    return response


# --- the JSON API ---------------------------------------------------------------------------------


def _api_error(errors: dict[str, list[str]], status: int = 400) -> JsonResponse:
    return JsonResponse({"errors": errors}, status=status, json_dumps_params=JSON_PARAMS)


@require_safe
def api_trial_list(request: HttpRequest) -> JsonResponse:
    """Paginated trials with facets. A page past the end gives an empty `results`
    (with `previous` pointing at the last page), so a client paging on `next` stops."""
    filters = parse_filters(request.GET)
    if not filters.is_valid:
        return _api_error(filters.errors)
    if limited := _limited(request, filters):
        return limited
    count = catalogue_counts(filters)[0]
    start = (filters.page - 1) * filters.page_size
    last_page = max(1, -(-count // filters.page_size))
    base = filters.querystring()

    def page_url(number: int) -> str:
        query = f"{base}&page={number}" if base else f"page={number}"
        return request.build_absolute_uri(f"{request.path}?{query}")

    def results() -> list[dict[str, Any]]:
        rows = page_rows(filters, filters.page, export_queryset) if start < count else []
        if "near" in filters.values:
            # The nearest qualifying site and its distance, after the export's own keys.
            return [{**trial_to_dict(t), "nearest_site": t.nearest_site} for t in rows]
        return [trial_to_dict(t) for t in rows]

    def facet_values() -> dict[str, list[dict[str, Any]]]:
        values = facet_counts(filters)
        return {
            name: [{"value": v.value, "label": v.label, "count": v.count, "selected": v.selected} for v in values[name]]
            for name in FACETS
        }

    # The results and facets are cached as data (per filter, page and data version);
    # only the links, which name the requested host, are made per request.
    body = {
        "count": count,
        "next": page_url(filters.page + 1) if start + filters.page_size < count else None,
        "previous": page_url(min(filters.page - 1, last_page)) if filters.page > 1 else None,
        "results": cached(filters, ("api_results", filters.effective_sort, filters.page, filters.page_size), results),
        "facets": cached(filters, ("api_facets",), facet_values),
        "facet_sizes": facet_sizes(filters),
        "search": search_understood(filters),
    }
    return JsonResponse(body, json_dumps_params=JSON_PARAMS)


@require_safe
def api_suggest(request: HttpRequest) -> JsonResponse:
    """Type-ahead over the vocabularies: `{q, suggestions: [{label, kind, value, count, param}]}`."""
    q = " ".join(request.GET.get("q", "").replace("\x00", "").split())[:100]
    response = JsonResponse(
        {"q": q, "suggestions": [s.as_json() for s in suggest.suggest(q)]}, json_dumps_params=JSON_PARAMS
    )
    response["Cache-Control"] = "max-age=60"
    return response


def _json(value: Any) -> str:
    return json.dumps(value, cls=DjangoJSONEncoder, **JSON_PARAMS)


@require_safe
def api_trial_detail(request: HttpRequest, registry_id: str) -> JsonResponse:
    trial = trial_detail(registry_id)
    if trial is None:
        return JsonResponse({"detail": "Not found."}, status=404)
    primary = merged_primary(trial)
    if primary.pk != trial.pk:
        trial = trial_detail(primary.registry_id) or primary
    return JsonResponse(trial_to_dict(trial, detail=True), json_dumps_params=JSON_PARAMS)


@require_safe
def api_status(request: HttpRequest) -> JsonResponse:
    """How fresh the catalogue is, for people and monitors: per source the last
    successful harvest, the registry's data timestamp and a stale flag. Always read
    afresh (never the footer's memo). A database that can't be reached is a 503
    (catalogue.middleware), so a monitor can watch this one address."""
    sources = freshness.sources()
    state = data_state()
    body = {
        "stale": any(s.stale for s in sources),
        "stale_after_days": settings.HARVEST_STALE_DAYS,
        "sources": {s.source: s.as_json() for s in sources},
        "data": {
            "version": state.version,
            "changed_at": state.changed_at.isoformat() if state.changed_at else None,
            "registry_updated_max": state.registry_updated_max.isoformat() if state.registry_updated_max else None,
            "last_ingest_at": state.last_ingest_at.isoformat() if state.last_ingest_at else None,
        },
    }
    response = JsonResponse(body, json_dumps_params=JSON_PARAMS)
    response["Cache-Control"] = "no-store"
    return response


@require_safe
def api_schema(request: HttpRequest) -> JsonResponse:
    return JsonResponse(openapi_schema(request.build_absolute_uri("/")), json_dumps_params=JSON_PARAMS)


@dataclass
class DocParameter:
    name: str
    location: str
    required: bool
    type: str
    values: list[str]
    description: str
    example: str


@dataclass
class DocOperation:
    path: str
    method: str
    summary: str
    description: str
    parameters: list[DocParameter]
    responses: list[tuple[str, str]]
    examples: list[tuple[str, str]]  # (what it shows, address)
    anchor: str


def _type_text(schema: dict[str, Any]) -> str:
    if schema.get("type") == "array":
        return f"{_type_text(schema.get('items', {}))}, repeatable"
    kind = schema.get("type", "string")
    bounds = [f"{word} {schema[key]}" for key, word in (("minimum", "from"), ("maximum", "to")) if key in schema]
    return kind + (f" ({', '.join(bounds)})" if bounds else "")


def api_operations(schema: dict[str, Any], example_id: str) -> list[DocOperation]:
    """Each endpoint of the OpenAPI `schema` for the /api/ page, with working example
    addresses built from the parameters' examples (`example_id`: a trial that exists)."""
    operations = []
    for path, methods in schema["paths"].items():
        for method, op in methods.items():
            concrete = path.replace("{registry_id}", example_id)
            parameters = []
            examples = [("as it is", concrete)] if "{" not in path or example_id else []
            for p in op.get("parameters", []):
                p_schema = p.get("schema", {})
                values = p_schema.get("enum") or p_schema.get("items", {}).get("enum") or []
                example = str(p.get("example", example_id if p["in"] == "path" else ""))
                parameters.append(
                    DocParameter(
                        name=p["name"], location=p["in"], required=bool(p.get("required")), type=_type_text(p_schema),
                        values=[str(v) for v in values], description=p.get("description", ""), example=example,
                    )
                )  # fmt: skip
                if p["in"] == "query" and example:
                    examples.append((f"{p['name']}={example}", f"{concrete}?{urlencode({p['name']: example})}"))
            operations.append(
                DocOperation(
                    path=path, method=method.upper(), summary=op.get("summary", ""),
                    description=op.get("description", ""), parameters=parameters,
                    responses=[(code, r.get("description", "")) for code, r in op.get("responses", {}).items()],
                    examples=examples, anchor=path.strip("/").replace("/", "-").replace(".", "-").replace("{", "")
                    .replace("}", "") or "root",
                )
            )  # fmt: skip
    return operations


def _field_rows(schema: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(name, type in words, meaning) of each property of an object schema."""
    rows = []
    for name, spec in schema["properties"].items():
        kind = spec.get("type", "object")
        rows.append((name, " or ".join(kind) if isinstance(kind, list) else kind, spec.get("description", "")))
    return rows


@require_safe
def api_docs(request: HttpRequest) -> HttpResponse:
    """The API, documented for people: each endpoint and parameter, with examples
    that work against this catalogue, rendered from the OpenAPI schema."""
    schema = openapi_schema(request.build_absolute_uri("/"))
    example = page_rows(parse_filters({"sort": "registry_id", "page_size": "1"}), 1, lambda q: q.only("registry_id"))
    context = {
        "info": schema["info"],
        "operations": api_operations(schema, example[0].registry_id if example else ""),
        "schemas": schema["components"]["schemas"],
        "trial_fields": _field_rows(schema["components"]["schemas"]["TrialDetail"]),
        "about_fields": _field_rows(schema["components"]["schemas"]["About"]),
        "examples": PARAMETER_EXAMPLES,
    }
    return render(request, "catalogue/api_docs.html", context)


# --- downloads -----------------------------------------------------------------------------------


def _export_filters(request: HttpRequest) -> TrialFilters:
    """The filters of a download: the whole result set, so paging parameters are ignored."""
    params = QueryDict(mutable=True)
    for name, values in request.GET.lists():
        if name not in ("page", "page_size"):
            params.setlist(name, values)
    return parse_filters(params)


DOWNLOAD_TYPES = {"csv": "text/csv; charset=utf-8", "json": "application/json; charset=utf-8"}


def _started(items: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """`items` with its first query already run: a database outage then raises here,
    in the view (a 503), instead of after a 200 and the first bytes have gone out."""
    first = next(items, None)
    return items if first is None else itertools.chain((first,), items)


def _invalid_filters(filters: TrialFilters) -> HttpResponse:
    """400, in plain text: each invalid parameter and what was wrong with it."""
    lines = [f"- {message}" for messages in filters.errors.values() for message in messages]
    return HttpResponse("Invalid filters:\n" + "\n".join(lines) + "\n", status=400,
                        content_type="text/plain; charset=utf-8")  # fmt: skip


def _base_url(request: HttpRequest) -> str:
    """The site's address for links in a file: CATALOGUE_BASE_URL, else this request's."""
    return settings.CATALOGUE_BASE_URL or request.build_absolute_uri("/").rstrip("/")


def _download(request: HttpRequest, fmt: str) -> HttpResponse:
    """A download of the filtered result set, named after the filter and the date,
    headed by where it comes from (`catalogue.about`): the JSON's `about`, the CSV's
    `#` lines with `?about=1`.

    The full, unfiltered one is served from the pre-built file for the current
    data (`manage.py build_exports`) with a Content-Length when there is one.
    Otherwise it streams; if the database fails mid-stream the generator raises,
    so the server aborts the chunked response without its final chunk and the
    client sees a broken download, never a complete-looking truncated 200.
    """
    filters = _export_filters(request)
    if not filters.is_valid:
        return _invalid_filters(filters)
    with_about = fmt == "json" or request.GET.get("about", "").strip().lower() in ("1", "yes", "true")
    limit = settings.CATALOGUE_EXPORT_LIMIT
    filename = export_filename(filters, fmt)
    prebuilt = None
    if not filters.values and not filters.sort:
        variant = "csv-about" if fmt == "csv" and with_about else fmt
        prebuilt = exports.current_file(variant, data_state_for(filters).token)
    if prebuilt is not None:
        response: HttpResponse = FileResponse(
            prebuilt.open("rb"), content_type=DOWNLOAD_TYPES[fmt], as_attachment=True, filename=filename
        )
    else:
        if limited := _limited(request, filters, uncached=True):
            return limited
        items = _started(serialize_trials(trial_list(filters=filters), limit=limit, detail=fmt == "json"))
        matching = catalogue_counts(filters)[0]
        header = about(filters, count=min(matching, limit), matching=matching, base_url=_base_url(request))
        if fmt == "csv":
            chunks = iter_csv(items, about_lines(header) if with_about else ())
        else:
            chunks = iter_json(items, header)
        response = StreamingHttpResponse(chunks, content_type=DOWNLOAD_TYPES[fmt])
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Export-Limit"] = str(limit)
    return response


@require_safe
def export_csv(request: HttpRequest) -> HttpResponse:
    return _download(request, "csv")


@require_safe
def export_json(request: HttpRequest) -> HttpResponse:
    return _download(request, "json")


# --- following a search: the feed and recent activity --------------------------------------------


class TrialFeed(Feed):
    """The Atom feed of a search (one instance per request): trials added and registry
    changes to status, phase, enrollment, sites or results, newest first."""

    feed_type = Atom1Feed
    author_name = "CAR-T Trials Catalogue"

    def __init__(self, filters: TrialFilters) -> None:
        super().__init__()
        self.filters = filters
        self.query = filters.querystring(drop=("sort", "page", "page_size"))

    def get_object(self, request: HttpRequest, *args: Any, **kwargs: Any) -> TrialFilters:
        self.request = request
        return self.filters

    # Feed text goes through `xml_text`: XML 1.0 has no place for the control
    # characters a query string or a registry record may carry.
    def title(self, obj: TrialFilters) -> str:
        return xml_text(f"CAR-T trials catalogue: {build_summary(obj).text}")

    def subtitle(self, obj: TrialFilters) -> str:
        return "New trials, and registry updates that changed a trial's status, phase, enrollment, sites or results."

    def link(self, obj: TrialFilters) -> str:
        return reverse("catalogue:trial_list") + (f"?{self.query}" if self.query else "")

    def feed_url(self, obj: TrialFilters) -> str:
        return reverse("catalogue:trial_feed") + (f"?{self.query}" if self.query else "")

    def items(self, obj: TrialFilters) -> list[dict[str, Any]]:
        return cached(obj, ("feed",), lambda: history.feed_changes(trial_list(filters=obj)))

    def item_title(self, item: dict[str, Any]) -> str:
        return xml_text(item["headline"])

    def item_description(self, item: dict[str, Any]) -> str:
        return xml_text(history.feed_description(item))

    def item_link(self, item: dict[str, Any]) -> str:
        return reverse("catalogue:trial_detail", args=[item["registry_id"]]) + "#history"

    def item_guid(self, item: dict[str, Any]) -> str:
        page = self.request.build_absolute_uri(reverse("catalogue:trial_detail", args=[item["registry_id"]]))
        return f"{page}#change-{item['id']}"

    item_guid_is_permalink = False

    def item_pubdate(self, item: dict[str, Any]) -> dt.datetime:
        return item["changed_at"]

    def item_updateddate(self, item: dict[str, Any]) -> dt.datetime:
        return item["changed_at"]


@require_safe
def trial_feed(request: HttpRequest) -> HttpResponse:
    filters = _export_filters(request)
    if not filters.is_valid:
        return _invalid_filters(filters)
    if limited := _limited(request, filters, ("feed",)):
        return limited
    return TrialFeed(filters)(request)


def _window(request: HttpRequest) -> int:
    raw = request.GET.get("days", "").strip()
    return int(raw) if raw.isdigit() and int(raw) in recent.WINDOWS else recent.DEFAULT_WINDOW


@require_safe
def recent_view(request: HttpRequest) -> HttpResponse:
    """Trials of the search registered, started, status-changed or closed lately."""
    filters = parse_filters(request.GET)
    days = _window(request)
    if limited := _limited(request, filters, ("recent", days)):
        return limited
    query = filters.querystring(drop=("sort", "page", "page_size"))
    context = {
        "filters": filters,
        "summary": build_summary(filters),
        "days": days,
        "windows": [
            (n, urlencode([*filters.query_items(drop=("sort", "page", "page_size")), ("days", n)]))
            for n in recent.WINDOWS
        ],  # fmt: skip
        "activity": recent.recent_activity(filters, days),
        "feed_query": query,
        "list_query": query,
        **_form_state(request, filters),
        "data_state": data_state_for(filters),
    }
    request.data_state = context["data_state"]
    return render(request, "catalogue/recent.html", context)


__all__ = [
    "DEFAULT_PAGE_SIZE",
    "api_docs",
    "api_schema",
    "api_suggest",
    "api_trial_detail",
    "api_trial_list",
    "export_csv",
    "export_json",
    "landscape_chart_view",
    "landscape_view",
    "recent_view",
    "trial_feed",
    "trial_detail_view",
    "trial_list_view",
]
