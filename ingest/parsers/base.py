"""The parser contract: one module per registry format.

Each parser module defines a `Parser` subclass; `ingest.parsers.PARSERS` lists
them in detection order. A parser returns records and never touches the ORM.
"""

from __future__ import annotations

import codecs
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from collections.abc import Iterable
from typing import ClassVar

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

    @property
    def total(self) -> int:
        return len(self) + self.omitted


class Parser(ABC):
    """Turns one decoded registry document into TrialRecords.

    `name` is the value `--format` accepts. `detect` must be cheap and must not
    raise: it answers whether this parser recognises the document. `parse`
    returns the records of the document, raises `ParseError` with a one-line
    message when it can read none, and adds one line to `self.problems` for each
    part it left out or read only in part (one bad study must not lose a page).
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
    def parse(self, text: str) -> list[TrialRecord]:
        """Parse the document. Returns at least one record or raises ParseError."""


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
