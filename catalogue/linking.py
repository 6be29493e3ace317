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

from django.contrib.postgres.search import TrigramSimilarity
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from catalogue import registries
from catalogue.models import Trial, TrialChange, TrialPair
from catalogue.registries import registry_ids_in

SUGGEST_SIMILARITY = 0.6


def order_pair(a: Trial, b: Trial) -> tuple[Trial, Trial]:
    """(primary, secondary): by the registries' link priority (ClinicalTrials.gov first),
    then the earlier registration."""

    def key(t: Trial) -> tuple:
        registry = registries.BY_KEY.get(t.registry)
        return (registry.link_priority if registry else 99, t.registration_date is None, t.registration_date, t.registry_id)

    return tuple(sorted((a, b), key=key))  # type: ignore[return-value]


def counterparts(trial: Trial) -> list[Trial]:
    """Records of another registry that name this trial, or that this trial names."""
    named = registry_ids_in(trial.secondary_ids) - {trial.registry_id}
    return list(
        Trial.objects.exclude(registry=trial.registry)
        .exclude(pk=trial.pk)
        .filter(Q(registry_id__in=named) | Q(secondary_ids__contains=[trial.registry_id]))
    )


def auto_link(trial: Trial) -> list[TrialPair]:
    """Link `trial` with every registration that names it by id (unless a curator rejected the pair)."""
    pairs = []
    for other in counterparts(trial):
        primary, secondary = order_pair(trial, other)
        existing = TrialPair.objects.filter(
            Q(primary=primary, secondary=secondary) | Q(primary=secondary, secondary=primary)
        ).first()
        if existing and existing.status in ("linked", "rejected"):
            continue
        pairs.append(link(primary, secondary, reason="secondary_id", existing=existing))
    return pairs


@transaction.atomic
def link(primary: Trial, secondary: Trial, *, reason: str = "manual", user=None, existing: TrialPair | None = None) -> TrialPair:
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
    with connection.cursor() as cursor:
        # Let the trigram index cut at our threshold instead of pg_trgm's default 0.3 (10x fewer rows at 100k).
        cursor.execute("SELECT set_config('pg_trgm.similarity_threshold', %s, true)", [str(threshold)])
    candidates = (
        Trial.objects.exclude(registry=trial.registry)
        .filter(title__trigram_similar=trial.title, merged_into__isnull=True)
        .annotate(similarity=TrigramSimilarity("title", trial.title))
        .filter(similarity__gte=threshold)
        .order_by("-similarity")[:5]
    )
    pairs = []
    for other in candidates:
        primary, secondary = order_pair(trial, other)
        pair, created = TrialPair.objects.get_or_create(
            primary=primary, secondary=secondary,
            defaults={"status": "suggested", "reason": "title", "similarity": round(other.similarity, 3)},
        )  # fmt: skip
        if created:
            pairs.append(pair)
    return pairs


def _refresh_search(primary: Trial) -> None:
    """The entry is findable by every registry id it stands for."""
    from catalogue.trials import refresh_denormalized

    refresh_denormalized(primary)
