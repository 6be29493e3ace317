"""The parser contract: one module per registry format.

Each parser module defines a `Parser` subclass; `ingest.parsers.PARSERS` lists
them in detection order. A parser returns records and never touches the ORM.
Helpers shared by several formats live in the `_*.py` modules beside them; no
parser module imports another.
"""

from __future__ import annotations

import codecs
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import ClassVar

from ingest.parsers._values import one_line
from ingest.records import ParseError, TrialRecord

MAX_DOCUMENT_BYTES = 25 * 1024 * 1024  # the bulk API v2 page is ~4.4 MB; a 30 MB file is refused
MAX_PROBLEMS = 100  # problem lines kept per document; the rest are counted


class Problems(list):
    """One line per problem of a document: the first `MAX_PROBLEMS` kept, the rest
    only counted (8 million bad studies must not cost 8 million strings)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.omitted = 0

    def append(self, line: str) -> None:
        if len(self) < MAX_PROBLEMS:
            super().append(line)
        else:
            self.omitted += 1

    def extend(self, lines) -> None:
        for line in lines:
            self.append(line)

    def clear(self) -> None:
        super().clear()
        self.omitted = 0

    @property
    def total(self) -> int:
        return len(self) + self.omitted


class Parser(ABC):
    """Turns one decoded registry document into TrialRecords.

    `name` is the value `--format` accepts. `detect` must be cheap and must not
    raise: it answers whether this parser recognises the document. A subclass
    implements `read`; callers call `parse`, which is where any exception other
    than a `ParseError` becomes one (once, for every format).
    `self.problems` gets one line for each part of the document left out or read
    only in part (one bad study must not lose a page).
    """

    name: ClassVar[str]
    version: ClassVar[str] = "1"

    def __init__(self) -> None:
        self.problems: Problems = Problems()

    @classmethod
    @abstractmethod
    def detect(cls, text: str) -> bool:
        """True when `text` looks like this parser's format."""

    @abstractmethod
    def read(self, text: str) -> Iterable[TrialRecord]:
        """The records of the document: a list, or an iterator that reads a large
        document as it goes. Raises ParseError (one line) when nothing can be read;
        an iterator may raise it part-way or at its end."""

    def parse(self, text: str) -> Iterable[TrialRecord]:
        """The records of the document (see `read`), with `problems` reset first.
        At least one record, else ParseError; never another exception, neither
        here nor while iterating."""
        self.problems.clear()
        try:
            records = self.read(text)
        except ParseError:
            raise
        except Exception as exc:  # a parser bug must still be one clear line, never a traceback
            raise self._failed(exc) from exc
        if isinstance(records, list):
            if not records:
                raise ParseError(f"{self.name}: no trial found in document")
            return records
        return self._guarded(iter(records))

    def _guarded(self, records: Iterator[TrialRecord]) -> Iterator[TrialRecord]:
        try:
            yield from records
        except ParseError:
            raise
        except Exception as exc:
            raise self._failed(exc) from exc

    def _failed(self, exc: Exception) -> ParseError:
        return ParseError(f"{self.name} parser failed: {type(exc).__name__}: {one_line(str(exc), 300)}")


@dataclass
class ParseResult:
    """What one document gave: its records, one line per problem, and the parser.

    `records` may be an iterator that reads the document as it goes (a page of
    thousands of studies); `problems` then fills while it is consumed, and a
    ParseError may come from the iteration itself."""

    records: Iterable[TrialRecord]
    problems: Problems = field(default_factory=Problems)
    parser: str = ""
    version: str = ""


def decode(content: bytes) -> tuple[str, list[str]]:
    """Bytes to text, and the problems met on the way. Refuses empty, oversized and
    binary input with a clear error. UTF-8 with a few stray bytes (a cp1252
    quote in a UTF-8 page) is decoded with replacement characters and a warning
    naming the first bad byte's offset."""
    if not content or not content.strip():
        raise ParseError("empty file")
    if len(content) > MAX_DOCUMENT_BYTES:
        raise ParseError(
            f"file too large ({len(content) / 1_048_576:.1f} MB, limit {MAX_DOCUMENT_BYTES // 1_048_576} MB)"
        )
    if content.startswith(codecs.BOM_UTF8):
        content = content[len(codecs.BOM_UTF8) :]
    if _looks_binary(content[:8192]):
        raise ParseError("binary content, not a registry page")
    try:
        return content.decode("utf-8"), []
    except UnicodeDecodeError as exc:
        first_bad = exc.start
    text = content.decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    if bad <= max(8, len(content) // 1000):
        return text, [f"not valid UTF-8 at byte {first_bad}: {bad} byte(s) replaced"]
    try:
        return content.decode("gb18030"), []
    except UnicodeDecodeError:
        raise ParseError("binary content, not a registry page") from None


_CONTROL_BYTES = bytes(b for b in range(32) if b not in b"\r\n\t\f")


def _looks_binary(sample: bytes) -> bool:
    if b"\x00" in sample:
        return True
    controls = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
    return controls > len(sample) * 0.01
