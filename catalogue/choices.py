"""The catalogue's enumerations: one place for every choice a trial field can take.

Normalizers (ingest) map registry strings onto these values; models, filters,
facets, exports and the API read them from here. A field whose registry states
nothing is None ("not stated"), never one of these values by default.
"""

from __future__ import annotations

from django.db import models


class Status(models.TextChoices):
    NOT_YET_RECRUITING = "not_yet_recruiting", "Not yet recruiting"
    RECRUITING = "recruiting", "Recruiting"
    ENROLLING_BY_INVITATION = "enrolling_by_invitation", "Enrolling by invitation"
    ACTIVE_NOT_RECRUITING = "active_not_recruiting", "Active, not recruiting"
    SUSPENDED = "suspended", "Suspended"
    TERMINATED = "terminated", "Terminated"
    COMPLETED = "completed", "Completed"
    WITHDRAWN = "withdrawn", "Withdrawn"
    UNKNOWN = "unknown", "Unknown"  # the registry's own "Unknown status", or a status we cannot read


# A site's own recruitment status, in the trial status's words (ClinicalTrials.gov
# gives one per location); None when the registry states none for the site.
SiteStatus = Status


class Phase(models.TextChoices):
    EARLY_PHASE1 = "early_phase1", "Early phase 1"
    PHASE1 = "phase1", "Phase 1"
    PHASE1_PHASE2 = "phase1_phase2", "Phase 1/2"
    PHASE2 = "phase2", "Phase 2"
    PHASE2_PHASE3 = "phase2_phase3", "Phase 2/3"
    PHASE3 = "phase3", "Phase 3"
    PHASE4 = "phase4", "Phase 4"
    NOT_APPLICABLE = "not_applicable", "Not applicable"  # only the registry's own N/A


class Sex(models.TextChoices):
    ALL = "all", "All"
    FEMALE = "female", "Female"
    MALE = "male", "Male"


class CellSource(models.TextChoices):
    AUTOLOGOUS = "autologous", "Autologous"
    ALLOGENEIC = "allogeneic", "Allogeneic"
    IN_VIVO = "in_vivo", "In vivo (made in the patient)"
    UNKNOWN = "unknown", "Unknown"


class Modality(models.TextChoices):
    """The kind of engineered cell product a trial studies (a trial may carry several)."""

    CAR_T = "car_t", "CAR-T"
    CAR_NK = "car_nk", "CAR-NK"
    CAR_NKT = "car_nkt", "CAR-NKT"
    CAR_GD_T = "car_gd_t", "Gamma-delta (γδ) CAR-T"
    CAR_TREG = "car_treg", "CAR-Treg"
    CAAR_T = "caar_t", "CAAR-T"
    CAR_M = "car_m", "CAR-macrophage / monocyte"
    IN_VIVO_CAR = "in_vivo_car", "In vivo CAR"
    TCR_T = "tcr_t", "TCR-T"


class TrialType(models.TextChoices):
    TREATMENT = "treatment", "Treatment"
    LONG_TERM_FOLLOW_UP = "long_term_follow_up", "Long-term follow-up"
    OBSERVATIONAL = "observational", "Observational"
    SUPPORTIVE_CARE = "supportive_care", "Supportive care"
    OTHER = "other", "Other"


class DiseaseCategory(models.TextChoices):
    HEMATOLOGIC_MALIGNANCY = "hematologic_malignancy", "Hematologic malignancy"
    SOLID_TUMOR = "solid_tumor", "Solid tumor"
    AUTOIMMUNE = "autoimmune", "Autoimmune disease"
    OTHER = "other", "Other"


class SponsorType(models.TextChoices):
    """Who runs a trial, from the lead sponsor's registry class or its name."""

    INDUSTRY = "industry", "Industry"
    ACADEMIC = "academic", "Academic or non-profit"
    GOVERNMENT = "government", "Government"
    OTHER = "other", "Other"


# Enrollment sizes as the landscape charts them: (lowest, highest or None, label).
ENROLLMENT_BUCKETS: tuple[tuple[int, int | None, str], ...] = (
    (0, 10, "Up to 10"),
    (11, 20, "11–20"),
    (21, 50, "21–50"),
    (51, 100, "51–100"),
    (101, 250, "101–250"),
    (251, 500, "251–500"),
    (501, None, "More than 500"),
)


def enrollment_bucket_sql(ref: str) -> str:
    """SQL giving the enrollment bucket ('0', '1', ...) of column reference `ref`; NULL when none is stated."""
    whens = []
    for i, (low, high, _) in enumerate(ENROLLMENT_BUCKETS):
        if high is None:
            whens.append(f"WHEN {ref} >= {int(low)} THEN '{i}'")
        else:
            whens.append(f"WHEN {ref} <= {int(high)} THEN '{i}'")
    return f"CASE WHEN {ref} IS NULL THEN NULL {' '.join(whens)} END"


class DiseaseKind(models.TextChoices):
    """A node's place in the disease tree (`catalogue.models.Disease`)."""

    CATEGORY = "category", "Category"  # a root: one per DiseaseCategory
    GROUP = "group", "Disease group"  # a family of diseases; the normalizer never assigns it
    DISEASE = "disease", "Disease"  # what the normalizer assigns to a trial


class StudyType(models.TextChoices):
    INTERVENTIONAL = "interventional", "Interventional"
    OBSERVATIONAL = "observational", "Observational"
    EXPANDED_ACCESS = "expanded_access", "Expanded access"
    OTHER = "other", "Other"


class DoseBasis(models.TextChoices):
    PER_KG = "per_kg", "per kg"
    PER_M2 = "per_m2", "per m²"
    FLAT = "flat", "flat"


# A filter and facet value for trials whose registry states no phase / status.
NOT_STATED = "not_stated"
NOT_STATED_LABEL = "Not stated"


class PairStatus(models.TextChoices):
    SUGGESTED = "suggested", "suggested duplicate"
    LINKED = "linked", "linked"
    REJECTED = "rejected", "not the same study"


class PairReason(models.TextChoices):
    SECONDARY_ID = "secondary_id", "secondary id names the other"
    TITLE = "title", "similar titles"
    MANUAL = "manual", "by a curator"
    ALIAS = "alias", "the registry redirects one id to the other"


class ChangeActor(models.TextChoices):
    INGEST = "ingest", "ingest"
    CURATOR = "curator", "curator"
    RENORMALIZE = "renormalize", "renormalize"
    REBUILD = "rebuild", "rebuild"
    SYSTEM = "system", "system"


class JobKind(models.TextChoices):
    RENORMALIZE = "renormalize", "Re-apply vocabularies (renormalize)"
    REBUILD = "rebuild", "Rebuild from source documents"


class JobStatus(models.TextChoices):
    QUEUED = "queued", "queued"
    RUNNING = "running", "running"
    OK = "ok", "finished"
    FAILED = "failed", "failed"


class HarvestSource(models.TextChoices):
    CTGOV = "ctgov", "ClinicalTrials.gov API"
    ICTRP = "ictrp", "WHO ICTRP exports"


class HarvestMode(models.TextChoices):
    FULL = "full", "full"
    INCREMENTAL = "incremental", "incremental"
    RECONCILE = "reconcile", "weekly reconcile"
    FILES = "files", "files"


class HarvestStatus(models.TextChoices):
    RUNNING = "running", "running"
    OK = "ok", "ok"
    FAILED = "failed", "failed"
    UP_TO_DATE = "up_to_date", "up to date"
