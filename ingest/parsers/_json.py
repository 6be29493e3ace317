"""Reading large JSON documents item by item, in bounded memory.

A ClinicalTrials.gov page can hold thousands of studies; loading it whole with
`json.loads` costs about 80 times its size in Python objects (a 24 MB page of
empty objects took 2 GB). `iter_items()` streams the items of the document's
study list with ijson, so only one study is in memory at a time.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import ijson

from ingest.records import ParseError

# Where a document's list of studies sits, by the shape of its first keys.
LIST_PREFIXES = {
    "studies": "studies.item",
    "FullStudiesResponse": "FullStudiesResponse.FullStudies.item",
    "FullStudies": "FullStudies.item",
}
SINGLE_KEYS = ("protocolSection", "ProtocolSection", "Study")


def document_shape(data: bytes) -> tuple[str, str | None]:
    """("list", prefix) for a document holding a list of studies, ("single", None) for
    one study or another object to load whole. Reads only the first events."""
    try:
        events = ijson.parse(io.BytesIO(data), use_float=True)
        prefix, event, value = next(events)
        if event == "start_array":
            return "list", "item"
        if event != "start_map":
            return "single", None
        depth_keys = 0
        for prefix, event, value in events:
            if event == "map_key" and prefix == "":
                if value in SINGLE_KEYS:
                    return "single", None
                if value in LIST_PREFIXES:
                    return "list", LIST_PREFIXES[value]
                depth_keys += 1
                if depth_keys > 50:
                    break
        return "single", None
    except (ijson.JSONError, StopIteration):
        return "single", None


def iter_items(data: bytes, prefix: str) -> Iterator[Any]:
    """The items under `prefix`, one at a time; ParseError on invalid JSON."""
    try:
        yield from ijson.items(io.BytesIO(data), prefix, use_float=True)
    except ijson.IncompleteJSONError as exc:
        raise ParseError(f"truncated or invalid JSON: {' '.join(str(exc).split())[:160]}") from None
    except ijson.JSONError as exc:
        raise ParseError(f"invalid JSON: {' '.join(str(exc).split())[:160]}") from None


def load(text: str) -> Any:
    """A small JSON document, whole."""
    try:
        return json.loads(text)
    except RecursionError:
        raise ParseError("invalid JSON: nested too deeply") from None
    except ValueError as exc:
        raise ParseError(f"truncated or invalid JSON: {' '.join(str(exc).split())}") from None
