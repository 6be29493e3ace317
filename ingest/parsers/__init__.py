"""Registry parsers, one module per format. See `base` for the contract."""

from ingest.parsers.base import ParseError, Parser, decode, detect, get_parser, parse_document, parser_names

__all__ = ["ParseError", "Parser", "decode", "detect", "get_parser", "parse_document", "parser_names"]
