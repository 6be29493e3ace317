"""`make help` is the list of what the Makefile offers."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def targets() -> set[str]:
    """The Makefile's own targets: rule names, not files, variables or special targets."""
    names = set()
    for line in (ROOT / "Makefile").read_text().splitlines():
        match = re.match(r"^([a-z][a-z0-9-]*)\s*:(?!=)", line)
        if match:
            names.add(match.group(1))
    return names


def test_make_help_names_every_target():
    shown = subprocess.run(["make", "--no-print-directory", "-s", "help"], cwd=ROOT, capture_output=True, text=True,
                           check=True).stdout  # fmt: skip

    named = set(re.findall(r"make ([a-z][a-z0-9-]*)", shown))
    assert targets() - {"help"}, "no targets found in the Makefile"
    assert targets() - {"help"} <= named, f"make help misses {sorted(targets() - {'help'} - named)}"
