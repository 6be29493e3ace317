"""A registry URL that is not http(s) is never linked or exported (red-team issue 18, item 1).

An ICTRP `<url>` or a ChiCTR canonical link of `javascript:alert(document.domain)//chictr`
can reach `Trial.source_url`; every page, the admin, the API and the downloads
must link the registry's own page for the trial instead.
"""

from __future__ import annotations

import csv
import io
import json

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from catalogue.registries import trial_url
from tests.factories import make_trial

pytestmark = pytest.mark.django_db

EVIL = "javascript:alert(document.domain)//chictr"
REGISTRY_ID = "ChiCTR2500999001"


@pytest.fixture
def evil_trial():
    return make_trial(
        registry="chictr", registry_id=REGISTRY_ID, source_url=EVIL,
        missing_fields=["brief_summary", "sites"],  # so the "see the registry" gap notes render
    )  # fmt: skip


def _hrefs(html: str) -> list[str]:
    return [a["href"] for a in BeautifulSoup(html, "html.parser").find_all("a", href=True)]


def test_the_trial_page_links_the_registry_page_instead_of_a_javascript_url(client, evil_trial) -> None:
    response = client.get(reverse("catalogue:trial_detail", args=[REGISTRY_ID]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "javascript:" not in html.lower()
    hrefs = _hrefs(html)
    expected = trial_url("chictr", REGISTRY_ID)
    doc = BeautifulSoup(html, "html.parser")
    assert doc.select("a.button--secondary")[0]["href"] == expected  # "View on ChiCTR"
    provenance = doc.select("section[aria-labelledby=prov-h] a")
    assert [a["href"] for a in provenance] == [expected]
    gap_links = doc.select(".gap--missing a")
    assert gap_links and all(a["href"] == expected for a in gap_links)
    assert all(h.startswith(("http://", "https://", "/", "?", "#")) for h in hrefs), hrefs


def test_the_admin_registry_link_never_carries_a_javascript_url(evil_trial) -> None:
    User.objects.create_superuser("curator", "curator@example.org", "a-long-test-password")
    staff = Client()
    staff.force_login(User.objects.get(username="curator"))
    response = staff.get(reverse("admin:catalogue_trial_change", args=[evil_trial.pk]))
    assert response.status_code == 200
    for href in _hrefs(response.content.decode()):
        assert not href.lower().lstrip().startswith("javascript:"), href
    assert f'href="{trial_url("chictr", REGISTRY_ID)}"' in response.content.decode()


def test_the_api_and_the_exports_give_the_registry_page_not_the_javascript_url(client, evil_trial) -> None:
    expected = trial_url("chictr", REGISTRY_ID)
    assert client.get(reverse("catalogue:api_trial_detail", args=[REGISTRY_ID])).json()["source_url"] == expected
    (listed,) = client.get(reverse("catalogue:api_trial_list")).json()["results"]
    assert listed["source_url"] == expected
    download = b"".join(client.get(reverse("catalogue:export_json")).streaming_content)
    assert [item["source_url"] for item in json.loads(download)["trials"]] == [expected]
    rows = list(
        csv.DictReader(
            io.StringIO(b"".join(client.get(reverse("catalogue:export_csv")).streaming_content).decode("utf-8-sig"))
        )
    )
    assert [row["source_url"] for row in rows] == [expected]
    out = io.StringIO()
    call_command("export", "--format", "json", stdout=out)
    assert "javascript:" not in out.getvalue()


def test_a_safe_source_url_is_still_linked_as_given(client) -> None:
    make_trial(registry_id="NCT90000777", source_url="https://clinicaltrials.gov/study/NCT90000777?tab=history")
    html = client.get(reverse("catalogue:trial_detail", args=["NCT90000777"])).content.decode()
    assert BeautifulSoup(html, "html.parser").select("a.button--secondary")[0]["href"] == (
        "https://clinicaltrials.gov/study/NCT90000777?tab=history"
    )
