"""Named products: a dictionary whose every fact has a source, and the products a trial names."""

from __future__ import annotations

import json
import re
import unicodedata

import pytest

from catalogue.choices import CellSource, Modality
from ingest.normalize import normalize
from ingest.normalize.antigens import BUILTIN_ANTIGENS, AntigenSpec, Vocabulary, classify_antigens, find_antigens
from ingest.normalize.products import (
    DATA_PATH,
    FACTS,
    ProductSpec,
    ProductVocabulary,
    builtin_products,
    find_products,
    load_products,
)
from ingest.records import Intervention, TrialRecord
from tests.ingest.classification_data import bulk_records

ANTIGEN_NAMES = {spec.name for spec in BUILTIN_ANTIGENS}
LABEL = re.compile(r"^\w+ \([\w ]+\) US prescribing information, 20\d\d$")
RECORD = re.compile(r"^NCT\d{8} record(?::| \(lead sponsor\))")


def record(**fields) -> TrialRecord:
    fields.setdefault("title", "A clinical study")
    return TrialRecord(registry="ctgov", registry_id="NCT00000000", source_format="test", **fields)


def named(**fields) -> list[str]:
    return find_products(record(**fields)).value


def entry(name: str) -> ProductSpec:
    return next(p for p in builtin_products() if p.name == name)


# --- the data ------------------------------------------------------------------------------


def test_the_dictionary_is_data_the_catalogue_owns() -> None:
    data = json.loads(DATA_PATH.read_text(encoding="utf-8"))
    assert DATA_PATH.parts[-3:] == ("catalogue", "data", "products.json")
    assert data["about"] and len(data["products"]) == len(builtin_products()) >= 150


def test_every_stated_fact_has_a_source_and_every_source_a_stated_fact() -> None:
    for spec in builtin_products():
        for fact in FACTS:
            assert bool(getattr(spec, fact)) == bool(spec.source(fact)), (spec.name, fact)
        assert {fact for fact, _ in spec.sources} <= set(FACTS), spec.name


def test_every_source_is_a_label_or_a_registry_record_of_the_corpus() -> None:
    for spec in builtin_products():
        for fact, source in spec.sources:
            assert LABEL.match(source) or RECORD.match(source), (spec.name, fact, source)


@pytest.mark.corpus
def test_every_record_cited_as_a_source_is_in_the_bulk_snapshot_and_says_what_is_quoted() -> None:
    records = bulk_records()
    for spec in builtin_products():
        for fact, source in spec.sources:
            if not source.startswith("NCT"):
                continue
            nct = source.split()[0]
            assert nct in records, (spec.name, fact, nct)
            quoted = re.match(r"^NCT\d{8} record: '(.*?)'", source)
            if quoted:
                trial = records[nct].filled()
                text = " ".join(
                    [trial.title, trial.brief_summary, trial.objectives, *[i.name for i in trial.interventions]]
                )
                said = unicodedata.normalize("NFKC", " ".join(text.split())).lower()
                quote = unicodedata.normalize("NFKC", " ".join(quoted.group(1).split())).lower()
                assert quote in said, (spec.name, fact)


def test_facts_take_the_catalogues_values() -> None:
    for spec in builtin_products():
        assert set(spec.targets) <= ANTIGEN_NAMES, spec.name
        assert spec.modality in set(Modality.values) | {""}, spec.name
        assert spec.cell_source in set(CellSource.values) | {""}, spec.name


def test_no_name_alias_or_code_belongs_to_two_products() -> None:
    seen: dict[str, str] = {}
    for spec in builtin_products():
        for name in spec.names:
            key = re.sub(r"[^a-z0-9]", "", name.lower())
            assert seen.setdefault(key, spec.name) == spec.name, (name, spec.name, seen[key])


def test_approved_products_cite_their_us_label() -> None:
    kymriah = entry("tisagenlecleucel")
    assert kymriah.targets == ("CD19",) and kymriah.cell_source == "autologous" and kymriah.modality == "car_t"
    assert kymriah.source("targets") == "Kymriah (tisagenlecleucel) US prescribing information, 2017"
    assert "Kymriah" in kymriah.aliases and "CTL019" in kymriah.codes
    assert entry("ciltacabtagene autoleucel").source("targets").startswith("Carvykti")


@pytest.mark.parametrize(
    "name",
    [
        "JY231",
        "Meta10-19",
        "CT1190B",
        "PTOC1",
        "KITE-753",
        "LMY-920",
        "BOXR1030",
        "TAA05",
        "CT0596",
        "BMS-986453",
        "pulkilumab",
        "renikeolunsai",
        "cemacabtagene ansegedleucel",
        "SC291",
    ],
)
def test_the_products_the_issue_found_missing_are_in_the_dictionary(name: str) -> None:
    assert entry(name)


def test_aliases_and_codes_of_the_missing_products_find_them() -> None:
    assert named(title="Pulidekai in B-ALL") == ["pulkilumab"]
    assert named(title="Hicara in LBCL") == ["renikeolunsai"]
    assert named(title="Consolidation with cema-cel") == ["cemacabtagene ansegedleucel"]


def test_a_target_is_asserted_only_with_a_source() -> None:
    assert entry("LCAR-AIO").targets == ("CD19", "CD20", "CD22")
    assert entry("LCAR-AIO").source("targets").startswith("NCT05318963 record: 'LCAR-AIO, a triple-targeted")
    assert entry("rapcabtagene autoleucel").targets == ()  # no label or record of the corpus states it
    assert entry("KITE-753").fact("targets") == ()


def test_a_fact_without_a_source_is_never_used() -> None:
    spec = ProductSpec("X-1", targets=("CD19",), modality="car_nk", cell_source="allogeneic")
    assert spec.fact("targets") == () and spec.fact("modality") == "" and spec.fact("cell_source") == ""
    sourced = ProductSpec("X-1", targets=("CD19",), sources={"targets": "NCT00000001 record: 'X-1, a CD19 CAR-T'"})
    assert sourced.fact("targets") == ("CD19",)


def test_a_spec_round_trips_through_a_dict_and_is_hashable() -> None:
    spec = entry("P-BCMA-ALLO1")
    assert ProductSpec.from_dict(spec.to_dict()) == spec
    assert hash(spec) == hash(ProductSpec.from_dict(spec.to_dict()))


def test_load_products_reads_a_products_file(tmp_path) -> None:
    path = tmp_path / "products.json"
    path.write_text(
        json.dumps(
            {
                "products": [
                    {
                        "name": "ZZ-9",
                        "codes": ["ZZ9"],
                        "targets": ["CD7"],
                        "sources": {"targets": "NCT00000002 record: 'ZZ-9 CD7 CAR-T'"},
                    }
                ]
            }
        )
    )
    (spec,) = load_products(path)
    assert spec.name == "ZZ-9" and spec.fact("targets") == ("CD7",)


# --- finding the products a trial names ---------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Kymriah in pediatric ALL", ["tisagenlecleucel"]),
        ("A study of CTL019 in DLBCL", ["tisagenlecleucel"]),
        ("Axi-cel versus standard of care", ["axicabtagene ciloleucel"]),
        ("KITE-753 versus axicabtagene ciloleucel", ["KITE-753", "axicabtagene ciloleucel"]),
        ("CT-041 in gastric cancer", ["satricabtagene autoleucel"]),
        ("JNJ-68284528 in myeloma", ["ciltacabtagene autoleucel"]),
        ("GC012F injection in lupus", ["GC012F"]),
    ],
)
def test_a_product_is_found_by_its_name_alias_or_code(text: str, expected: list[str]) -> None:
    assert named(title=text) == expected


def test_evidence_gives_the_field_and_phrase_a_product_was_found_in() -> None:
    result = find_products(record(title="A study", interventions=[Intervention(name="Tisagenlecleucel")]))
    assert result.evidence == [{"value": "tisagenlecleucel", "field": "interventions", "phrase": "Tisagenlecleucel"}]


@pytest.mark.parametrize(
    "summary",
    [
        "Patients relapsed after axicabtagene ciloleucel are eligible.",
        "Patients with prior tisagenlecleucel therapy will be enrolled.",
        "Disease refractory to ciltacabtagene autoleucel.",
        "Approved products such as Kymriah and Yescarta have changed care. However, relapse is common.",
        "In 2017 the U.S. FDA approved Novartis's CD19 CAR-T product Kymriah for ALL.",
    ],
)
def test_a_product_named_as_earlier_therapy_or_background_is_not_the_trials(summary: str) -> None:
    assert named(title="Allogeneic CD19 CAR-T cells", brief_summary=summary) == []


def test_a_follow_up_study_links_the_product_its_patients_received_earlier() -> None:
    assert named(title="Long-term follow-up of patients previously treated with JCAR015") == ["JCAR015"]


def test_q_kymriah_finds_tisagenlecleucel_trials_not_every_cd19_trial() -> None:
    assert named(title="CD19 CAR-T cells in ALL") == []
    assert named(title="Tisagenlecleucel reinfusion in ALL") == ["tisagenlecleucel"]


# --- products and antigens -------------------------------------------------------------------------


def test_a_sourced_product_gives_its_targets_to_the_trials_antigens_with_the_source() -> None:
    result = classify_antigens(record(title="A study", interventions=[Intervention(name="Kymriah")]))
    assert result.value == ["CD19"]
    assert result.evidence[0]["source"] == (
        "product dictionary: tisagenlecleucel (Kymriah (tisagenlecleucel) US prescribing information, 2017)"
    )


def test_an_antigen_vocabulary_without_products_does_not_know_product_names() -> None:
    bare = Vocabulary.from_specs(BUILTIN_ANTIGENS)
    assert find_antigens(record(title="Kymriah in ALL"), vocabulary=bare) == []
    custom = Vocabulary.from_specs([AntigenSpec("CD19", ())], products=[entry("tisagenlecleucel"), entry("KITE-753")])
    assert find_antigens(record(title="Kymriah in ALL"), vocabulary=custom) == ["CD19"]
    assert find_antigens(record(title="KITE-753 in ALL"), vocabulary=custom) == []


def test_a_custom_product_vocabulary_is_used_by_normalize() -> None:
    vocab = ProductVocabulary.from_specs(
        [
            ProductSpec(
                "QQ-7",
                codes=("QQ7",),
                modality="car_nk",
                cell_source="allogeneic",
                sources={
                    "modality": "NCT00000003 record: 'QQ7 CAR-NK'",
                    "cell_source": "NCT00000003 record: 'allogeneic QQ7'",
                },
            )
        ]
    )
    trial = normalize(record(title="QQ7 in AML"), product_vocabulary=vocab)
    assert trial.products == ["QQ-7"] and trial.modalities == ["car_nk"] and trial.cell_source == "allogeneic"
