"""Safe XML parsing and element helpers for the XML formats (ClinicalTrials.gov
``<clinical_study>``, WHO ICTRP exports).

`parse_xml` never expands entities, loads a DTD or touches the network, and
XInclude is never processed; the text helpers leave out comments, processing
instructions and unexpanded entity references.
"""

from __future__ import annotations

import re

from lxml import etree

from ingest.parsers._values import dedent
from ingest.records import ParseError

_PROLOG = re.compile(r"\s*(?:<\?.*?\?>\s*|<!--.*?-->\s*|<!DOCTYPE[^>\[]*(?:\[.*?\])?\s*>\s*)*", re.DOTALL)
_FIRST_TAG = re.compile(r"<([A-Za-z_][\w.\-]*:)?([A-Za-z_][\w.\-]*)")
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")


def root_tag(text: str) -> str:
    """Local name of the first element of an XML document, "" when there is none. Never raises."""
    head = text[:8192].lstrip("\ufeff")
    prolog = _PROLOG.match(head)
    match = _FIRST_TAG.match(head, prolog.end() if prolog else 0)
    return match.group(2) if match else ""


def parse_xml(text: str) -> etree._Element:
    """Parse XML safely (no entity expansion, no network, no DTD); ParseError on bad XML."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.fromstring(_XML_DECLARATION.sub("", text, count=1), parser)
    except etree.XMLSyntaxError as exc:
        raise ParseError(f"truncated or invalid XML: {' '.join(str(exc).split())}") from None
    except ValueError as exc:
        raise ParseError(f"invalid XML: {' '.join(str(exc).split())}") from None
    if root is None:
        raise ParseError("invalid XML: no root element")
    return root


def local(el: etree._Element) -> str:
    """Element tag without namespace ("" for comments, processing instructions, entities)."""
    tag = el.tag
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def string_of(el: etree._Element) -> str:
    """An element's text with its descendants', leaving out comments, processing
    instructions and (unexpanded) entity references."""
    parts = [el.text or ""]
    for node in el:
        if isinstance(node.tag, str):
            parts.append(string_of(node))
        parts.append(node.tail or "")
    return "".join(parts)


def text_of(el: etree._Element | None) -> str:
    """An element's text (see `string_of`), collapsed to one line."""
    if el is None:
        return ""
    return " ".join(string_of(el).split())


def block_of(el: etree._Element | None) -> str:
    """An element's multi-line text, dedented and stripped, line breaks kept."""
    if el is None:
        return ""
    return dedent(string_of(el))


def children(el: etree._Element | None, *names: str) -> list[etree._Element]:
    """Direct child elements whose local name is one of `names`, in document order."""
    if el is None:
        return []
    return [child for child in el if local(child) in names]


def child(el: etree._Element | None, *names: str) -> etree._Element | None:
    """The first direct child named (in order of preference) one of `names`."""
    for name in names:
        found = children(el, name)
        if found:
            return found[0]
    return None


def child_texts(el: etree._Element | None, *names: str) -> list[str] | None:
    """Texts of the children named `names`; None when there is no such child (absent)."""
    found = children(el, *names)
    if not found:
        return None
    return [value for value in (text_of(c) for c in found) if value]


def first_text(el: etree._Element | None, *names: str) -> str | None:
    """The first non-empty text among the children named `names` (in order of
    preference); "" when such children are there but empty; None when none is."""
    carried = False
    for name in names:
        for found in children(el, name):
            carried = True
            value = text_of(found)
            if value:
                return value
    return "" if carried else None
