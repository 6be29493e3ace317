"""Following a search (issue 17, item 4): the Atom feed of any filter, the trial's
public history, recent activity and the "possibly stalled" flag.

The registry change is real: a ClinicalTrials.gov API v2 record from the corpus,
then a copy of it edited at test time with a newer last-update date and another
status, both ingested through the pipeline."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import feedparser
import pytest
from bs4 import BeautifulSoup
from django.urls import reverse

from catalogue.activity import stalled_reasons
from catalogue.curation import trial_curate
from catalogue.models import Product, Trial
from ingest.pipeline import ingest_paths
from tests.conftest import corpus_path
from tests.factories import make_trial

pytestmark = pytest.mark.django_db

FEED = reverse("catalogue:trial_feed")
RECENT = reverse("catalogue:recent")
STUDY = "NCT02349698"


def edited_copy(source: Path, target: Path, *, status: str, updated: str, enrollment: int | None = None) -> Path:
    """The registry's record as a later version of it would be: another status, a newer date."""
    study = json.loads(source.read_text(encoding="utf-8"))
    module = study["protocolSection"]["statusModule"]
    assert module["overallStatus"] != status
    module["overallStatus"] = status
    module["lastUpdatePostDateStruct"] = {"date": updated, "type": "ACTUAL"}
    if enrollment is not None:
        study["protocolSection"]["designModule"]["enrollmentInfo"]["count"] = enrollment
    target.write_text(json.dumps(study), encoding="utf-8")
    return target


@pytest.fixture
def status_changed(db, tmp_path) -> Trial:
    """NCT02349698 as first registered (recruiting), then its newer record (completed)."""
    source = corpus_path("ctgov-v2", f"{STUDY}.ctgov-v2.json")
    first = ingest_paths([str(source)])
    assert first.created == 1, first.problems
    newer = edited_copy(source, tmp_path / f"{STUDY}-newer.json", status="COMPLETED", updated="2024-03-15",
                        enrollment=60)  # fmt: skip
    second = ingest_paths([str(newer)])
    assert second.updated == 1, second.problems
    return Trial.objects.get(registry_id=STUDY)


def feed(client, params) -> feedparser.FeedParserDict:
    response = client.get(FEED, params)
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"].startswith("application/atom+xml")
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    return parsed


def test_the_feed_of_a_filter_is_atom_and_lists_a_trial_whose_status_changed(client, status_changed):
    antigen = status_changed.antigen_names[0]
    parsed = feed(client, {"antigen": antigen, "registry": "ctgov"})
    assert parsed.feed.title.endswith(f"{antigen} trials registered with ClinicalTrials.gov")
    assert parsed.feed.links[0].href.endswith(f"/?antigen={antigen}&registry=ctgov")
    ours = [e for e in parsed.entries if STUDY in e.title]
    assert len(ours) == 2  # the trial added, then its status change
    change, added = ours
    assert "Status: Recruiting → Completed" in change.title
    assert "Enrollment: 45 → 60" in change.title
    assert "Status: Recruiting → Completed" in change.summary
    assert added.title == f"New trial: {STUDY}"
    assert change.link.endswith(f"/trials/{STUDY}/#history")
    assert change.id != added.id
    updated = [e.updated_parsed for e in parsed.entries]
    assert updated == sorted(updated, reverse=True)  # newest first


def test_posted_results_are_news_in_the_feed(client, tmp_path):
    source = corpus_path("ctgov-v2", f"{STUDY}.ctgov-v2.json")
    ingest_paths([str(source)])
    study = json.loads(source.read_text(encoding="utf-8"))
    study["hasResults"] = True
    study["protocolSection"]["statusModule"]["resultsFirstPostDateStruct"] = {"date": "2024-05-02", "type": "ACTUAL"}
    study["protocolSection"]["statusModule"]["lastUpdatePostDateStruct"] = {"date": "2024-05-02", "type": "ACTUAL"}
    (tmp_path / "results.json").write_text(json.dumps(study), encoding="utf-8")
    assert ingest_paths([str(tmp_path / "results.json")]).updated == 1
    newest = feed(client, {"q": STUDY, "scope": "all"}).entries[0]
    assert (
        "Results posted: no → yes" in newest.title and "Results first posted: not stated → 2 May 2024" in newest.title
    )


def test_a_feed_lists_only_the_trials_of_its_filter(client, status_changed):
    other = make_trial(antigens=["HER2"])
    parsed = feed(client, {"antigen": "HER2"})
    assert not any(STUDY in e.title for e in parsed.entries)
    assert parsed.feed.title.endswith("HER2 trials")
    assert other.registry_id not in " ".join(e.title for e in parsed.entries)  # made without ingest: no history


def test_a_feed_with_an_invalid_filter_is_a_400_saying_why(client, db):
    response = client.get(FEED, {"phase": "phase9"})
    assert response.status_code == 400 and "phase9" in response.content.decode()


def test_every_list_page_links_its_feed(client, status_changed):
    antigen = status_changed.antigen_names[0]
    for url in (reverse("catalogue:trial_list"), RECENT):
        doc = BeautifulSoup(client.get(url, {"antigen": antigen}).content, "html.parser")
        alternate = doc.select_one('link[rel="alternate"][type="application/atom+xml"]')
        assert alternate["href"] == f"{FEED}?antigen={antigen}"
        follow = next(a for a in doc.select("a") if a.get_text(strip=True) == "Follow this search")
        assert follow["href"] == alternate["href"]
        assert client.get(follow["href"]).status_code == 200
    product = Product.objects.create(name="Testocel")
    make_trial(product_names=["Testocel"])
    doc = BeautifulSoup(client.get(reverse("catalogue:product_detail", args=[product.slug])).content, "html.parser")
    alternate = doc.select_one('link[rel="alternate"][type="application/atom+xml"]')
    assert alternate["href"] == f"{FEED}?product=Testocel&scope=all"
    assert client.get(alternate["href"]).status_code == 200


def test_the_trial_history_shows_the_registry_change_and_the_copies(client, status_changed):
    page = client.get(reverse("catalogue:trial_detail", args=[STUDY]))
    history = BeautifulSoup(page.content, "html.parser").select_one("#history")
    changes = [li.get_text(" ", strip=True) for li in history.select(".history__changes li")]
    assert "Status: Recruiting → Completed" in changes
    assert "Enrollment: 45 → 60" in changes
    entries = history.select(".history__entry")
    assert "Registry update" in entries[0].get_text() and "Added to the catalogue" in entries[-1].get_text()
    copies = [li.get_text(" ", strip=True) for li in history.select(".history__copies li")]
    assert len(copies) == 2
    assert "15 Mar 2024" in copies[0] and "25 Jun 2019" in copies[1]
    assert not history.select(".history--corrections")


def test_curator_edits_are_shown_apart_as_corrections(client, status_changed):
    trial_curate(trial=status_changed, changes={"enrollment": 50}, reason="the sponsor's press release")
    history = BeautifulSoup(
        client.get(reverse("catalogue:trial_detail", args=[STUDY])).content, "html.parser"
    ).select_one("#history")
    (correction,) = history.select(".history--corrections .history__entry")
    assert "correction" in correction.get_text() and "Enrollment: 60 → 50" in correction.get_text()
    assert "the sponsor's press release" in correction.get_text()
    registry = [li.get_text(" ", strip=True) for li in history.select("ol.history:not(.history--corrections) li li")]
    assert "Status: Recruiting → Completed" in registry
    assert not any(line.endswith("→ 50") for line in registry)


def test_recent_activity_shows_the_status_change_and_new_registrations(client, status_changed):
    today = dt.date.today()
    fresh = make_trial(registration_date=today - dt.timedelta(days=10), start_date=today - dt.timedelta(days=5))
    old = make_trial(registration_date=today - dt.timedelta(days=200))
    doc = BeautifulSoup(client.get(RECENT, {"days": "30", "scope": "all"}).content, "html.parser")
    changed = doc.select_one("#status_changed").get_text(" ", strip=True)
    assert STUDY in changed and "Recruiting → Completed" in changed
    assert STUDY in doc.select_one("#closed").get_text()
    registered = doc.select_one("#registered").get_text()
    assert fresh.registry_id in registered and old.registry_id not in registered
    assert fresh.registry_id in doc.select_one("#started").get_text()
    year = BeautifulSoup(client.get(RECENT, {"days": "365"}).content, "html.parser")
    assert old.registry_id in year.select_one("#registered").get_text()


def test_recent_activity_follows_the_filters(client, db):
    today = dt.date.today()
    cd19 = make_trial(antigens=["CD19"], registration_date=today)
    her2 = make_trial(antigens=["HER2"], registration_date=today)
    registered = BeautifulSoup(client.get(RECENT, {"antigen": "CD19"}).content, "html.parser").select_one("#registered")
    assert cd19.registry_id in registered.get_text() and her2.registry_id not in registered.get_text()


# --- possibly stalled ------------------------------------------------------------------------------


def test_the_stalled_rule():
    today = dt.date(2026, 12, 6)
    assert stalled_reasons("recruiting", dt.date(2023, 12, 6), dt.date(2026, 1, 1), today)
    assert not stalled_reasons("recruiting", dt.date(2023, 12, 7), dt.date(2026, 1, 1), today)
    assert stalled_reasons("active_not_recruiting", dt.date(2020, 1, 1), dt.date(2024, 12, 5), today)
    assert not stalled_reasons("active_not_recruiting", dt.date(2020, 1, 1), dt.date(2024, 12, 6), today)
    assert not stalled_reasons("completed", dt.date(2010, 1, 1), dt.date(2012, 1, 1), today)
    assert not stalled_reasons(None, dt.date(2010, 1, 1), dt.date(2012, 1, 1), today)  # unknown stays unknown
    assert not stalled_reasons("recruiting", None, None, today)
    assert len(stalled_reasons("recruiting", dt.date(2015, 1, 1), dt.date(2019, 1, 1), today)) == 2


def test_possibly_stalled_trials_are_flagged_on_cards_and_filtered_in_sql(client, db):
    today = dt.date.today()
    stalled = make_trial(status="recruiting", start_date=today.replace(year=today.year - 4))
    forgotten = make_trial(status="active_not_recruiting", registry_updated=today.replace(year=today.year - 3))
    fresh = make_trial(status="recruiting", start_date=today.replace(year=today.year - 1), registry_updated=today)
    done = make_trial(status="completed", start_date=today.replace(year=today.year - 9))
    api = client.get(reverse("catalogue:api_trial_list"), {"stalled": "yes"}).json()
    assert {r["registry_id"] for r in api["results"]} == {stalled.registry_id, forgotten.registry_id}
    api = client.get(reverse("catalogue:api_trial_list"), {"stalled": "no"}).json()
    assert {r["registry_id"] for r in api["results"]} == {fresh.registry_id, done.registry_id}
    doc = BeautifulSoup(client.get("/", {"sort": "registry_id"}).content, "html.parser")
    flagged = {
        card.select_one(".trial__id").get_text() for card in doc.select(".trial") if card.select(".badge--stalled")
    }
    assert flagged == {stalled.registry_id, forgotten.registry_id}
    summary = BeautifulSoup(client.get("/", {"stalled": "yes"}).content, "html.parser").select_one(".summary")
    assert "possibly stalled" in summary.get_text()
