"""Eligibility criteria split into lists on the registry's own numbering and bullets
(catalogue/criteria.py), on real registry texts read by the real parsers."""

from __future__ import annotations

import re

import pytest

from catalogue.criteria import Criterion, criteria_sections, has_list
from ingest.parsers import parse_document
from tests.conftest import SAMPLES, corpus_path

NUMBERED_LINE = re.compile(r"^(\d{1,2})\s*[.、)）]", re.MULTILINE)


def record(path):
    result = parse_document(path.read_bytes())
    assert len(result.records) == 1, result.problems
    return result.records[0]


def sample(registry_id: str):
    for path in sorted(SAMPLES.iterdir()):
        if registry_id in path.read_text("utf-8", errors="replace")[:20000]:
            found = record(path)
            if found.registry_id == registry_id:
                return found
    raise AssertionError(f"no sample page for {registry_id}")


def numbers(items: list[Criterion]) -> list[int | None]:
    return [item.number for item in items]


def texts(items: list[Criterion]) -> list[str]:
    return [item.text for item in items]


def test_a_numbered_chictr_list_keeps_the_registrys_numbers_and_text():
    trial = record(corpus_path("chictr-real", "ChiCTR2600132949.chictr.html"))
    for text in (trial.inclusion_criteria, trial.exclusion_criteria):
        (section,) = criteria_sections(text)
        lines = text.splitlines()
        assert section.intro == ""
        assert numbers(section.items) == [int(NUMBERED_LINE.match(line).group(1)) for line in lines]
        assert texts(section.items) == [NUMBERED_LINE.sub("", line, count=1).strip() for line in lines]


def test_clinicaltrials_gov_markdown_nests_by_indentation():
    trial = record(corpus_path("ctgov-v2", "NCT02650414.ctgov-v2.json"))
    (section,) = criteria_sections(trial.inclusion_criteria)
    unindented = [int(m.group(1)) for m in NUMBERED_LINE.finditer(trial.inclusion_criteria)]
    indented = re.findall(r"^[ \t]+\d{1,2}\.", trial.inclusion_criteria, re.MULTILINE)
    # The unindented numbers are the top level, in the registry's order; indented ones nest.
    assert numbers(section.items) == unindented
    assert sum(len(item.children) for item in section.items) == len(indented)
    relapse = next(item for item in section.items if item.text.startswith("Relapsed or refractory B-cell ALL"))
    assert relapse.numbered_children and numbers(relapse.children) == [1, 2, 3, 4, 5, 6]
    assert relapse.children[-1].text.startswith("Ineligible for allogeneic SCT because of:")
    assert "i. Comorbid disease" in relapse.children[-1].text  # an unnumbered line continues its criterion
    assert numbers(section.items)[relapse.number :] == list(range(relapse.number + 1, len(section.items) + 1))


def test_markdown_escapes_are_undone_and_the_bullets_become_items():
    trial = record(corpus_path("ctgov-v2", "NCT05942599.ctgov-v2.json"))
    sections = criteria_sections(trial.inclusion_criteria)
    bullets = [line for line in trial.inclusion_criteria.splitlines() if line.startswith("* ")]
    assert sum(len(s.items) for s in sections) == len(bullets)
    assert all(item.number is None for s in sections for item in s.items)
    # A plain line after a blank line opens a new section, as the registry's sub-heading does.
    assert [s.intro for s in sections] == ["", "Medical and therapeutic criteria"]
    every = " ".join(item.text for s in sections for item in s.items)
    assert "\\<" not in every and "\\>" not in every
    assert "Age ranging between 6 months and <16 years" in every


def test_a_numbering_that_restarts_inside_a_criterion_is_a_sub_list():
    # The sample page lost the registry's indentation: "6. ...:" "1. Liver" ... "4. Cardiac" "7. ..."
    trial = sample("NCT06836505")
    (section,) = criteria_sections(trial.inclusion_criteria)
    assert numbers(section.items) == list(range(1, len(section.items) + 1))
    organs = section.items[5]
    assert organs.text.startswith("Good function of major organs")
    assert numbers(organs.children) == [1, 2, 3, 4]
    assert [c.text.split(":")[0] for c in organs.children] == [
        "Liver function",
        "Renal function",
        "Pulmonary function",
        "Cardiac function",
    ]


def test_a_lone_bullet_that_introduces_a_numbered_list_becomes_its_introduction():
    trial = sample("NCT06836505")
    (section,) = criteria_sections(trial.exclusion_criteria)
    first_line = trial.exclusion_criteria.splitlines()[0]
    assert section.intro == first_line.lstrip("* ").strip()
    assert numbers(section.items)[:3] == [1, 2, 3]
    malignancies = next(item for item in section.items if "concurrent malignancies" in item.text)
    assert numbers(malignancies.children) == [1, 2, 3]


def test_criteria_run_together_on_one_line_are_split_when_numbered_in_sequence():
    lupus = sample("ChiCTR2500105227")
    (section,) = criteria_sections(lupus.exclusion_criteria)
    written = [int(n) for n in re.findall(r"(?:^|; )(\d{1,2})\. ", lupus.exclusion_criteria)]
    assert numbers(section.items) == written == list(range(1, len(written) + 1))
    assert section.items[1].text.startswith("Estimated survival < 12 weeks")

    sarcoma = sample("ChiCTR2500108722")
    (section,) = criteria_sections(sarcoma.exclusion_criteria)
    assert section.intro == sarcoma.exclusion_criteria.split("(1)")[0].strip()
    assert numbers(section.items) == list(range(1, len(re.findall(r"\(\d{1,2}\)", sarcoma.exclusion_criteria)) + 1))


def test_a_numbered_list_inside_a_bullet_becomes_its_sub_criteria():
    trial = record(corpus_path("ctgov-v2", "NCT05480501.ctgov-v2.json"))
    (section,) = criteria_sections(trial.inclusion_criteria)
    defined = section.items[0]
    assert defined.text.startswith("Relapsed or refractory B-ALL, defined as")
    assert numbers(defined.children) == [1, 2, 3]
    assert defined.children[1].text.startswith("Any relapse after HSCT")


@pytest.mark.parametrize(
    "text",
    [
        "ANC ≥ 1.5 x 10^9/L and platelets ≥ 75 x 10^9/L",
        "Dose level 2. Patients may move to level 3 after review",
        "Age 18-70 years, ECOG 0-1",
    ],
)
def test_text_without_a_list_stays_as_written(text):
    sections = criteria_sections(text)
    assert [s.intro for s in sections] == [text]
    assert not has_list(sections)


def test_decimals_never_start_a_criterion():
    (section,) = criteria_sections("1. Creatinine < 1.5 mg/dL\n2. Bilirubin ≤ 2.0 × ULN\n2.5 mg/kg was the dose")
    assert numbers(section.items) == [1, 2]
    assert section.items[1].text == "Bilirubin ≤ 2.0 × ULN\n2.5 mg/kg was the dose"


def test_no_text_gives_no_sections():
    assert criteria_sections(None) == []
    assert criteria_sections("  \n ") == []
