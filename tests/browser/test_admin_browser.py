"""A curator's edit in a real browser changes exactly what the curator changed."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Page

from catalogue.models import Trial, TrialChange
from tests.factories import make_trial

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SUMMARY = "First paragraph of the summary.\n\nSecond paragraph, after a blank line.\nA third line ends here."
CONDITIONS = ["Multiple Myeloma, Refractory", "Plasma Cell Leukemia, Relapsed"]


def sign_in(page: Page, live_server) -> None:
    User.objects.create_superuser("curator", "curator@example.org", "a-long-test-password")
    page.goto(live_server.url + "/admin/login/")
    page.fill("#id_username", "curator")
    page.fill("#id_password", "a-long-test-password")
    page.click("input[type=submit]")
    page.wait_for_url(live_server.url + "/admin/")


def test_changing_one_field_in_the_browser_changes_only_that_field(page: Page, live_server, artifacts_dir) -> None:
    trial = make_trial(
        antigens=["BCMA"], title="A BCMA CAR-T trial", brief_summary=SUMMARY, conditions=CONDITIONS,
        countries=["China"], secondary_ids=["ABC-123, version 2"], enrollment=30, sex=None, phase="phase1",
    )  # fmt: skip
    before = Trial.objects.get(pk=trial.pk)
    sign_in(page, live_server)
    page.goto(f"{live_server.url}/admin/catalogue/trial/{trial.pk}/change/")
    # A list field shows one entry per line, commas intact.
    assert page.input_value("#id_conditions").splitlines() == CONDITIONS
    page.fill("#id_enrollment", "42")
    page.screenshot(path=str(artifacts_dir / "admin-change-enrollment.png"), full_page=True)
    page.click("input[name=_save]")
    page.wait_for_url(f"{live_server.url}/admin/catalogue/trial/")
    after = Trial.objects.get(pk=trial.pk)
    assert after.enrollment == 42
    assert after.curated_fields == ["enrollment"]
    for field in ("brief_summary", "conditions", "countries", "secondary_ids", "sex", "phase", "title"):
        assert getattr(after, field) == getattr(before, field), field
    change = TrialChange.objects.get(trial=trial, actor="curator")
    assert change.changes == {"enrollment": [30, 42]}


def test_saving_untouched_in_the_browser_changes_nothing(page: Page, live_server) -> None:
    trial = make_trial(antigens=["CD19"], brief_summary=SUMMARY, conditions=CONDITIONS)
    before = Trial.objects.get(pk=trial.pk)
    sign_in(page, live_server)
    page.goto(f"{live_server.url}/admin/catalogue/trial/{trial.pk}/change/")
    page.click("input[name=_save]")
    page.wait_for_url(f"{live_server.url}/admin/catalogue/trial/")
    after = Trial.objects.get(pk=trial.pk)
    assert after.curated_fields == [] and after.updated_at == before.updated_at
    assert after.brief_summary == SUMMARY and after.conditions == CONDITIONS
    assert not TrialChange.objects.filter(trial=trial, actor="curator").exists()
