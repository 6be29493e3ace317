"""Curator decisions, as services the admin (and anything else) calls.

- `trial_curate()`: a curator's new values for some fields. Only values that
  really change are applied; each becomes *curated* (ingest never overwrites
  it), its conflict flag is cleared, and one history entry records them all.
- `revert_field()`: give a curated field back to the registry.

Linking two registrations is `catalogue.linking.link` / `unlink`.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from catalogue.models import Antigen, Disease, Trial, TrialChange
from catalogue.trials import (
    CURATABLE_FIELDS,
    RELATED_FIELDS,
    SCALAR_FIELDS,
    field_value,
    from_json,
    refresh_denormalized,
    same_value,
    set_related,
    to_json,
)


class CurationError(ValueError):
    """The requested curation step does not apply to this trial or field."""


def _json_of(field: str, value: Any) -> Any:
    """A curator's value in its JSON form (as `field_value` gives it)."""
    if field in ("antigens", "diseases"):
        return sorted(v.name if isinstance(v, (Antigen, Disease)) else str(v) for v in value or [])
    if field == "dose_levels":
        return list(value or [])
    return to_json(value)


@transaction.atomic
def trial_curate(
    *, trial: Trial, changes: dict[str, Any], user=None, reason: str = "", recorded: dict[str, list[Any]] | None = None
) -> dict[str, list[Any]]:
    """Apply a curator's values and return what changed, {field: [before, after]}.

    `changes`: field → new value (model values for scalar fields; antigens and
    diseases as terms or names; dose levels as dicts). `recorded`: changes the
    caller already wrote (an admin inline), {field: [before, after]}, to be
    marked curated and recorded with the rest. Nothing is written when nothing
    really changes: saving an untouched form is a no-op.
    """
    trial = Trial.objects.select_for_update().get(pk=trial.pk)
    applied: dict[str, list[Any]] = {}
    for field, value in changes.items():
        if field not in CURATABLE_FIELDS:
            raise CurationError(f"{field!r} is not a curatable field")
        before = field_value(trial, field)
        after = _json_of(field, value)
        if same_value(field, before, after):
            continue
        if field in SCALAR_FIELDS:
            setattr(trial, field, from_json(field, after))
        else:
            set_related(trial, field, after)
        applied[field] = [before, after]
    for field, (before, after) in (recorded or {}).items():
        if not same_value(field, before, after):
            applied[field] = [before, after]
    if not applied:
        return {}
    trial.curated_fields = sorted(set(trial.curated_fields) | set(applied))
    trial.curation_conflicts = {k: v for k, v in (trial.curation_conflicts or {}).items() if k not in applied}
    trial.updated_at = timezone.now()
    trial.save()
    refresh_denormalized(trial)
    TrialChange.objects.create(trial=trial, actor="curator", user=user, changes=applied, reason=reason)
    return applied


@transaction.atomic
def revert_field(trial: Trial, field: str, *, user=None, reason: str = "") -> Trial:
    """Give `field` back to the registry: apply the last parsed value and drop it from `curated_fields`."""
    trial = Trial.objects.select_for_update().get(pk=trial.pk)
    if field not in CURATABLE_FIELDS:
        raise CurationError(f"{field!r} is not a curatable field")
    if field not in trial.curated_fields:
        raise CurationError(f"{field!r} is not curated on {trial.registry_id}")
    if field not in (trial.parsed or {}):
        raise CurationError(f"no parsed registry value is stored for {field!r}")
    parsed = trial.parsed[field]
    before = field_value(trial, field)
    if field in SCALAR_FIELDS:
        setattr(trial, field, from_json(field, parsed))
    elif field in RELATED_FIELDS:
        set_related(trial, field, parsed)
    trial.curated_fields = [f for f in trial.curated_fields if f != field]
    trial.curation_conflicts = {k: v for k, v in (trial.curation_conflicts or {}).items() if k != field}
    trial.updated_at = timezone.now()
    trial.save()
    refresh_denormalized(trial)
    TrialChange.objects.create(
        trial=trial,
        actor="curator",
        user=user,
        changes={field: [before, field_value(trial, field)]},
        reason=reason or "reverted to the registry's value",
    )
    return trial
