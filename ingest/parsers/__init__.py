"""Registry parsers, one module per format, in detection order. See `base` for the contract.

`detect()` tries each parser of `PARSERS` in turn on a document's content (never
its file name): specific formats first, so the catch-all JSON parser and the
page parsers never claim a document another parser knows. Helpers that several
formats share live in the `_*.py` modules (`_html`, `_xml`, `_json`, `_criteria`,
`_ctgov`, `_values`); no parser module imports another.
"""

from __future__ import annotations

from ingest.parsers import chictr, ctgov_classic, ctgov_modern, ctgov_v2, ctgov_xml, ictrp_csv, ictrp_xml
from ingest.parsers.base import MAX_DOCUMENT_BYTES, ParseError, Parser, ParseResult, Problems, decode

PARSERS: tuple[type[Parser], ...] = (
    # First: its detection reads only the header line, while the page parsers
    # search a wide window for words an export's cells can contain.
    ictrp_csv.IctrpCsvParser,
    chictr.ChictrParser,
    ctgov_v2.CtgovV2Parser,
    ctgov_classic.CtgovClassicParser,
    ctgov_modern.CtgovModernParser,
    ctgov_xml.CtgovXmlParser,
    ictrp_xml.IctrpXmlParser,
)
_BY_NAME = {cls.name: cls for cls in PARSERS}


def parser_names() -> list[str]:
    return list(_BY_NAME)


def get_parser(name: str) -> Parser:
    """The parser registered under `name`; ParseError when there is none."""
    try:
        return _BY_NAME[name]()
    except KeyError:
        raise ParseError(f"unknown format {name!r} (known: {', '.join(_BY_NAME)})") from None


def detect(text: str) -> Parser:
    """The parser whose format `text` is in; ParseError otherwise (never quoting the content)."""
    for cls in PARSERS:
        if cls.detect(text):
            return cls()
    raise ParseError("unknown format: not a registry page or export we can read")


def parse_document(content: bytes, *, format: str | None = None) -> ParseResult:
    """Decode, detect (or force `format`) and parse one document.

    `records` may be an iterator (a page of many studies is read study by study):
    its `problems` then fill, and a ParseError may be raised, while it is consumed."""
    text, decode_problems = decode(content)
    parser = get_parser(format) if format else detect(text)
    records = parser.parse(text)
    parser.problems[:0] = decode_problems
    return ParseResult(records, parser.problems, parser.name, parser.version)


__all__ = [
    "MAX_DOCUMENT_BYTES", "PARSERS", "ParseError", "ParseResult", "Parser", "Problems", "decode", "detect", "get_parser",
    "parse_document", "parser_names",
]  # fmt: skip
