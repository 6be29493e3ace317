"""Recent activity among the trials of a search (`/recent/`): trials registered,
started, whose status changed, and closed in the last 30, 90 or 365 days.

Registration and start come from the registry's own dates; a status change is
when the catalogue recorded it (`TrialChange`, from ingest). A trial counts as
closed when its status is completed, terminated or withdrawn and either its
completion date falls in the window or the change to that status was recorded
in it. One query per list (its total counted beside the rows).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, F, Q, QuerySet, Window
from django.utils import timezone

from catalogue.choices import ChangeActor, Status
from catalogue.history import value_text
from catalogue.models import TrialChange
from catalogue.selectors import TrialFilters, cached, trial_list

WINDOWS: tuple[int, ...] = (30, 90, 365)
DEFAULT_WINDOW = 90
CLOSED = (Status.COMPLETED, Status.TERMINATED, Status.WITHDRAWN)
SHOWN = 50


@dataclass(frozen=True)
class ActivityList:
    key: str
    title: str
    total: int
    rows: list[dict[str, Any]]


def _rows(queryset: QuerySet, date_field: str, detail: Any = None) -> tuple[int, list[dict[str, Any]]]:
    rows = list(
        queryset.annotate(total=Window(Count("id")))
        .values("registry_id", "title", "status", "total", date=F(date_field))[:SHOWN]
    )  # fmt: skip
    total = rows[0]["total"] if rows else 0
    for row in rows:
        row["status_text"] = value_text("status", row["status"])
        row["detail"] = detail(row) if detail else ""
    return total, rows


def status_changes(since: dt.datetime) -> QuerySet:
    """Status changes ingest recorded since `since` (not the first record of a trial)."""
    return TrialChange.objects.filter(
        actor=ChangeActor.INGEST, changed_at__gte=since, changes__has_key="status"
    ).exclude(changes__status__0=None)


def recent_activity(filters: TrialFilters, days: int, today: dt.date | None = None) -> list[ActivityList]:
    """The four lists for the trials of `filters` over the last `days` days, cached
    per filter and data version."""
    today = today or timezone.localdate()

    def compute() -> list[ActivityList]:
        since_date = today - dt.timedelta(days=days)
        since = timezone.make_aware(dt.datetime.combine(since_date, dt.time.min))
        trials = trial_list(filters=filters)
        registered = _rows(
            trials.filter(registration_date__range=(since_date, today)).order_by("-registration_date", "registry_id"),
            "registration_date",
        )
        started = _rows(
            trials.filter(start_date__range=(since_date, today)).order_by("-start_date", "registry_id"), "start_date"
        )
        changes = (
            status_changes(since)
            .filter(trial__in=trials.order_by().values("pk"))
            .annotate(total=Window(Count("id")))
            .select_related("trial")
            .only("id", "changed_at", "changes", "trial__registry_id", "trial__title", "trial__status")
            .order_by("-changed_at", "-id")[:SHOWN]
        )
        changed_rows = []
        changed_total = 0
        for change in changes:
            changed_total = change.total
            before, after = (list(change.changes["status"]) + [None, None])[:2]
            changed_rows.append(
                {
                    "registry_id": change.trial.registry_id, "title": change.trial.title,
                    "status": change.trial.status, "status_text": value_text("status", change.trial.status),
                    "date": change.changed_at.date(),
                    "detail": f"{value_text('status', before)} → {value_text('status', after)}",
                }
            )  # fmt: skip
        closed_changes = status_changes(since).filter(changes__status__1__in=list(CLOSED)).values("trial_id")
        closed = _rows(
            trials.filter(status__in=CLOSED)
            .filter(Q(completion_date__range=(since_date, today)) | Q(pk__in=closed_changes))
            .order_by(F("completion_date").desc(nulls_last=True), "registry_id"),
            "completion_date",
        )
        return [
            ActivityList("registered", "Registered", *registered),
            ActivityList("started", "Started", *started),
            ActivityList("status_changed", "Status changed", changed_total, changed_rows),
            ActivityList("closed", "Closed (completed, terminated or withdrawn)", *closed),
        ]

    # Keyed like the view's rate limit (`views._limited`); an entry lives CATALOGUE_CACHE_SECONDS, so
    # today's date needs no place in the key.
    return cached(filters, ("recent", days), compute)
