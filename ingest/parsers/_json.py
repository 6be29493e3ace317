"""Reading large JSON documents item by item, in bounded memory.

A ClinicalTrials.gov page can hold thousands of studies; loading it whole with
`json.loads` costs about 80 times its size in Python objects (a 24 MB page of
empty objects took 2 GB). `iter_items()` streams the items of one list of the
document with ijson, so only one item is in memory at a time.

Only ijson's basic events are used (no "prefix" paths): ijson builds a prefix
string for every level it enters, which on a deeply nested or long-keyed
document costs far more memory than the document itself. Values are built here,
with a depth limit like `json.loads`' recursion limit.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import ijson

from ingest.parsers._values import one_line
from ingest.records import ParseError

MAX_DEPTH = 500  # real studies nest about 8 deep; json.loads gives up near 1,000

Events = Iterator[tuple[str, Any]]
_PYTHON = ijson.get_backend("python")
_LONG_NUMBER = re.compile(rb"\d{19}")
_STARTS = ("start_map", "start_array")
_ENDS = ("end_map", "end_array")


def events(data: bytes) -> Events:
    """The document's parse events: ("start_map", None), ("map_key", "studies"),
    ("start_array", None), ("string", "x"), ... Read them inside `errors()`."""
    # yajl refuses integers beyond 64 bits, which JSON allows; the pure-Python
    # reader (several times slower) takes them.
    backend = _PYTHON if _LONG_NUMBER.search(data) else ijson
    return backend.basic_parse(io.BytesIO(data), use_float=True)


@contextmanager
def errors() -> Iterator[None]:
    """Turns ijson's errors on invalid or truncated JSON into a one-line ParseError."""
    try:
        yield
    except ijson.IncompleteJSONError as exc:
        raise ParseError(f"truncated or invalid JSON: {one_line(str(exc), 160)}") from None
    except ijson.JSONError as exc:
        raise ParseError(f"invalid JSON: {one_line(str(exc), 160)}") from None


def skip(stream: Events, event: str) -> None:
    """Reads past the value whose first event was `event` (nothing to do for a scalar)."""
    if event not in _STARTS:
        return
    depth = 1
    for event, _ in stream:
        if event in _STARTS:
            depth += 1
        elif event in _ENDS:
            depth -= 1
            if not depth:
                return


def build(stream: Events, event: str, value: Any) -> Any:
    """The value whose first event was (`event`, `value`), as `json.loads` gives it;
    ParseError when it nests deeper than `MAX_DEPTH`."""
    if event not in _STARTS:
        return value
    current: Any = {} if event == "start_map" else []
    stack: list[tuple[Any, Any]] = []
    key = None
    for event, value in stream:
        if event == "map_key":
            key = value
        elif event in _STARTS:
            child: Any = {} if event == "start_map" else []
            if type(current) is dict:
                current[key] = child
            else:
                current.append(child)
            stack.append((current, key))
            if len(stack) >= MAX_DEPTH:
                raise ParseError("invalid JSON: nested too deeply")
            current = child
        elif event in _ENDS:
            if not stack:
                return current
            current, key = stack.pop()
        elif type(current) is dict:
            current[key] = value
        else:
            current.append(value)
    return current


def iter_items(data: bytes, path: tuple[str, ...]) -> Iterator[Any]:
    """The items of the list found by following the object keys `path` from the top
    (the first member of each name; () for a top-level list), one at a time.
    Nothing when there is no list there; ParseError on invalid JSON."""
    stream = events(data)
    with errors():
        event, _ = next(stream, ("", None))
        for name in path:
            if event != "start_map" or not _enter(stream, name):
                return
            event, _ = next(stream)
        if event != "start_array":
            return
        for event, value in stream:
            if event == "end_array":
                return
            yield build(stream, event, value)


def _enter(stream: Events, name: str) -> bool:
    """Reads the members of the object just opened up to the value of `name`; False
    (the object read to its end) when it has no such member."""
    for event, value in stream:
        if event == "end_map":
            return False
        if value == name:
            return True
        event, _ = next(stream)
        skip(stream, event)
    return False


def json_type(value: Any) -> str:
    """The JSON kind of a decoded value, for messages ("a number", "an object")."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def event_type(event: str, value: Any) -> str:
    """`json_type` of the value whose first event is (`event`, `value`)."""
    if event == "start_map":
        return "an object"
    if event == "start_array":
        return "a list"
    return json_type(value)


def load(text: str) -> Any:
    """A small JSON document, whole."""
    try:
        return json.loads(text)
    except RecursionError:
        raise ParseError("invalid JSON: nested too deeply") from None
    except ValueError as exc:
        raise ParseError(f"truncated or invalid JSON: {one_line(str(exc))}") from None
