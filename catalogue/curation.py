"""Curator decisions on single fields: revert a curated field to the registry's value."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from catalogue.models import Antigen, Disease, DoseLevel, Trial, TrialChange
from catalogue.trials import CURATABLE_FIELDS, SCALAR_FIELDS, field_value as current_value, from_json, refresh_denormalized


class CurationError(ValueError):
    """The requested curation step does not apply to this trial or field."""


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
    before = current_value(trial, field)
    if field in SCALAR_FIELDS:
        setattr(trial, field, from_json(field, parsed))
    elif field == "antigens":
        trial.antigens.set([Antigen.objects.get_or_create(name=name)[0] for name in parsed])
    elif field == "diseases":
        trial.diseases.set([Disease.objects.get_or_create(name=name)[0] for name in parsed])
    elif field == "dose_levels":
        trial.dose_levels.all().delete()
        DoseLevel.objects.bulk_create(
            [
                DoseLevel(trial=trial, position=i, arm=d["arm"], low=d["low"], high=d["high"], unit=d["unit"], basis=d["basis"], raw=d["raw"])
                for i, d in enumerate(parsed)
            ]
        )
    trial.curated_fields = [f for f in trial.curated_fields if f != field]
    trial.curation_conflicts = {k: v for k, v in (trial.curation_conflicts or {}).items() if k != field}
    trial.updated_at = timezone.now()
    trial.save()
    refresh_denormalized(trial)
    TrialChange.objects.create(
        trial=trial,
        actor="curator",
        user=user,
        changes={field: [before, current_value(trial, field)]},
        reason=reason or "reverted to the registry's value",
    )
    return trial
