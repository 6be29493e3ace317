"""Peak memory of `manage.py ingest` on the largest documents it accepts.

Each case writes its document into tmp_path, runs the real command in a child
process (`--dry-run`, against the test database: nothing is kept) and reads
that child's peak resident set size from the kernel: the VmHWM the child itself
reads as it exits (since its exec). Not `wait4`'s ru_maxrss: that keeps the RSS
the child inherited from this test process at the fork, which after a few
thousand tests is itself ~440 MB.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from ingest.parsers import MAX_DOCUMENT_BYTES
from tests.conftest import ROOT, corpus_path
from tests.reliability import database_url, server_params

# django_db: the test database must exist for the child process to use it.
pytestmark = [pytest.mark.slow, pytest.mark.django_db]

PEAK_LIMIT_MB = 300
EMPTY_STUDIES = 8_000_000
BULK = ("bulk", "ctgov-cart-snapshot-2026-08-22.json")
BULK_STUDIES = 2587
COPIES = 5


def ingest(path: Path, tmp_path: Path) -> tuple[int, float, str, str]:
    """(exit code, peak RSS in MB, stdout, stderr) of `manage.py ingest --dry-run path`."""
    from django.db import connection

    url = database_url(server_params(), connection.settings_dict["NAME"])
    assert connection.settings_dict["NAME"].startswith("test_")
    out, err, peak_file = tmp_path / "stdout.txt", tmp_path / "stderr.txt", tmp_path / "peak.txt"
    with out.open("w") as stdout, err.open("w") as stderr:
        proc = subprocess.run(
            [sys.executable, "-c", _REPORTING_PEAK, "manage.py", "ingest", "--dry-run", str(path)],
            cwd=ROOT, env={**os.environ, "DATABASE_URL": url, "PEAK_FILE": str(peak_file)},
            stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr, check=False,
        )  # fmt: skip
    match = re.search(r"^VmHWM:\s+(\d+) kB", peak_file.read_text(), re.MULTILINE)
    assert match, "the child did not report its peak"
    return proc.returncode, int(match.group(1)) / 1024, out.read_text(), err.read_text()


# manage.py run as the child's main module, which writes its /proc status (VmHWM) as it exits.
_REPORTING_PEAK = """
import atexit, os, runpy, sys
atexit.register(lambda: open(os.environ["PEAK_FILE"], "w").write(open("/proc/self/status").read()))
sys.argv = sys.argv[1:]
runpy.run_path("manage.py", run_name="__main__")
"""


def write_empty_studies(path: Path, shape: str) -> None:
    """A page of `EMPTY_STUDIES` empty objects in one of the three list shapes."""
    head, tail = {
        "page": ('{"studies":[', "]}"),
        "list": ("[", "]"),
        "v1": ('{"FullStudiesResponse":{"FullStudies":[', "]}}"),
    }[shape]
    with path.open("w") as fh:
        fh.write(head)
        fh.write("{}," * (EMPTY_STUDIES - 1))
        fh.write("{}" + tail)


@pytest.mark.parametrize("shape", ["page", "list", "v1"])
def test_a_page_of_eight_million_empty_studies_fails_in_bounded_memory_with_a_short_report(
    tmp_path: Path, shape: str
) -> None:
    page = tmp_path / "empty.json"
    write_empty_studies(page, shape)
    assert 23_000_000 < page.stat().st_size <= MAX_DOCUMENT_BYTES

    code, peak_mb, _, stderr = ingest(page, tmp_path)

    print(f"\n{shape}: peak RSS {peak_mb:.0f} MB")
    assert code == 1
    assert peak_mb < PEAK_LIMIT_MB
    lines = [line for line in stderr.splitlines() if line.startswith("error: ")]
    assert f"no readable study among {EMPTY_STUDIES}: study #1: skipped: not a study object" in lines[0]
    assert len(lines) <= 101  # at most 100 problem lines and the count of the rest
    more = re.fullmatch(r"error: .*: … and ([\d,]+) more", lines[-1])
    assert more and int(more.group(1).replace(",", "")) > EMPTY_STUDIES - 100


@pytest.mark.corpus
def test_a_real_page_of_five_bulk_snapshots_ingests_in_bounded_memory(tmp_path: Path) -> None:
    text = Path(corpus_path(*BULK)).read_text(encoding="utf-8")
    studies = text[text.index("[") + 1 : text.rindex("]")]
    copies = [studies]
    for copy in range(1, COPIES):
        # Copy n of an NCT0xxxxxxx study becomes NCTnxxxxxxx: another trial of the same content.
        renamed, count = re.subn(r'("nctId":\s*")NCT0', rf"\g<1>NCT{copy}", studies)
        assert count == BULK_STUDIES
        copies.append(renamed)
    page = tmp_path / "bulk-x5.json"
    page.write_text('{"studies": [' + ", ".join(copies) + "]}", encoding="utf-8")
    assert 20_000_000 < page.stat().st_size <= MAX_DOCUMENT_BYTES

    code, peak_mb, stdout, stderr = ingest(page, tmp_path)

    print(f"\nbulk x{COPIES}: peak RSS {peak_mb:.0f} MB")
    assert code == 0, stderr[-2000:]
    assert f"would have created {COPIES * BULK_STUDIES}," in stdout
    assert peak_mb < PEAK_LIMIT_MB
