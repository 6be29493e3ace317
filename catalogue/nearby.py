"""Trials with a site near a place: the SQL of the `near=` / `within_km=` filter.

Distances are great-circle distances on PostgreSQL's `earthdistance` sphere
(radius 6,378.168 km). A site is near when its coordinates fall inside
`earth_box(centre, radius)` — served by the GiST index on
`catalogue_ll_to_earth(latitude, longitude)` (migration 0016) — and its exact
`earth_distance` is within the radius: one EXISTS subquery per trial, no Python
loop. Sites without coordinates are never near anything.

With a status filter, the near site itself must have one of the chosen
statuses, or state none of its own (ChiCTR and many records give one status
for the whole trial, which the status filter has already checked). So
`status=recruiting&near=Houston` keeps a recruiting trial only for a site near
Houston that is recruiting or states no status, never for a near site that has
completed or withdrawn.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import connections, router
from django.db.models import BooleanField, Exists, F, FloatField, Func, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Cast, JSONObject, Round

from catalogue.choices import NOT_STATED
from catalogue.models import EarthField, EarthPoint, Site

DEFAULT_WITHIN_KM = 200.0
MAX_WITHIN_KM = 20000.0  # half the earth's circumference: everywhere


@dataclass(frozen=True)
class Near:
    """A place to measure from: what `near=` resolved to. `str()` gives the text
    as typed, so the URL state round-trips."""

    text: str
    latitude: float
    longitude: float
    label: str  # "Houston", "Beijing (北京)", "29.76, -95.37"

    def __str__(self) -> str:
        return self.text


class _EarthBox(Func):
    function = "earth_box"
    output_field = EarthField()


class _EarthDistance(Func):
    function = "earth_distance"
    output_field = FloatField()


class _Contains(Func):
    """`box @> point`: the form the GiST index on the points serves."""

    template = "%(expressions)s"
    arg_joiner = " @> "
    output_field = BooleanField()


def _centre(near: Near) -> EarthPoint:
    return EarthPoint(Value(near.latitude, output_field=FloatField()), Value(near.longitude, output_field=FloatField()))


def site_distance_m(near: Near) -> _EarthDistance:
    """A site's distance from `near`, in metres (sites with coordinates only)."""
    return _EarthDistance(_centre(near), EarthPoint(F("latitude"), F("longitude")))


def sites_within(near: Near, within_km: float | None) -> QuerySet:
    """Every site within `within_km` of `near` (GiST-served: a box, then the exact distance)."""
    radius = Value(_metres(within_km), output_field=FloatField())
    return _in_box(near, within_km).annotate(distance_m=site_distance_m(near)).filter(distance_m__lte=radius)


def _metres(within_km: float | None) -> float:
    return 1000.0 * (within_km or DEFAULT_WITHIN_KM)


def _in_box(near: Near, within_km: float | None) -> QuerySet:
    """The sites in the cube around the circle of `within_km` (the index's part of `sites_within`)."""
    radius = Value(_metres(within_km), output_field=FloatField())
    return Site.objects.filter(
        _Contains(_EarthBox(_centre(near), radius), EarthPoint(F("latitude"), F("longitude"))),
        latitude__isnull=False,
        longitude__isnull=False,
    )


def with_status(statuses: Iterable[str]) -> Q:
    """A site with one of `statuses`, or stating none."""
    stated = [s for s in statuses if s != NOT_STATED]
    return Q(status__in=stated) | Q(status__isnull=True)


def near_sites(near: Near, within_km: float | None, statuses: Iterable[str] | None = None) -> QuerySet:
    """The sites within `within_km` of `near` (with one of `statuses`, or none stated,
    when given), of the trial `OuterRef("pk")`."""
    sites = sites_within(near, within_km).filter(trial_id=OuterRef("pk"))
    return sites if statuses is None else sites.filter(with_status(list(statuses)))


@dataclass(frozen=True)
class TrialsNear:
    """The trials `has_site_near` keeps, from the site table alone (`trials_near`)."""

    near: list[int]  # trials with a site within reach
    qualifying: list[int]  # ... whose site also has one of the statuses or states none (all without statuses)
    km: dict[int, float]  # qualifying trial -> its nearest qualifying site's distance, as `nearest_distance`


def trials_near(near: Near, within_km: float | None, statuses: Iterable[str] | None) -> TrialsNear:
    """What `has_site_near` keeps without and with the statuses, and `nearest_distance`
    of each kept trial, in one query of the site table (each site's distance computed
    once: it is most of the cost)."""
    inner, params = (
        _in_box(near, within_km)
        .annotate(d=site_distance_m(near))
        .order_by()  # not the site table's default order, which joins the trials
        .values("trial_id", "status", "d")
        .query.sql_with_params()
    )
    qualifies = "d <= %s"
    extra: list[Any] = [_metres(within_km)]
    if statuses is not None:
        stated = [s for s in statuses if s != NOT_STATED]
        qualifies += " AND (status = ANY(%s) OR status IS NULL)"
        extra.append(stated)
    sql = (
        f"SELECT trial_id, min(d) FILTER (WHERE {qualifies}) FROM ({inner} OFFSET 0) s WHERE d <= %s GROUP BY trial_id"
    )
    with connections[router.db_for_read(Site)].cursor() as cursor:
        cursor.execute(sql, [*extra, *params, _metres(within_km)])
        found = cursor.fetchall()
    # The same arithmetic as `nearest_distance` (float8 metres / 1000), so equal distances stay equal.
    km = {trial: metres / 1000.0 for trial, metres in found if metres is not None}
    return TrialsNear([trial for trial, _ in found], list(km), km)


def has_site_near(near: Near, within_km: float | None, statuses: Iterable[str] | None = None) -> Exists:
    """The condition: the trial has a site within `within_km` of `near` (see `near_sites`)."""
    return Exists(near_sites(near, within_km, statuses))


def nearest_site(near: Near, within_km: float | None, statuses: Iterable[str] | None = None) -> Subquery:
    """The trial's nearest qualifying site as a JSON object: institution, city,
    country, status and distance_km (rounded to 0.1 km); null when none."""
    sites = near_sites(near, within_km, statuses).order_by("distance_m", "position")
    return Subquery(
        sites.annotate(
            nearest=JSONObject(
                institution="institution", city="city", country="country", status="status",
                distance_km=Round(F("distance_m") / 1000.0, 1),
            )
        ).values("nearest")[:1]
    )  # fmt: skip


def nearest_distance(near: Near, within_km: float | None, statuses: Iterable[str] | None = None) -> Subquery:
    """The distance in km of the trial's nearest qualifying site (for ordering)."""
    sites = near_sites(near, within_km, statuses).order_by("distance_m")
    return Subquery(sites.annotate(km=Cast(F("distance_m") / 1000.0, FloatField())).values("km")[:1])
