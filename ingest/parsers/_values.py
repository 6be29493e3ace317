"""Small helpers on registry values that every format shares."""

from __future__ import annotations

import re
from collections.abc import Iterable


def unique(items: Iterable[str | None]) -> list[str]:
    """Items in first-seen order, trimmed, without duplicates, blanks or absent (None) items."""
    seen: dict[str, None] = {}
    for item in items:
        item = (item or "").strip()
        if item and item not in seen:
            seen[item] = None
    return list(seen)


def first_value(*values: str | None) -> str | None:
    """The first non-empty value; else "" if any value was carried; else None (absent)."""
    for value in values:
        if value:
            return value
    return "" if any(v is not None for v in values) else None


def joined(items: list[str] | None, sep: str) -> str | None:
    """`items` joined by `sep`; None when the list is absent."""
    return None if items is None else sep.join(items)


def one_line(text: str, limit: int | None = None) -> str:
    """`text` with its whitespace collapsed, cut to `limit` characters with "…"."""
    text = " ".join(text.split())
    return text if limit is None or len(text) <= limit else text[: limit - 1] + "…"


def dedent(text: str) -> str:
    """A multi-line value: trailing spaces, the common indent and runs of blank lines
    removed, line breaks kept."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    indents = [len(line) - len(line.lstrip()) for line in lines if line.strip()]
    cut = min(indents, default=0)
    return re.sub(r"\n{3,}", "\n\n", "\n".join(line[cut:] for line in lines)).strip()


def outcome_text(outcomes: list[tuple[str, str]]) -> str:
    """Outcome measures as one text: each "measure" paragraph with its description below."""
    return "\n\n".join("\n".join(part for part in pair if part) for pair in outcomes if any(pair))
