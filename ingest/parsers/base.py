"""The parser contract: one module per registry format, looked up by content.

Each parser module defines a `Parser` subclass and registers it with
`@register`. `detect()` picks the parser for a document from its content
(never its file name); `get_parser()` looks one up by name for `--format`.
"""

from __future__ import annotations

import codecs
from abc import ABC, abstractmethod
from typing import ClassVar

from ingest.records import ParseError, TrialRecord

MAX_DOCUMENT_BYTES = 25 * 1024 * 1024  # the bulk API v2 page is ~4.4 MB; a 30 MB file is refused

_PARSERS: dict[str, type[Parser]] = {}


class Parser(ABC):
    """Turns one decoded registry document into TrialRecords.

    `name` is the value `--format` accepts. `detect` must be cheap and must not
    raise: it answers whether this parser recognises the document.
    `parse` raises `ParseError` with a one-line message on anything it cannot
    read; it must never let another exception escape.
    """

    name: ClassVar[str]
    version: ClassVar[str] = "1"

    @classmethod
    @abstractmethod
    def detect(cls, text: str) -> bool:
        """True when `text` looks like this parser's format."""

    @abstractmethod
    def parse(self, text: str) -> list[TrialRecord]:
        """Parse the document. Returns at least one record or raises ParseError."""


def register(cls: type[Parser]) -> type[Parser]:
    """Class decorator adding a parser to the lookup, in import order."""
    _PARSERS[cls.name] = cls
    return cls


def parser_names() -> list[str]:
    _load_all()
    return list(_PARSERS)


def get_parser(name: str) -> Parser:
    """The parser registered under `name`; ParseError when there is none."""
    _load_all()
    try:
        return _PARSERS[name]()
    except KeyError:
        raise ParseError(f"unknown format {name!r} (known: {', '.join(_PARSERS)})") from None


def decode(content: bytes) -> str:
    """Bytes to text. Refuses empty, oversized and binary input with a clear error."""
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
    for encoding in ("utf-8", "gb18030"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ParseError("binary content, not a registry page")


_CONTROL_BYTES = bytes(b for b in range(32) if b not in b"\r\n\t\f")


def _looks_binary(sample: bytes) -> bool:
    if b"\x00" in sample:
        return True
    controls = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
    return controls > len(sample) * 0.01


def detect(text: str) -> Parser:
    """The parser whose format `text` is in; ParseError naming what was seen otherwise."""
    _load_all()
    for cls in _PARSERS.values():
        if cls.detect(text):
            return cls()
    head = " ".join(text[:60].split())
    raise ParseError(f"unknown format: not a registry page we can read (starts {head!r})")


def parse_document(content: bytes, *, format: str | None = None) -> tuple[Parser, list[TrialRecord]]:
    """Decode, detect (or force `format`) and parse one document."""
    text = decode(content)
    parser = get_parser(format) if format else detect(text)
    try:
        records = parser.parse(text)
    except ParseError:
        raise
    except Exception as exc:  # a parser bug must still be one clear line, never a traceback
        raise ParseError(f"{parser.name} parser failed: {type(exc).__name__}: {exc}") from exc
    if not records:
        raise ParseError(f"{parser.name}: no trial found in document")
    return parser, records


def _load_all() -> None:
    # Importing the modules runs their @register decorators. Order matters:
    # the most specific detectors go first.
    from ingest.parsers import chictr, ctgov_classic, ctgov_modern, ctgov_v2, ctgov_xml, ictrp_xml  # noqa: F401
