"""Browser-test fixtures: every page a test opens fails it on a console error (a 404 for a
favicon, a CSP violation, a script error), and `assert_accessible` runs axe-core."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

SERIOUS = ("serious", "critical")


class ConsoleWatch:
    """The console errors and uncaught exceptions of one page."""

    def __init__(self, page: Page) -> None:
        self.errors: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.errors.append(f"uncaught: {error}"))

    def _console(self, message) -> None:
        if message.type == "error":
            location = message.location or {}
            self.errors.append(f"{message.text} ({location.get('url', '')}:{location.get('lineNumber', '')})")

    def assert_clean(self) -> None:
        assert not self.errors, "console errors:\n" + "\n".join(self.errors)


def watch_console(page: Page) -> ConsoleWatch:
    """For a page a test makes itself (another browser context): check it with `.assert_clean()`."""
    return ConsoleWatch(page)


@pytest.fixture
def page(page: Page) -> Iterator[Page]:
    """pytest-playwright's page, failing the test on any console error it logged."""
    watch = ConsoleWatch(page)
    yield page
    watch.assert_clean()


_AXE = Axe()


def assert_accessible(page: Page, context: str | None = None) -> None:
    """axe-core on the page as it is now: no serious or critical violation."""
    results = _AXE.run(page, context=context)
    found = [v for v in results.response["violations"] if v.get("impact") in SERIOUS]
    report = [
        f"{v['id']} ({v['impact']}): {v['help']} — " + ", ".join(str(n["target"]) for n in v["nodes"][:5])
        for v in found
    ]
    assert not found, "axe found serious violations:\n" + "\n".join(report)
