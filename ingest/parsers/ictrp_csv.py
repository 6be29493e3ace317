"""WHO ICTRP CSV export (the search portal's "Export results" / COVID-19 download).

One header row, then one row per trial. The header keeps ICTRP's spellings
(``Date enrollement``, ``Inclusion agemin``, ``results yes no``,
``Bridging flag truefalse``...); columns are matched by folded name (case,
spaces, underscores and a BOM ignored), so the 40-column 2020 form, the later
58-column form and the XML element names all read the same.

A column missing from the header is absent (None) in every record; a blank
cell is empty (""). The rows are built by `_ictrp.build_record`, like the
XML export, so both give the same records for the same trials.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from ingest.parsers._ictrp import Fields, fold, read_trials
from ingest.parsers.base import MAX_DOCUMENT_BYTES, Parser
from ingest.records import ParseError, TrialRecord

# Columns only an ICTRP export has; a header must hold TrialID and two of these.
_MARKERS = frozenset({
    "sourceregister", "publictitle", "scientifictitle", "lastrefreshedon", "dateenrollement",
    "inclusionagemin", "inclusionagemax", "inclusiongender", "webaddress", "targetsize",
    "bridgingflagtruefalse", "retrospectiveflag", "resultsyesno", "dateregistration3",
})  # fmt: skip
_DELIMITERS = (",", ";", "\t")

# A criteria cell can exceed the csv module's default 128 KiB field limit; a
# field can never be longer than the document, which decode() caps.
if csv.field_size_limit() < MAX_DOCUMENT_BYTES:
    csv.field_size_limit(MAX_DOCUMENT_BYTES)


def _header(text: str) -> tuple[str, list[str]] | None:
    """(delimiter, header cells) when the first line is an ICTRP CSV header."""
    first = text.lstrip("\ufeff")[:16384]
    first = first.split("\n", 1)[0].split("\r", 1)[0]
    for delimiter in _DELIMITERS:
        if delimiter not in first:
            continue
        try:
            cells = next(csv.reader([first], delimiter=delimiter))
        except (csv.Error, StopIteration):
            continue
        names = {fold(cell) for cell in cells}
        if "trialid" in names and len(names & _MARKERS) >= 2:
            return delimiter, cells
    return None


class IctrpCsvParser(Parser):
    """WHO ICTRP CSV export, any registry.

    `parse()` returns the readable rows and fills `self.problems` with one line
    per row left out, e.g. ``"trial #12 (XYZ123): skipped:
    unknown registry (Source Register 'XYZ')"``. ParseError when no row is readable.
    """

    name = "ictrp_csv"
    version = "1"

    @classmethod
    def detect(cls, text: str) -> bool:
        """True when the first line is a header with ``TrialID`` and ICTRP's own columns."""
        try:
            return isinstance(text, str) and _header(text) is not None
        except Exception:
            return False

    def read(self, text: str) -> list[TrialRecord]:
        """Every row whose registry is known."""
        found = _header(text)
        if found is None:
            raise ParseError("not a WHO ICTRP CSV export: no header with TrialID and ICTRP's columns")
        delimiter, _ = found
        reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""), delimiter=delimiter)
        header = [fold(cell) for cell in next(reader)]
        return read_trials(self._rows(reader, header), self.name, self.problems)

    def _rows(self, reader: Iterator[list[str]], header: list[str]) -> Iterator[Fields]:
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                self.problems.append(f"line {reader.line_num}: unreadable CSV, rest of file left out: {exc}")  # type: ignore[attr-defined]
                return
            if not any(cell.strip() for cell in row):
                continue
            f = Fields()
            # A short row (a cut file) leaves its last columns absent, not blank.
            for name, cell in zip(header, row):
                if name:
                    f.add(name, cell)
            yield f
