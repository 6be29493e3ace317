"""The curators' admin: staff only, raw values beside normalized ones, edits that survive re-ingest."""

from __future__ import annotations

from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth.models import User
from django.test import Client

from catalogue.models import Trial, TrialChange
from ingest.pipeline import ingest_paths
from tests.conftest import SAMPLES

pytestmark = pytest.mark.django_db

SEED_003 = SAMPLES / "003_8a70a621ca2e797d.txt"


@pytest.fixture
def staff_client() -> Client:
    user = User.objects.create_superuser("curator", "curator@example.org", "a-long-test-password")
    client = Client()
    client.force_login(user)
    return client


def form_data(html: str) -> dict[str, list[str]]:
    """Every field of the admin change form, as the browser would submit it."""
    form = BeautifulSoup(html, "lxml").find("form", id="trial_form")
    data: dict[str, list[str]] = {}
    for field in form.find_all(["input", "select", "textarea"]):
        name = field.get("name")
        if not name or field.get("type") in ("submit", "button", "file"):
            continue
        if field.name == "select":
            values = [o.get("value", "") for o in field.find_all("option") if o.has_attr("selected")]
            data.setdefault(name, []).extend(values)
        elif field.name == "textarea":
            data.setdefault(name, []).append(field.text.lstrip("\n"))
        elif field.get("type") == "checkbox":
            if field.has_attr("checked"):
                data.setdefault(name, []).append(field.get("value", "on"))
        else:
            data.setdefault(name, []).append(field.get("value", ""))
    return data


def test_anonymous_visitors_are_sent_to_the_login_page(seed_trials) -> None:
    response = Client().get("/admin/catalogue/trial/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_a_signed_in_non_staff_user_cannot_use_the_admin(seed_trials) -> None:
    user = User.objects.create_user("reader", password="a-long-test-password")
    client = Client()
    client.force_login(user)
    response = client.get("/admin/catalogue/trial/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_the_trial_list_searches_ids_titles_and_sponsor_and_filters_by_antigen(staff_client, seed_trials) -> None:
    response = staff_client.get("/admin/catalogue/trial/", {"q": "Changzheng"})
    assert response.status_code == 200
    assert b"ChiCTR2500108722" in response.content and b"NCT06101082" not in response.content
    response = staff_client.get("/admin/catalogue/trial/", {"antigen": "GD2"})
    assert b"NCT06836505" in response.content and b"NCT06101082" not in response.content
    response = staff_client.get("/admin/catalogue/trial/", {"disease_category": "autoimmune"})
    assert b"ChiCTR2500105227" in response.content and b"NCT06836505" not in response.content


def test_the_change_form_shows_the_registry_raw_value_beside_the_normalized_one(staff_client, seed_trials) -> None:
    trial = seed_trials["ChiCTR2500108722"]
    response = staff_client.get(f"/admin/catalogue/trial/{trial.pk}/change/")
    assert response.status_code == 200
    assert "New Treatment Measure Clinical Study" in response.content.decode()


def test_a_curated_age_survives_reingest_of_a_changed_page(staff_client, seed_trials, tmp_path: Path) -> None:
    trial = Trial.objects.get(registry_id="NCT06836505")
    url = f"/admin/catalogue/trial/{trial.pk}/change/"
    data = form_data(staff_client.get(url).content.decode())
    data["min_age_years"] = ["2"]
    data["_reason"] = ["protocol amendment v3 raises the minimum age"]
    response = staff_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]

    trial.refresh_from_db()
    assert trial.min_age_years == 2
    assert trial.curated_fields == ["min_age_years"]
    change = TrialChange.objects.filter(trial=trial, actor="curator").get()
    assert change.user.username == "curator"
    assert change.changes == {"min_age_years": [1.0, 2.0]}
    assert change.reason == "protocol amendment v3 raises the minimum age"

    changed = tmp_path / "003_changed.txt"
    changed.write_text(SEED_003.read_text().replace("10 participants", "30 participants"))
    report = ingest_paths([str(changed)])
    assert report.updated == 1 and report.failed == 0
    trial.refresh_from_db()
    assert trial.min_age_years == 2
    assert trial.enrollment == 30
    assert trial.curated_fields == ["min_age_years"]
    assert trial.curation_conflicts == {}


def test_a_registry_change_under_a_curated_field_is_flagged_with_both_values(
    staff_client, seed_trials, tmp_path: Path
) -> None:
    trial = Trial.objects.get(registry_id="NCT06836505")
    url = f"/admin/catalogue/trial/{trial.pk}/change/"
    data = form_data(staff_client.get(url).content.decode())
    data["max_age_years"] = ["40"]
    assert staff_client.post(url, data).status_code == 302

    text = SEED_003.read_text()
    assert "50 Years" in text
    changed = tmp_path / "003_changed.txt"
    changed.write_text(text.replace("50 Years", "60 Years"))
    ingest_paths([str(changed)])
    trial.refresh_from_db()
    assert trial.max_age_years == 40
    conflict = trial.curation_conflicts["max_age_years"]
    assert (conflict["curated"], conflict["registry_before"], conflict["registry_now"]) == (40.0, 50.0, 60.0)
    page = staff_client.get(url).content.decode()
    assert "registry changed under a curated field" in page.lower()


def test_the_curators_group_can_change_trials_and_vocabularies_but_not_users(seed_trials) -> None:
    from django.contrib.auth.models import Group

    user = User.objects.create_user("cura", password="a-long-test-password", is_staff=True)
    user.groups.add(Group.objects.get(name="curators"))
    client = Client()
    client.force_login(user)
    trial = seed_trials["NCT06836505"]
    assert client.get(f"/admin/catalogue/trial/{trial.pk}/change/").status_code == 200
    assert client.get("/admin/catalogue/antigen/add/").status_code == 200
    assert client.get("/admin/catalogue/disease/add/").status_code == 200
    assert client.get("/admin/auth/user/").status_code == 403
    assert client.get("/admin/auth/user/add/").status_code == 403
    assert not user.has_perm("auth.change_user")
    assert not user.has_perm("catalogue.delete_trial")


def test_a_curator_reverts_a_field_to_the_parsed_value_after_confirming(staff_client, seed_trials) -> None:
    trial = Trial.objects.get(registry_id="NCT06836505")
    url = f"/admin/catalogue/trial/{trial.pk}/change/"
    data = form_data(staff_client.get(url).content.decode())
    data["min_age_years"] = ["2"]
    assert staff_client.post(url, data).status_code == 302
    assert "../revert/min_age_years/" in staff_client.get(url).content.decode()

    revert_url = f"/admin/catalogue/trial/{trial.pk}/revert/min_age_years/"
    confirm = staff_client.get(revert_url)
    assert confirm.status_code == 200 and b"Revert" in confirm.content
    trial.refresh_from_db()
    assert trial.min_age_years == 2  # a GET changes nothing

    response = staff_client.post(revert_url, {"reason": "registry is right after all"})
    assert response.status_code == 302
    trial.refresh_from_db()
    assert trial.min_age_years == 1
    assert trial.curated_fields == []
    last = TrialChange.objects.filter(trial=trial, actor="curator").first()
    assert last.changes == {"min_age_years": [2.0, 1.0]} and last.reason == "registry is right after all"


def test_curated_antigens_revert_to_the_parsed_targets(staff_client, seed_trials) -> None:
    from catalogue.curation import revert_field
    from catalogue.models import Antigen

    trial = Trial.objects.get(registry_id="NCT06836505")
    url = f"/admin/catalogue/trial/{trial.pk}/change/"
    data = form_data(staff_client.get(url).content.decode())
    data["antigens"] = [str(Antigen.objects.get(name="CD19").pk)]
    assert staff_client.post(url, data).status_code == 302
    trial.refresh_from_db()
    assert trial.antigen_names == ["CD19"] and trial.curated_fields == ["antigens"]
    revert_field(trial, "antigens")
    trial.refresh_from_db()
    assert sorted(trial.antigen_names) == ["B7-H3", "GD2"]


@pytest.mark.django_db(transaction=True)
def test_renormalize_runs_in_the_background_after_confirmation_never_in_the_request(staff_client, seed_trials) -> None:
    import time

    from catalogue.models import Disease, Job

    Disease.objects.create(
        name="Bone and soft tissue sarcoma", category="solid_tumor", synonyms=["bone and soft tissue sarcomas"]
    )
    data = {"action": "renormalize_all", "_selected_action": [Disease.objects.first().pk]}
    page = staff_client.post("/admin/catalogue/disease/", data)
    assert page.status_code == 200 and b"Yes, I" in page.content
    done = staff_client.post("/admin/catalogue/disease/", {**data, "confirmed": "yes"}, follow=True)
    assert b"started in the background" in done.content
    # The request returned before the work: a second start is refused while it runs.
    job = Job.objects.get(kind="renormalize")
    deadline = time.monotonic() + 90
    while Job.objects.get(pk=job.pk).status in ("queued", "running") and time.monotonic() < deadline:
        time.sleep(0.5)
    job.refresh_from_db()
    assert job.status == "ok", job.message
    assert "updated 1" in job.message
    assert "Bone and soft tissue sarcoma" in Trial.objects.get(registry_id="ChiCTR2500108722").disease_names
    listing = staff_client.get("/admin/catalogue/job/")
    assert listing.status_code == 200 and b"finished" in listing.content


def test_a_second_renormalize_is_refused_while_one_is_queued(staff_client, seed_trials) -> None:
    from catalogue import jobs
    from catalogue.models import Disease, Job

    Job.objects.create(kind="renormalize", status="running")
    data = {"action": "renormalize_all", "_selected_action": [Disease.objects.first().pk], "confirmed": "yes"}
    response = staff_client.post("/admin/catalogue/disease/", data, follow=True)
    assert b"already running" in response.content
    assert Job.objects.filter(kind="renormalize").count() == 1
    with pytest.raises(jobs.JobRunning):
        jobs.start("renormalize")


def test_registry_markup_renders_escaped_in_the_admin(staff_client, seed_trials) -> None:
    trial = Trial.objects.get(registry_id="NCT06836505")
    trial.title = "<script>alert('x')</script> CAR-T"
    trial.inclusion_criteria = '<img src=x onerror="alert(1)">'
    trial.raw = {**trial.raw, "phase": "<script>alert('raw')</script>"}
    trial.save()
    for url in (f"/admin/catalogue/trial/{trial.pk}/change/", "/admin/catalogue/trial/?q=NCT06836505"):
        body = staff_client.get(url).content.decode()
        assert "<script>alert(" not in body and "<img src=x onerror" not in body
        assert "&lt;script&gt;alert(" in body


def _multiline_trial():
    from tests.factories import make_trial

    return make_trial(
        antigens=["BCMA"],
        diseases=[("Multiple myeloma", "hematologic_malignancy")],
        title="A BCMA CAR-T trial",
        brief_summary="First paragraph of the summary.\n\nSecond paragraph, after a blank line.\nA third line.",
        inclusion_criteria="1. Age 18 or more\n2. Measurable disease",
        conditions=["Multiple Myeloma, Refractory", "Plasma Cell Leukemia, Relapsed"],
        countries=["China", "United States"],
        secondary_ids=["ABC-123, version 2"],
        sponsor="Hospital, Department of Hematology",
        enrollment=30,
    )


def test_saving_the_change_form_untouched_changes_nothing(staff_client) -> None:
    trial = _multiline_trial()
    before = Trial.objects.get(pk=trial.pk)
    url = f"/admin/catalogue/trial/{trial.pk}/change/"
    data = form_data(staff_client.get(url).content.decode())
    # As a browser submits a textarea: CRLF line endings.
    data = {k: [v.replace("\n", "\r\n") for v in vs] for k, vs in data.items()}
    response = staff_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    after = Trial.objects.get(pk=trial.pk)
    assert after.curated_fields == []
    assert TrialChange.objects.filter(trial=trial, actor="curator").count() == 0
    assert after.updated_at == before.updated_at
    for field in (
        "brief_summary",
        "conditions",
        "countries",
        "secondary_ids",
        "sponsor",
        "inclusion_criteria",
        "phase",
        "sex",
    ):
        assert getattr(after, field) == getattr(before, field), field


def test_changing_only_enrollment_keeps_conditions_with_commas_whole(staff_client) -> None:
    trial = _multiline_trial()
    url = f"/admin/catalogue/trial/{trial.pk}/change/"
    data = form_data(staff_client.get(url).content.decode())
    data = {k: [v.replace("\n", "\r\n") for v in vs] for k, vs in data.items()}
    data["enrollment"] = ["42"]
    response = staff_client.post(url, data)
    assert response.status_code == 302
    after = Trial.objects.get(pk=trial.pk)
    assert after.enrollment == 42
    assert after.conditions == ["Multiple Myeloma, Refractory", "Plasma Cell Leukemia, Relapsed"]
    assert after.secondary_ids == ["ABC-123, version 2"]
    assert after.curated_fields == ["enrollment"]
    change = TrialChange.objects.get(trial=trial, actor="curator")
    assert change.changes == {"enrollment": [30, 42]}


def test_changing_only_the_antigens_curates_only_the_antigens(staff_client) -> None:
    from catalogue.models import Antigen

    trial = _multiline_trial()
    cd19 = Antigen.objects.get_or_create(name="CD19")[0]
    url = f"/admin/catalogue/trial/{trial.pk}/change/"
    data = form_data(staff_client.get(url).content.decode())
    data = {k: [v.replace("\n", "\r\n") for v in vs] for k, vs in data.items()}
    data["antigens"] = [*data.get("antigens", []), str(cd19.pk)]
    assert staff_client.post(url, data).status_code == 302
    after = Trial.objects.get(pk=trial.pk)
    assert after.curated_fields == ["antigens"]
    assert after.antigen_names == ["BCMA", "CD19"]
    assert after.brief_summary == trial.brief_summary
    assert after.conditions == trial.conditions


def test_one_condition_per_line_is_how_a_curator_edits_a_list(staff_client) -> None:
    trial = _multiline_trial()
    url = f"/admin/catalogue/trial/{trial.pk}/change/"
    data = form_data(staff_client.get(url).content.decode())
    data["conditions"] = ["Multiple Myeloma, Refractory\r\nAmyloidosis, AL type\r\n"]
    assert staff_client.post(url, data).status_code == 302
    after = Trial.objects.get(pk=trial.pk)
    assert after.conditions == ["Multiple Myeloma, Refractory", "Amyloidosis, AL type"]
    assert after.curated_fields == ["conditions"]
