"""A trial's public history, and the changes a feed follows.

Registry changes come from `TrialChange` rows written by ingest (and rebuild),
corrections from those written by curators: they are shown apart, and a
correction is never presented as something the registry said. The copies of the
record (`TrialSource`) say which documents the values came from, with the
registry's own date of each.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.html import escape

from catalogue.choices import ChangeActor, Phase, Status
from catalogue.models import Trial, TrialChange, TrialSource

# What the public history and the feed say changed (in this order).
HISTORY_FIELDS: tuple[str, ...] = (
    "status", "phase", "enrollment", "start_date", "completion_date", "registration_date", "sites",
    "has_results", "results_date", "results_url", "references",
)  # fmt: skip
# What puts a registry change in a feed.
FEED_FIELDS: tuple[str, ...] = ("status", "phase", "enrollment", "sites", "has_results", "results_date", "results_url")
REGISTRY_ACTORS: tuple[str, ...] = (ChangeActor.INGEST, ChangeActor.REBUILD)
LABELS: dict[str, str] = {
    "status": "Status", "phase": "Phase", "enrollment": "Enrollment", "start_date": "Start date",
    "completion_date": "Completion date", "registration_date": "Registration date", "sites": "Sites",
    "has_results": "Results posted", "results_date": "Results first posted", "results_url": "Results page",
    "references": "Publications", "title": "Title", "official_title": "Official title", "title_zh": "Chinese title",
    "brief_summary": "Summary", "study_type": "Study type", "min_age_years": "Minimum age",
    "max_age_years": "Maximum age", "sex": "Sex", "dose_min_cells_per_kg": "Lowest dose (cells/kg)",
    "dose_max_cells_per_kg": "Highest dose (cells/kg)", "enrollment_type": "Enrollment type", "sponsor": "Sponsor",
    "countries": "Countries", "cell_source": "Cell source", "conditions": "Conditions", "keywords": "Keywords",
    "interventions": "Interventions", "inclusion_criteria": "Inclusion criteria",
    "exclusion_criteria": "Exclusion criteria", "source_url": "Registry page", "modalities": "Modality",
    "trial_type": "Trial type", "in_scope": "In scope", "product_names": "Products", "antigens": "Target antigens",
    "diseases": "Diseases", "dose_levels": "Dose levels", "secondary_ids": "Secondary ids",
}  # fmt: skip
NOT_STATED = "not stated"
HISTORY_LIMIT = 200
FEED_LIMIT = 50
SITE_NAMES_SHOWN = 3


@dataclass(frozen=True)
class ChangeLine:
    field: str
    label: str
    before: str
    after: str
    note: str = ""

    @property
    def text(self) -> str:
        if self.note:
            return f"{self.label}: {self.note}"
        return f"{self.label}: {self.before} → {self.after}"


@dataclass
class HistoryEntry:
    """One recorded change: when the catalogue recorded it, and what changed."""

    id: int
    changed_at: dt.datetime
    actor: str
    is_new: bool
    lines: list[ChangeLine] = field(default_factory=list)
    reason: str = ""
    source_format: str = ""


def _date(value: Any) -> str:
    try:
        return dt.date.fromisoformat(str(value)).strftime("%-d %b %Y")
    except ValueError:
        return str(value)


def _site_name(site: Any) -> str:
    if not isinstance(site, dict):
        return str(site)
    return site.get("institution") or ", ".join(p for p in (site.get("city"), site.get("country")) if p) or "a site"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def value_text(name: str, value: Any) -> str:
    """A recorded value in words."""
    if name == "sites":
        return _count(len(value or []), "site")
    if name == "references":
        return _count(len(value or []), "publication")
    if value is None or value == "" or value == []:
        return NOT_STATED
    if name == "status":
        return Status(value).label if value in Status.values else str(value)
    if name == "phase":
        return Phase(value).label if value in Phase.values else str(value)
    if name in ("start_date", "completion_date", "registration_date", "results_date"):
        return _date(value)
    if name == "has_results":
        return "yes" if value is True else "no" if value is False else NOT_STATED
    if isinstance(value, list):
        return "; ".join(str(v if not isinstance(v, dict) else v.get("name") or v.get("raw") or v) for v in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def describe(name: str, before: Any, after: Any) -> ChangeLine:
    """One field's change in words. Sites say which were added and removed."""
    label = LABELS.get(name, name.replace("_", " ").capitalize())
    line = ChangeLine(name, label, value_text(name, before), value_text(name, after))
    if name == "sites" and isinstance(before, list) and isinstance(after, list):
        old = [_site_name(s) for s in before]
        new = [_site_name(s) for s in after]
        added = [s for s in new if s not in old]
        removed = [s for s in old if s not in new]
        parts = []
        for verb, names in (("added", added), ("removed", removed)):
            if names:
                shown = ", ".join(names[:SITE_NAMES_SHOWN])
                more = f" and {len(names) - SITE_NAMES_SHOWN} more" if len(names) > SITE_NAMES_SHOWN else ""
                parts.append(f"{verb} {shown}{more}")
        detail = f" ({'; '.join(parts)})" if parts else ""
        line = ChangeLine(name, label, line.before, line.after, note=f"{line.before} → {line.after}{detail}")
    return line


def is_creation(changes: dict[str, Any]) -> bool:
    """The change that added the trial: every value is new (the title included)."""
    title = changes.get("title")
    return isinstance(title, list) and len(title) == 2 and title[0] is None


def _news(name: str, pair: Any) -> bool:
    """Whether a registry change is news for a feed: results count once posted (a record
    that now says "none posted" where nothing was said before is not news)."""
    if name not in ("has_results", "results_date", "results_url") or not isinstance(pair, list) or len(pair) != 2:
        return True
    before, after = pair
    return bool(after) or bool(before)


def entry(change: TrialChange, fields: Iterable[str] | None = None, *, news_only: bool = False) -> HistoryEntry:
    """`change` in words: the `fields` it changed (all of them when None), in that order;
    `news_only`: leave out what is no news for a feed (`_news`)."""
    changes = change.changes or {}
    names = [f for f in fields if f in changes] if fields is not None else list(changes)
    if news_only:
        names = [f for f in names if _news(f, changes[f])]
    new = is_creation(changes)
    lines = []
    for name in names:
        pair = changes[name]
        before, after = (pair + [None, None])[:2] if isinstance(pair, list) else (None, pair)
        if new:
            lines.append(ChangeLine(name, LABELS.get(name, name), "", value_text(name, after),
                                    note=value_text(name, after)))  # fmt: skip
        else:
            lines.append(describe(name, before, after))
    document = change.source_document if change.source_document_id else None
    return HistoryEntry(
        id=change.pk, changed_at=change.changed_at, actor=change.actor, is_new=new, lines=lines,
        reason=change.reason, source_format=document.format if document is not None else "",
    )  # fmt: skip


@dataclass
class TrialHistory:
    registry: list[HistoryEntry]
    corrections: list[HistoryEntry]
    copies: list[TrialSource]


def _changes(trial: Trial) -> QuerySet:
    return (
        TrialChange.objects.filter(trial=trial)
        .filter(Q(actor__in=REGISTRY_ACTORS) | Q(actor=ChangeActor.CURATOR))
        .select_related("source_document")
        .only("id", "changed_at", "actor", "changes", "reason", "source_document_id", "source_document__format")
        .order_by("-changed_at", "-id")
    )


def trial_history(trial: Trial) -> TrialHistory:
    """The trial's registry changes (newest first, only those of `HISTORY_FIELDS`),
    the curators' corrections, and the copies of the record held. Two queries."""
    registry: list[HistoryEntry] = []
    corrections: list[HistoryEntry] = []
    for change in _changes(trial)[:HISTORY_LIMIT]:
        if change.actor == ChangeActor.CURATOR:
            corrections.append(entry(change))
        else:
            found = entry(change, HISTORY_FIELDS)
            if found.lines or found.is_new:
                registry.append(found)
    copies = list(
        TrialSource.objects.filter(trial=trial)
        .only("id", "source_format", "registry_updated", "ingested_at", "third_party", "dominated")
        .order_by("-registry_updated", "-ingested_at", "-id")
    )
    return TrialHistory(registry, corrections, copies)


# --- the feed ----------------------------------------------------------------------------


def feed_changes(trials: QuerySet, limit: int = FEED_LIMIT) -> list[dict[str, Any]]:
    """The newest changes a search's feed shows, newest first: trials added to the
    catalogue, and registry changes to `FEED_FIELDS` of the trials of `trials`
    (a queryset of catalogue entries). Plain dicts, so they can be cached. One query."""
    rows = (
        TrialChange.objects.filter(actor=ChangeActor.INGEST, trial__in=trials.order_by().values("pk"))
        .filter(Q(changes__has_any_keys=list(FEED_FIELDS)) | Q(changes__has_key="title", changes__title__0=None))
        .select_related("trial")
        .only("id", "changed_at", "changes", "trial__registry_id", "trial__title")
        .order_by("-changed_at", "-id")[:limit]
    )
    items = []
    for change in rows:
        found = entry(change, FEED_FIELDS, news_only=True)
        if not (found.lines or found.is_new):
            continue
        if found.is_new:
            headline = f"New trial: {change.trial.registry_id}"
        else:
            headline = f"{change.trial.registry_id}: " + "; ".join(line.text for line in found.lines)
        items.append(
            {
                "id": change.pk,
                "registry_id": change.trial.registry_id,
                "trial_title": change.trial.title,
                "changed_at": change.changed_at,
                "is_new": found.is_new,
                "headline": headline,
                "lines": [line.text for line in found.lines],
            }
        )
    return items


def feed_description(item: dict[str, Any]) -> str:
    """An entry's body as HTML (registry text escaped)."""
    lead = "Added to the catalogue." if item["is_new"] else "Changed in the registry record:"
    lines = "".join(f"<li>{escape(line)}</li>" for line in item["lines"])
    return f"<p>{escape(item['trial_title'])}</p><p>{lead}</p>" + (f"<ul>{lines}</ul>" if lines else "")
