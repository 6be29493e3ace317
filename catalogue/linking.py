"""One study, several registries: link registrations, suggest likely duplicates.

- When one record's secondary ids name another registry's id (any registry of
  `catalogue.registries`), the two are linked automatically: the registry with
  the higher link priority (ClinicalTrials.gov first) gives the entry
  (`primary`), the other gets `merged_into` = primary.
- When titles are very similar (trigram similarity), the pair is offered to
  curators as a suggestion. Nothing is ever merged on a guess.
- A pair a curator rejected is never linked again automatically.
"""

from __future__ import annotations

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from catalogue import registries
from catalogue.models import Trial, TrialChange, TrialPair
from catalogue.registries import registry_ids_in
from catalogue.trials import refresh_denormalized

SUGGEST_SIMILARITY = 0.6


def order_pair(a: Trial, b: Trial) -> tuple[Trial, Trial]:
    """(primary, secondary): by the registries' link priority (ClinicalTrials.gov first),
    then the earlier registration."""

    def key(t: Trial) -> tuple:
        registry = registries.BY_KEY.get(t.registry)
        return (
            registry.link_priority if registry else 99,
            t.registration_date is None,
            t.registration_date,
            t.registry_id,
        )

    return tuple(sorted((a, b), key=key))  # type: ignore[return-value]


def counterparts(trial: Trial) -> list[Trial]:
    """Records of another registry that name this trial, or that this trial names."""
    return _counterparts([trial])[trial.pk]


_LINK_FIELDS = ("id", "registry", "registry_id", "secondary_ids", "merged_into_id")


def _counterparts(trials: list[Trial]) -> dict[int, list[Trial]]:
    """`counterparts` of many trials, in one query."""
    named = {t.pk: registry_ids_in(t.secondary_ids) - {t.registry_id} for t in trials}
    wanted = set().union(*named.values()) if named else set()
    ids = [t.registry_id for t in trials]
    candidates = list(
        Trial.objects.filter(Q(registry_id__in=sorted(wanted)) | Q(secondary_ids__overlap=ids)).only(*_LINK_FIELDS)
    )
    return {
        t.pk: [
            c for c in candidates
            if c.pk != t.pk and c.registry != t.registry and (c.registry_id in named[t.pk] or t.registry_id in c.secondary_ids)
        ]
        for t in trials
    }  # fmt: skip


def auto_link(trial: Trial) -> list[TrialPair]:
    """Link `trial` with every registration that names it by id (unless a curator rejected the pair)."""
    return _link_counterparts(trial, counterparts(trial))


def _link_counterparts(trial: Trial, others: list[Trial]) -> list[TrialPair]:
    pairs = []
    for other in others:
        primary, secondary = order_pair(trial, other)
        existing = TrialPair.objects.filter(
            Q(primary=primary, secondary=secondary) | Q(primary=secondary, secondary=primary)
        ).first()
        if existing and existing.status in ("linked", "rejected"):
            continue
        pairs.append(link(primary, secondary, reason="secondary_id", existing=existing))
    return pairs


def link_new(trial_ids: list[int], *, threshold: float = SUGGEST_SIMILARITY) -> tuple[int, int]:
    """After an ingest: link the new trials with the registrations that name them (or
    that they name), and offer very similar titles from other registries to curators.
    A few queries for the whole run, however many trials it created. Returns
    (pairs linked, pairs suggested)."""
    # Only the columns linking reads (others load on use): a run may create 10,000s of trials.
    trials = list(Trial.objects.filter(pk__in=trial_ids, merged_into__isnull=True).only(*_LINK_FIELDS))
    linked = 0
    found = _counterparts(trials)
    for trial in trials:
        if found[trial.pk]:
            with transaction.atomic():
                linked += len(_link_counterparts(Trial.objects.get(pk=trial.pk), found[trial.pk]))
    return linked, len(_suggest([t.pk for t in trials], threshold))


@transaction.atomic
def link(
    primary: Trial, secondary: Trial, *, reason: str = "manual", user=None, existing: TrialPair | None = None
) -> TrialPair:
    """Show `secondary` through `primary` from now on (one catalogue entry)."""
    if primary.merged_into_id:
        primary = primary.merged_into
    pair = existing or TrialPair(primary=primary, secondary=secondary, reason=reason)
    pair.primary, pair.secondary, pair.status, pair.decided_by = primary, secondary, "linked", user
    pair.save()
    # Linking changes what the catalogue shows: it moves the trials' updated_at.
    now = timezone.now()
    Trial.objects.filter(Q(pk=secondary.pk) | Q(merged_into=secondary)).update(merged_into=primary, updated_at=now)
    Trial.objects.filter(pk=primary.pk).update(updated_at=now)
    for trial, other in ((primary, secondary), (secondary, primary)):
        TrialChange.objects.create(
            trial=trial, actor="curator" if user else "system", user=user,
            changes={"linked_with": [None, other.registry_id]}, reason=f"linked ({reason})",
        )  # fmt: skip
    _refresh_search(primary)
    return pair


@transaction.atomic
def unlink(pair: TrialPair, *, user=None) -> TrialPair:
    """Separate a linked pair again, and remember the decision."""
    now = timezone.now()
    Trial.objects.filter(pk=pair.secondary_id, merged_into=pair.primary_id).update(merged_into=None, updated_at=now)
    Trial.objects.filter(pk=pair.primary_id).update(updated_at=now)
    pair.status, pair.decided_by = "rejected", user
    pair.save()
    for trial, other in ((pair.primary, pair.secondary), (pair.secondary, pair.primary)):
        TrialChange.objects.create(
            trial=trial, actor="curator" if user else "system", user=user,
            changes={"linked_with": [other.registry_id, None]}, reason="unlinked: not the same study",
        )  # fmt: skip
    _refresh_search(pair.primary)
    return pair


def suggest_duplicates(trial: Trial, *, threshold: float = SUGGEST_SIMILARITY) -> list[TrialPair]:
    """Offer other-registry records with very similar titles to curators. Never links."""
    if not trial.title or trial.merged_into_id:
        return []
    return _suggest([trial.pk], threshold)


@transaction.atomic
def _suggest(trial_ids: list[int], threshold: float, *, per_trial: int = 5) -> list[TrialPair]:
    """New suggested pairs for these trials: one query over the title trigram index."""
    if not trial_ids:
        return []
    registries_held = set(Trial.objects.order_by().values_list("registry", flat=True).distinct())
    if len(registries_held) < 2:
        return []  # one registry only: no pair can cross registries
    with connection.cursor() as cursor:
        # Let the trigram index cut at our threshold instead of pg_trgm's default 0.3 (10x fewer rows at 100k).
        cursor.execute("SELECT set_config('pg_trgm.similarity_threshold', %s, true)", [str(threshold)])
        cursor.execute(
            """
            SELECT n.id, o.id, similarity(n.title, o.title) AS s
            FROM catalogue_trial n
            JOIN catalogue_trial o ON o.title %% n.title AND o.registry <> n.registry
                 AND o.merged_into_id IS NULL AND o.id <> n.id
            WHERE n.id = ANY(%s) AND n.merged_into_id IS NULL AND n.title <> ''
              AND similarity(n.title, o.title) >= %s
            ORDER BY n.id, s DESC, o.id
            """,
            [list(trial_ids), threshold],
        )
        rows = cursor.fetchall()
    chosen: dict[int, list[tuple[int, float]]] = {}
    for new_id, other_id, similarity in rows:
        chosen.setdefault(new_id, [])
        if len(chosen[new_id]) < per_trial:
            chosen[new_id].append((other_id, similarity))
    if not chosen:
        return []
    trials = Trial.objects.in_bulk(set(chosen) | {o for pairs in chosen.values() for o, _ in pairs})
    pairs = []
    for new_id, others in chosen.items():
        for other_id, similarity in others:
            primary, secondary = order_pair(trials[new_id], trials[other_id])
            if TrialPair.objects.filter(
                Q(primary=primary, secondary=secondary) | Q(primary=secondary, secondary=primary)
            ).exists():
                continue
            pairs.append(
                TrialPair.objects.create(
                    primary=primary, secondary=secondary, status="suggested", reason="title",
                    similarity=round(similarity, 3),
                )
            )  # fmt: skip
    return pairs


def _refresh_search(primary: Trial) -> None:
    """The entry is findable by every registry id it stands for."""
    refresh_denormalized(primary)
