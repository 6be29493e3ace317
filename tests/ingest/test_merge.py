"""Field-level merge of the copies of one trial (ingest.merge): pure, no database."""

from __future__ import annotations

import itertools

from ingest.merge import Source, dominated, merge, rank
from ingest.records import Arm, Intervention, SiteRecord, TrialRecord


def record(**fields) -> TrialRecord:
    values = {
        "registry": "ctgov",
        "registry_id": "NCT01234567",
        "source_format": "ctgov_v2_json",
        "title": "A CAR-T trial",
    }
    values.update(fields)
    return TrialRecord(**values)


def test_a_newer_copy_wins_every_field_it_carries() -> None:
    old = Source(record(status="RECRUITING", last_update_date="2021-01-01", sex="ALL"), "a")
    new = Source(record(status="COMPLETED", last_update_date="2024-06-21", sex="FEMALE"), "b")
    merged = merge([old, new]).record
    assert (merged.status, merged.sex, merged.last_update_date) == ("COMPLETED", "FEMALE", "2024-06-21")


def test_a_newer_copy_that_leaves_a_section_out_never_erases_it() -> None:
    full = Source(
        record(
            last_update_date="2021-01-01",
            inclusion_criteria="Age 18+",
            sex="ALL",
            sites=[SiteRecord(institution="MD Anderson")],
        ),
        "a",
    )
    sparse = Source(record(last_update_date="2024-06-21", status="COMPLETED"), "b")
    merged = merge([sparse, full])
    assert merged.record.inclusion_criteria == "Age 18+"
    assert merged.record.sites == [SiteRecord(institution="MD Anderson")]
    assert merged.record.status == "COMPLETED"
    assert merged.supplied_by["inclusion_criteria"] is full
    assert merged.supplied_by["status"] is sparse


def test_an_empty_value_a_newer_copy_states_does_replace_an_older_one() -> None:
    old = Source(record(last_update_date="2021-01-01", conditions=["Lymphoma"]), "a")
    new = Source(record(last_update_date="2024-01-01", conditions=[]), "b")
    assert merge([old, new]).record.conditions == []


def test_an_undated_copy_never_overrides_a_field_a_dated_copy_set() -> None:
    dated = Source(record(last_update_date="2019-01-01", status="RECRUITING"), "a")
    undated = Source(record(status="COMPLETED", sex="ALL"), "z")
    merged = merge([undated, dated]).record
    assert merged.status == "RECRUITING"
    assert merged.sex == "ALL"  # only the undated copy carries it


def test_the_registrys_own_record_outranks_a_third_party_copy_whatever_its_date() -> None:
    own = Source(record(last_update_date="2020-01-01", status="RECRUITING"), "a")
    ictrp = Source(record(last_update_date="2024-01-01", status="Not recruiting", third_party=True,
                          source_format="ictrp_xml", funding="Ministry"), "b")  # fmt: skip
    merged = merge([ictrp, own]).record
    assert merged.status == "RECRUITING"
    assert merged.funding == "Ministry"


def test_on_the_same_date_the_richer_format_wins_then_the_fuller_copy_then_the_hash() -> None:
    page = Source(record(source_format="ctgov_modern_html", last_update_date="2024-01-01", status="Recruiting"), "f")
    api = Source(record(last_update_date="2024-01-01", status="RECRUITING"), "a")
    assert merge([page, api]).record.status == "RECRUITING"
    fuller = Source(record(last_update_date="2024-01-01", status="A", sex="ALL"), "a")
    thinner = Source(record(last_update_date="2024-01-01", status="B"), "z")
    assert merge([thinner, fuller]).record.status == "A"
    first = Source(record(last_update_date="2024-01-01", status="A"), "a")
    second = Source(record(last_update_date="2024-01-01", status="B"), "b")
    assert merge([first, second]).record.status == "B"


def test_fields_that_belong_together_come_from_one_copy() -> None:
    old = Source(
        record(
            last_update_date="2021-01-01",
            enrollment="100",
            enrollment_type="ESTIMATED",
            min_age="18 Years",
            max_age="75 Years",
        ),
        "a",
    )
    new = Source(record(last_update_date="2024-01-01", enrollment="12", min_age="1 Year"), "b")
    merged = merge([old, new]).record
    assert (merged.enrollment, merged.enrollment_type) == ("12", None)
    assert (merged.min_age, merged.max_age) == ("1 Year", None)


def test_an_items_missing_details_are_filled_from_the_same_item_in_another_copy() -> None:
    old = Source(record(last_update_date="2021-01-01", interventions=[
        Intervention(name="CD19 CAR-T", type="BIOLOGICAL", description="1x10^6 CAR-T cells/kg"),
        Intervention(name="Dropped later", description="gone"),
    ]), "a")  # fmt: skip
    new = Source(record(last_update_date="2024-01-01", interventions=[Intervention(name="CD19 CAR-T")]), "b")
    merged = merge([old, new]).record
    assert merged.interventions == [
        Intervention(name="CD19 CAR-T", type="BIOLOGICAL", description="1x10^6 CAR-T cells/kg")
    ]


def test_the_result_never_depends_on_the_order_of_the_copies() -> None:
    copies = [
        Source(
            record(
                last_update_date="2021-01-01", status="RECRUITING", sex="ALL", arms=[Arm(label="A", description="x")]
            ),
            "a",
        ),
        Source(record(last_update_date="2024-06-21", status="COMPLETED", arms=[Arm(label="A")]), "b"),
        Source(record(status="UNKNOWN", inclusion_criteria="adults", third_party=True, source_format="ictrp_xml"), "c"),
        Source(
            record(
                source_format="ctgov_modern_html", last_update_date="2024-06-21", status="Completed", phase="Phase 1"
            ),
            "d",
        ),
    ]
    results = {repr(merge(list(order)).record) for order in itertools.permutations(copies)}
    assert len(results) == 1


def test_a_copy_covered_by_a_better_ranked_one_is_dominated() -> None:
    old = Source(record(last_update_date="2021-01-01", status="RECRUITING", sex="ALL"), "a")
    new = Source(record(last_update_date="2024-01-01", status="COMPLETED", sex="ALL", phase="PHASE1"), "b")
    sparse_newer = Source(record(last_update_date="2025-01-01", status="COMPLETED"), "c")
    assert dominated([old, new]) == {0}
    assert dominated([old, sparse_newer]) == set()
    assert [s.sha256 for s in rank([old, sparse_newer, new])] == ["c", "b", "a"]
