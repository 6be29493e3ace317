"""What every classifier returns: a value, the evidence for it, and review flags.

A `Classification` is the answer of one classifier (modality, cell source,
scope, trial type, products, antigens, disease categories) for one trial:

* `value`: the classifier's value (a sorted list of strings, a string or a bool,
  as each classifier documents);
* `evidence`: why, as a list of small JSON-safe dicts, one per supporting fact,
  in the order they were found. Each has a `"value"` (the value it supports) and
  either
    - `"field"` and `"phrase"`: the record field the text came from (`title`,
      `official_title`, `title_zh`, `acronym`, `interventions`, `arms`,
      `keywords`, `summary`, `description`, `objectives`, `conditions`,
      `study_type`) and the matched words with a little context, at most 120
      characters; or
    - `"source"`: `"product dictionary: <product> (<source of that fact>)"` when
      a named product's dictionary entry decided it, or `"default"` when nothing
      in the record did;
* `review`: short sentences saying why a person should check this value
  (conflicting statements, a CAR mentioned with no cell type...); empty when the
  classifier is sure enough.

Everything here is pure and cheap: no database, no network.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ingest.records import TrialRecord

__all__ = [
    "PHRASE_MAX",
    "Classification",
    "FieldText",
    "default",
    "from_product",
    "found",
    "phrase",
    "record_texts",
    "sentence_bounds",
]

PHRASE_MAX = 120


@dataclass
class Classification:
    """A classifier's answer for one trial: value, evidence (list of dicts), review flags."""

    value: Any
    evidence: list[dict[str, Any]] = field(default_factory=list)
    review: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class FieldText:
    """One piece of a record's text: the field it is from, the text, and whether it is short
    (a name-like field: title, acronym, intervention or arm name, keyword, condition)."""

    field: str
    text: str
    short: bool


def _nfkc(text: str) -> str:
    return text if text.isascii() else unicodedata.normalize("NFKC", text)


def record_texts(record: TrialRecord, *, conditions: bool = False) -> list[FieldText]:
    """The descriptive texts of a record, in reading order; never eligibility criteria.

    Titles, acronym, interventions (name, other names, description), arms (label,
    description), keywords, brief summary, detailed description, objectives;
    conditions too when asked. Texts are NFKC-normalised; empty ones are left out.
    """
    record = record.filled()
    parts: list[FieldText] = []

    def add(name: str, text: str, short: bool) -> None:
        if text and text.strip():
            parts.append(FieldText(name, _nfkc(text), short))

    add("title", record.title, True)
    add("official_title", record.official_title, True)
    add("title_zh", record.title_zh, True)
    add("official_title_zh", record.official_title_zh, True)
    add("acronym", record.acronym, True)
    for intervention in record.interventions:
        add("interventions", intervention.name, True)
        for name in intervention.other_names:
            add("interventions", name, True)
    for arm in record.arms:
        add("arms", arm.label, True)
    for keyword in record.keywords:
        add("keywords", keyword, True)
    for intervention in record.interventions:
        add("interventions", intervention.description, False)
    for arm in record.arms:
        add("arms", arm.description, False)
    add("summary", record.brief_summary, False)
    add("description", record.detailed_description, False)
    add("objectives", record.objectives, False)
    if conditions:
        for condition in record.conditions:
            add("conditions", condition, True)
    return parts


_WORD_EDGE = re.compile(r"\s")


def phrase(text: str, start: int, end: int, limit: int = PHRASE_MAX) -> str:
    """The words around text[start:end], at most `limit` characters, on one line.

    The match itself is always kept (cut to `limit` if it is longer); context is
    added evenly on both sides and trimmed back to whole words.
    """
    start, end = max(0, start), min(len(text), end)
    if end - start >= limit:
        return " ".join(text[start : start + limit].split())
    room = (limit - (end - start)) // 2
    left, right = max(0, start - room), min(len(text), end + room)
    if left > 0:
        cut = _WORD_EDGE.search(text, left, start)
        left = cut.end() if cut else start
    if right < len(text):
        spaces = [m.start() for m in _WORD_EDGE.finditer(text, end, right)]
        right = spaces[-1] if spaces else end
    snippet = " ".join(text[left:right].split())
    return snippet[:limit]


def found(value: Any, field_name: str, text: str, start: int, end: int) -> dict[str, Any]:
    """Evidence that `value` was read from `text[start:end]` in `field_name`."""
    return {"value": value, "field": field_name, "phrase": phrase(text, start, end)}


def from_product(value: Any, product: str, source: str) -> dict[str, Any]:
    """Evidence that a product dictionary entry decided `value`."""
    detail = f"{product} ({source})" if source else product
    return {"value": value, "source": f"product dictionary: {detail}"}


def default(value: Any) -> dict[str, Any]:
    """Evidence that nothing in the record decided `value`: it is the default."""
    return {"value": value, "source": "default"}


_SENTENCE_BREAK = re.compile(r"(?:[.;!?。；](?=\s|$)|:\s*\n|\n\s*\n|\n\s*[*\-•]\s)")


def sentence_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """(begin, end) of the sentence around text[start:end]."""
    begin = 0
    for m in _SENTENCE_BREAK.finditer(text, max(0, start - 400), start):
        begin = m.end()
    stop = _SENTENCE_BREAK.search(text, end)
    return begin, stop.start() if stop else len(text)


def iter_unique(items) -> Iterator:
    seen: set = set()
    for item in items:
        if item not in seen:
            seen.add(item)
            yield item
