"""Synthetic benchmark data: `seed_synthetic` writes trials exactly as the importer would."""

from __future__ import annotations

import io
import json
import re
from collections import Counter

import pytest
from django.core.management import call_command
from django.db import connection

from bench import synthetic
from catalogue.models import DoseLevel, Site, Trial
from catalogue.registries import BY_KEY
from catalogue.selectors import facet_counts, trial_list
from catalogue.trials import refresh_denormalized

pytestmark = pytest.mark.django_db

DENORMALIZED = ("antigen_names", "disease_names", "disease_categories", "search_document")
SYNTHETIC = {"source_format": "synthetic"}


def index_of(registry_id: str) -> int:
    return int(re.fullmatch(synthetic.ID_PATTERN, registry_id).group(1))


def seed(trials: int, **options) -> str:
    out = io.StringIO()
    call_command("seed_synthetic", trials=trials, stdout=out, **options)
    return out.getvalue()


def stored_vector(trial: Trial) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT search_vector::text FROM catalogue_trial WHERE id = %s", [trial.pk])
        return cursor.fetchone()[0]


def comparable(trial: Trial) -> dict:
    """A trial's stored values, without what differs between two runs (ids, creation times, row versions)."""
    values = {f.attname: getattr(trial, f.attname) for f in Trial._meta.concrete_fields}
    for name in ("id", "created_at", "ingested_at", "row_version"):
        values.pop(name)
    values["antigens"] = sorted(trial.antigens.values_list("name", flat=True))
    values["diseases"] = sorted(trial.diseases.values_list("name", flat=True))
    values["dose_levels"] = list(trial.dose_levels.values("position", "arm", "low", "high", "unit", "basis", "raw"))
    values["sites"] = list(
        trial.sites.values("position", "institution", "city", "country", "status", "latitude", "longitude")
    )
    return values


def test_seed_synthetic_creates_ordinary_ctgov_and_chictr_trials_in_ids_no_registry_has_handed_out():
    output = seed(40, seed=3)

    trials = list(Trial.objects.filter(**SYNTHETIC))
    assert len(trials) == 40
    assert sorted(index_of(t.registry_id) for t in trials) == list(range(1, 41))
    assert {t.registry for t in trials} == {"ctgov", "chictr"}
    for t in trials:
        assert BY_KEY[t.registry].matches(t.registry_id)
        assert t.registry_id.startswith("NCT8" if t.registry == "ctgov" else "ChiCTR98")
        assert bool(t.title_zh) == (t.registry == "chictr")
        assert t.updated_at is not None and t.parsed and t.raw
        assert t.registry_updated == t.updated_at.date()
        assert not t.sources.exists()
    assert "created 40 synthetic trials" in output


def test_denormalized_columns_are_what_the_importer_computes_for_the_same_values():
    seed(40, seed=5)

    for trial in Trial.objects.filter(**SYNTHETIC).prefetch_related("antigens", "diseases"):
        antigens = list(trial.antigens.all())
        diseases = list(trial.diseases.all())
        assert trial.antigen_names == sorted(a.name for a in antigens)
        assert trial.disease_names == sorted(d.name for d in diseases)
        assert trial.disease_categories == sorted({d.category for d in diseases})
        before = {name: getattr(trial, name) for name in DENORMALIZED}
        vector_before = stored_vector(trial)

        refresh_denormalized(trial)  # the importer's own recomputation, written to the row
        trial.refresh_from_db()

        assert {name: getattr(trial, name) for name in DENORMALIZED} == before
        assert stored_vector(trial) == vector_before


def test_large_values_are_compressed_with_the_columns_own_method_as_the_importers_are():
    seed(40, seed=5)
    methods = {"l": "lz4", "p": "pglz"}
    with connection.cursor() as cursor:
        cursor.execute("SHOW default_toast_compression")
        (default,) = cursor.fetchone()
        for column in ("search_document", "parsed"):
            cursor.execute(
                "SELECT attcompression FROM pg_attribute WHERE attrelid = 'catalogue_trial'::regclass AND attname = %s",
                [column],
            )
            (configured,) = cursor.fetchone()
            cursor.execute(
                f"SELECT DISTINCT pg_column_compression({column}) FROM catalogue_trial"
                f" WHERE source_format = 'synthetic' AND pg_column_compression({column}) IS NOT NULL"
            )
            used = {row[0] for row in cursor.fetchall()}
            assert used, f"no compressed {column} among 40 trials"
            assert used == {methods.get(configured, default)}, column


def test_dose_range_columns_match_the_per_kg_dose_levels_and_parsed_matches_the_columns():
    seed(60, seed=7)

    dosed = 0
    for trial in Trial.objects.filter(**SYNTHETIC).prefetch_related("dose_levels", "sites"):
        per_kg = [d for d in trial.dose_levels.all() if d.basis == "per_kg"]
        if per_kg:
            dosed += 1
            assert trial.dose_min_cells_per_kg == min(d.low for d in per_kg)
            assert trial.dose_max_cells_per_kg == max(d.high for d in per_kg)
            assert all(1e4 <= d.low <= d.high <= 1e9 for d in per_kg)
        else:
            assert trial.dose_min_cells_per_kg is None and trial.dose_max_cells_per_kg is None
        assert trial.parsed["title"] == trial.title
        assert trial.parsed["antigens"] == trial.antigen_names
        assert len(trial.parsed["dose_levels"]) == trial.dose_levels.count()
        assert {s.country for s in trial.sites.all()} <= set(trial.countries)
    assert dosed > 0


def test_search_and_facets_find_and_count_the_synthetic_trials():
    seed(80, seed=11)
    synthetic_trials = Trial.objects.filter(**SYNTHETIC)

    counts = {v.value: v.count for v in facet_counts({})["registry"]}
    assert counts["ctgov"] == synthetic_trials.filter(registry="ctgov").count() > 0
    assert counts["chictr"] == synthetic_trials.filter(registry="chictr").count() > 0
    assert counts["ctgov"] + counts["chictr"] == 80
    antigen_counts = {v.value: v.count for v in facet_counts({})["antigen"]}
    assert antigen_counts["CD19"] == synthetic_trials.filter(antigen_names__contains=["CD19"]).count()

    english = synthetic_trials.exclude(disease_names=[]).first()
    word = english.disease_names[0].split()[0]
    assert english in trial_list(filters={"q": word})

    chinese = synthetic_trials.exclude(title_zh="").first()
    assert chinese is not None, "a ChiCTR-like trial in 80 (a fifth are)"
    assert chinese in trial_list(filters={"q": chinese.title_zh[-6:]})

    zh_lymphoma = synthetic_trials.filter(title_zh__contains="淋巴瘤")
    found = set(trial_list(filters={"q": "淋巴瘤", "registry": ["chictr"]}).values_list("pk", flat=True))
    assert set(zh_lymphoma.values_list("pk", flat=True)) <= found


def test_the_same_seed_gives_the_same_trials_and_another_seed_different_ones():
    assert synthetic.generate_trial(17, seed=1) == synthetic.generate_trial(17, seed=1)
    assert synthetic.generate_trial(17, seed=1) != synthetic.generate_trial(17, seed=2)

    seed(25, seed=9)
    first = [comparable(t) for t in Trial.objects.filter(**SYNTHETIC).order_by("registry_id")]
    seed(25, seed=9, clear=True)
    second = [comparable(t) for t in Trial.objects.filter(**SYNTHETIC).order_by("registry_id")]

    assert first == second


def test_without_clear_new_trials_continue_after_the_highest_synthetic_number():
    seed(5, seed=1)
    seed(5, seed=1)

    ids = Trial.objects.filter(**SYNTHETIC).values_list("registry_id", flat=True)
    assert sorted(index_of(i) for i in ids) == list(range(1, 11))


def test_clear_deletes_only_synthetic_trials_and_what_hangs_off_them(seed_trials):
    real = {t.registry_id: comparable(t) for t in Trial.objects.exclude(**SYNTHETIC)}
    real_levels, real_sites = DoseLevel.objects.count(), Site.objects.count()
    seed(30, seed=4)
    assert DoseLevel.objects.count() >= real_levels and Site.objects.count() > real_sites

    out = io.StringIO()
    call_command("seed_synthetic", clear=True, stdout=out)

    assert "deleted 30 synthetic trials" in out.getvalue()
    assert not Trial.objects.filter(**SYNTHETIC).exists()
    assert {t.registry_id: comparable(t) for t in Trial.objects.exclude(**SYNTHETIC)} == real
    assert (DoseLevel.objects.count(), Site.objects.count()) == (real_levels, real_sites)
    through = Trial.antigens.through.objects.filter(trial__source_format="synthetic")
    assert not through.exists()


def test_rebuilding_the_indexes_for_a_load_leaves_every_index_as_it_was():
    def indexes() -> set[tuple[str, str]]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'catalogue_trial'")
            return set(cursor.fetchall())

    before = indexes()
    result = synthetic.seed_synthetic(20, seed=2, index_mode="rebuild")

    assert result.rebuilt_indexes and result.created == 20
    assert indexes() == before


def test_generated_distributions_follow_the_measured_real_ones():
    trials = [synthetic.generate_trial(i, seed=0) for i in range(1, 4001)]
    n = len(trials)

    # Neither age limit stated: 2.1% of the real bulk (54 of 2,587), and as many here.
    unstated = sum(t.min_age_years is None and t.max_age_years is None for t in trials) / n
    assert synthetic.unstated_age_share() == pytest.approx(0.022, abs=0.003)
    assert unstated == pytest.approx(synthetic.unstated_age_share(), abs=0.008)
    # CD19 then BCMA dominate; 18% of the real trials name several targets.
    antigens = Counter(a for t in trials for a in t.antigens)
    assert [a for a, _ in antigens.most_common(2)] == ["CD19", "BCMA"]
    assert sum(len(t.antigens) > 1 for t in trials) / n == pytest.approx(471 / 2587, abs=0.03)
    # China and the United States dominate; a fifth are ChiCTR-like with a Chinese title.
    countries = Counter(c for t in trials for c in t.countries)
    assert [c for c, _ in countries.most_common(2)] == ["China", "United States"]
    assert sum(t.chictr_like for t in trials) / n == pytest.approx(synthetic.CHICTR_SHARE, abs=0.03)
    assert all(t.title_zh for t in trials if t.chictr_like)
    # Phase 1 is the most common phase, recruiting the most common status.
    assert Counter(t.phase for t in trials).most_common(1)[0][0] == "phase1"
    assert Counter(t.status for t in trials).most_common(1)[0][0] == "recruiting"
    # About 37% state a per-kg dose, within the typical CAR-T range.
    doses = [t.dose_min_cells_per_kg for t in trials if t.dose_min_cells_per_kg is not None]
    assert len(doses) / n == pytest.approx(synthetic.PER_KG_DOSE_SHARE, abs=0.03)
    assert min(doses) >= 1e5 and max(t.dose_max_cells_per_kg for t in trials if t.dose_max_cells_per_kg) <= 1e8
    # Titles as long as real ones: median within 15 characters of the real 92.
    lengths = sorted(len(t.title) for t in trials)
    assert abs(lengths[n // 2] - 92) <= 15


def test_calibrate_prints_the_distributions_of_the_real_trials_in_the_database(seed_trials):
    out = io.StringIO()
    call_command("seed_synthetic", calibrate=True, stdout=out)

    measured = json.loads(out.getvalue())
    assert measured["CALIBRATION_TRIALS"] == len(seed_trials)
    for name in ("ANTIGEN_SETS", "CATEGORY_SETS_BY_KEY", "PHASES", "STATUSES", "AGE_PAIRS", "SINGLE_COUNTRIES",
                 "START_YEARS", "TITLE_LENGTH_QUANTILES"):  # fmt: skip
        assert name in measured
    # The output is the "measured" section of calibration.json: the generator reads every key of it.
    assert set(measured) == set(synthetic.CALIBRATION["measured"])


def test_calibration_json_is_kept_in_the_form_calibrate_prints():
    text = synthetic.CALIBRATION_FILE.read_text(encoding="utf-8")

    assert synthetic.format_json(json.loads(text)) + "\n" == text


def test_synthetic_sites_are_real_cities_with_their_coordinates_and_near_finds_them():
    import math

    from catalogue import places

    def haversine_km(a, b):
        p1, p2, dp, dl = map(math.radians, (a[0], b[0], b[0] - a[0], b[1] - a[1]))
        h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
        return 2 * 6371.0 * math.asin(math.sqrt(h))

    seed(300, seed=5)
    sites = list(Site.objects.filter(trial__source_format="synthetic").select_related("trial"))
    placed = [s for s in sites if s.latitude is not None]
    assert len(placed) >= 0.95 * len(sites)
    for site in placed[:200]:
        found = places.lookup(f"{site.city}, {site.country}")
        candidates = [found.place] if found.place else list(found.candidates)
        assert any(haversine_km((c.latitude, c.longitude), (site.latitude, site.longitude)) < 1 for c in candidates)
        assert site.geo_source == ("gazetteer" if site.trial.registry == "chictr" else "registry")
        assert site.status is None or site.trial.registry == "ctgov"
    busiest = Counter(s.city for s in placed if s.country == "China").most_common(1)[0][0]
    centre = places.lookup(f"{busiest}, China")
    listed = set(trial_list(filters={"near": f"{busiest}, China", "within_km": "50"}).values_list("id", flat=True))
    expected = {
        s.trial_id
        for s in placed
        if haversine_km((centre.latitude, centre.longitude), (s.latitude, s.longitude)) < 49.5
    }
    assert expected and expected <= listed
