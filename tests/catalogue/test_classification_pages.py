"""Classifications in the catalogue: scope, modality, products, with their evidence."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from catalogue.models import Product, Trial
from ingest.pipeline import ingest_paths
from tests.conftest import corpus_path

pytestmark = [pytest.mark.django_db, pytest.mark.corpus]
LIST = reverse("catalogue:trial_list")
API = reverse("catalogue:api_trial_list")

TISA = ["NCT01029366", "NCT02030834", "NCT02445248", "NCT02529813"]
OTHER_CD19 = ["NCT00586391", "NCT00924326", "NCT01087294", "NCT01430390"]
CAR_NK = ["NCT03415100", "NCT03690310"]


@pytest.fixture
def trials(tmp_path: Path) -> None:
    data = json.loads(corpus_path("bulk", "ctgov-cart-snapshot-2026-08-22.json").read_bytes())
    wanted = set(TISA + OTHER_CD19 + CAR_NK)
    page = tmp_path / "slice.json"
    page.write_text(
        json.dumps(
            {"studies": [s for s in data["studies"] if s["protocolSection"]["identificationModule"]["nctId"] in wanted]}
        )
    )
    # A non-CAR trial (blinatumomab, a bispecific antibody) in the legacy XML format.
    report = ingest_paths([str(page), str(corpus_path("other-formats", "NCT01207388.ctgov.xml"))])
    assert report.failed == 0, report.problems


def ids(response) -> list[str]:
    return [r["registry_id"] for r in response.json()["results"]]


def test_a_search_for_a_brand_name_finds_that_products_trials_first_not_every_cd19_trial(client, trials) -> None:
    found = ids(client.get(API, {"q": "Kymriah", "page_size": 50}))
    assert set(TISA) <= set(found)
    assert set(found[: len(TISA)]) == set(TISA)
    assert not set(OTHER_CD19) & set(found)


def test_a_product_is_a_facet_and_a_filter_by_any_of_its_names(client, trials) -> None:
    for name in ("Kymriah", "tisagenlecleucel", "CTL019"):
        assert set(ids(client.get(API, {"product": name}))) == set(TISA)
    facets = {v["value"]: v for v in client.get(API).json()["facets"]["product"]}
    assert facets["tisagenlecleucel"]["count"] == len(TISA)


def test_out_of_scope_trials_are_hidden_unless_asked_for_and_the_page_says_how_many(client, trials) -> None:
    blinatumomab = "NCT01207388"
    assert not Trial.objects.get(registry_id=blinatumomab).in_scope
    assert blinatumomab not in ids(client.get(API, {"page_size": 100}))
    page = BeautifulSoup(client.get(LIST).content.decode(), "html.parser")
    hidden = page.select(".results__hidden")[0]
    assert "1 matching trial is outside the catalogue's scope" in " ".join(hidden.get_text().split())
    assert blinatumomab in ids(client.get(API, {"page_size": 100, "scope": "all"}))
    assert ids(client.get(API, {"scope": "out"})) == [blinatumomab]
    summary = BeautifulSoup(client.get(LIST, {"scope": "all"}).content.decode(), "html.parser").select(
        ".summary__text"
    )[0]
    assert "including those outside the catalogue's scope" in summary.get_text()


def test_modality_is_a_facet_with_labels_and_a_filter(client, trials) -> None:
    body = client.get(API, {"modality": "car_nk"}).json()
    assert set(ids(client.get(API, {"modality": "car_nk"}))) == set(CAR_NK)
    labels = {v["value"]: v["label"] for v in body["facets"]["modality"]}
    assert labels["car_nk"] == "CAR-NK" or "NK" in labels["car_nk"]
    rows = {r["registry_id"]: r for r in client.get(API, {"page_size": 100}).json()["results"]}
    assert "car_nk" in rows[CAR_NK[0]]["modalities"] and rows[TISA[0]]["products"] == ["tisagenlecleucel"]


def test_the_product_page_lists_its_trials_by_phase_and_status_with_each_facts_source(client, trials) -> None:
    product = Product.objects.get(name="tisagenlecleucel")
    page = client.get(reverse("catalogue:product_detail", args=[product.slug]))
    assert page.status_code == 200
    text = " ".join(BeautifulSoup(page.content.decode(), "html.parser").get_text().split())
    assert f"{len(TISA)} trials name this product" in text
    assert "By phase" in text and "By status" in text
    assert "prescribing information" in text  # the source of its targets
    assert client.get(reverse("catalogue:product_detail", args=["no-such-product"])).status_code == 404


def test_the_trial_page_shows_why_each_classification_has_its_value(client, trials) -> None:
    page = BeautifulSoup(
        client.get(reverse("catalogue:trial_detail", args=[CAR_NK[0]])).content.decode(), "html.parser"
    )
    rows = {r.th.get_text().split("curated")[0].strip(): r for r in page.select("table.compare tbody tr")}
    why = " ".join(rows["Modality"].select("details.compare__evidence")[0].get_text().split())
    assert "car_nk:" in why and "(title)" in why


def test_curators_find_unclear_classifications_in_a_review_queue() -> None:
    from tests.factories import make_trial

    flagged = make_trial(review=["cell_source: allogeneic and autologous cues at the same tier"])
    clear = make_trial()
    user = User.objects.create_superuser("curator", "curator@example.org", "a-long-test-password")
    client = Client()
    client.force_login(user)
    body = client.get("/admin/catalogue/trial/", {"review": "flagged"}).content.decode()
    assert flagged.registry_id in body and clear.registry_id not in body
