"""The landscape in real Chromium at a desktop's and a phone's width: the layout that
suits the screen is shown, no label overlaps another as the browser draws it, the page
never scrolls sideways, the downloads and the trend form work without a script.
Screenshots go to tests/artifacts/landscape-1366.png and landscape-390.png."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from catalogue.landscape import CHARTS, layout_for_viewport
from tests.conftest import SAMPLES

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# Every pair of drawn labels in the visible charts whose boxes intersect, every label
# outside its chart, and the smallest label in CSS pixels.
MEASURE = """() => {
  const overlaps = [], outside = [];
  let smallest = 1e9;
  for (const svg of document.querySelectorAll('svg.chart')) {
    const frame = svg.getBoundingClientRect();
    if (frame.width === 0) continue;
    const scale = frame.width / svg.viewBox.baseVal.width;
    const texts = [...svg.querySelectorAll('text')].map(t => [t.getBoundingClientRect(), t.textContent, t]);
    for (const [box, text, node] of texts) {
      smallest = Math.min(smallest, parseFloat(node.getAttribute('font-size')) * scale);
      if (box.left < frame.left - 1 || box.right > frame.right + 1 || box.top < frame.top - 1
          || box.bottom > frame.bottom + 1) outside.push([svg.dataset.chart, text]);
    }
    for (let i = 0; i < texts.length; i++) for (let j = i + 1; j < texts.length; j++) {
      const [a, ta] = texts[i], [b, tb] = texts[j];
      if (a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom)
        overlaps.push([svg.dataset.chart, ta, tb]);
    }
  }
  return {overlaps, outside, smallest};
}"""


def ingest(*paths) -> None:
    from ingest.pipeline import ingest_paths

    report = ingest_paths([str(p) for p in paths])
    assert report.failed == 0, report.problems


@pytest.mark.parametrize("width", [1366, 390])
def test_the_landscape_at_desktop_and_phone_widths(page: Page, live_server, artifacts_dir, width):
    ingest(SAMPLES)
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(live_server.url + "/landscape/")
    layout = layout_for_viewport(width)
    other = "narrow" if layout == "wide" else "wide"
    shown = page.locator(f"svg.chart--{layout}")
    expect(shown).to_have_count(len(CHARTS))
    for i in range(len(CHARTS)):
        expect(shown.nth(i)).to_be_visible()
        expect(page.locator(f"svg.chart--{other}").nth(i)).to_be_hidden()
    assert page.evaluate("document.documentElement.scrollWidth") <= width, "the page scrolls sideways"
    measured = page.evaluate(MEASURE)
    assert measured["overlaps"] == [], measured["overlaps"][:5]
    assert measured["outside"] == [], measured["outside"][:5]
    assert measured["smallest"] >= 9, f"labels drawn at {measured['smallest']:.1f} px"
    page.screenshot(path=str(artifacts_dir / f"landscape-{width}.png"), full_page=True)

    png = page.locator("#chart-antigen .chart-card__downloads a", has_text="PNG").get_attribute("href")
    response = page.request.get(live_server.url + png)
    assert response.status == 200 and response.body()[:8] == PNG_SIGNATURE

    page.locator("#chart-phase details.chart-card__table summary").click()
    expect(page.locator("#chart-phase details.chart-card__table table")).to_be_visible()


def test_the_trend_form_and_the_charts_work_without_javascript(browser, live_server, artifacts_dir):
    ingest(SAMPLES)
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.goto(live_server.url + "/landscape/?status=recruiting")
    form = page.locator("form.trend-form")
    boxes = form.locator('input[name="trend"]')
    assert boxes.count() >= 2
    for i in range(boxes.count()):
        boxes.nth(i).uncheck()
    boxes.nth(1).check()
    chosen = boxes.nth(1).get_attribute("value")
    form.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r"trend="))
    assert "status=recruiting" in page.url
    headers = [t.strip() for t in page.locator("#chart-antigen_trend thead th").all_text_contents()]
    assert headers == ["Start year", chosen]
    page.locator("#chart-antigen_trend").screenshot(path=str(artifacts_dir / "landscape-trend.png"))
    context.close()
