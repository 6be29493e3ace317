"""Eligibility criteria: splitting one block into its inclusion and exclusion parts.

Every ClinicalTrials.gov format (and ICTRP's copies of those trials) writes the
criteria as one block with "Inclusion Criteria:" / "Exclusion Criteria:"
headings; `split_criteria` is the one split they all use.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_HEADING = re.compile(
    r"^[ \t]*(?:[-*#•>]+[ \t]*)?(?:\*\*)?"
    r"(?P<prefix>(?:[A-Za-z][\w/()-]*[ \t]+){0,3}?)"
    r"(?P<kind>inclusion|exclusion)[ \t]+criteria\b(?P<rest>[^\n]*)$",
    re.IGNORECASE | re.MULTILINE,
)
_HEADING_LINE = re.compile(
    r"^[\W_]*(?:key\s+|main\s+|major\s+)?(?:inclusion|exclusion)\s+criteria\b\s*[:：]?", re.IGNORECASE
)


def split_criteria(text: str) -> tuple[str, str]:
    """Split an eligibility block into (inclusion, exclusion) at its headings.

    A heading is a line such as "Inclusion Criteria:", "Key Exclusion Criteria",
    "Donor Inclusion Criteria:" or "Inclusion criteria for Part A:". Plain headings
    are dropped; qualified ones are kept as the first line of their section, so
    "Donor ..." context survives. Several sections of one kind are joined with a
    blank line; text before the first heading goes to inclusion. Without any
    heading both parts are "" (the caller keeps the whole block as eligibility text).
    """
    headings: list[tuple[re.Match[str], str, str]] = []
    for match in _HEADING.finditer(text):
        rest = match.group("rest").strip().strip("*").strip()
        prefix = match.group("prefix").strip()
        if not rest or rest == ":":
            keep = match.group(0).strip() if prefix else ""
        elif rest.startswith(":"):
            keep = match.group(0).strip() if prefix else rest[1:].strip()
        elif rest.endswith(":") and len(rest) <= 100:
            keep = match.group(0).strip()
        else:
            continue
        headings.append((match, match.group("kind").lower(), keep))
    if not headings:
        return "", ""
    parts: dict[str, list[str]] = {"inclusion": [], "exclusion": []}
    preamble = text[: headings[0][0].start()].strip()
    if preamble:
        parts["inclusion"].append(preamble)
    for index, (match, kind, keep) in enumerate(headings):
        end = headings[index + 1][0].start() if index + 1 < len(headings) else len(text)
        body = text[match.end() : end].strip("\n").rstrip()
        section = "\n".join(piece for piece in (keep, _dedent_block(body)) if piece)
        if section:
            parts[kind].append(section)
    return "\n\n".join(parts["inclusion"]), "\n\n".join(parts["exclusion"])


def _dedent_block(text: str) -> str:
    lines = text.split("\n")
    indents = [len(line) - len(line.lstrip(" \t")) for line in lines if line.strip()]
    cut = min(indents, default=0)
    return "\n".join(line[cut:] if line.strip() else "" for line in lines).strip()


def is_criteria_heading(line: str) -> bool:
    """True for an "Inclusion Criteria:" / "Exclusion Criteria" heading line."""
    return bool(_HEADING_LINE.match(line))


def split_criteria_lines(lines: Iterable[str]) -> tuple[str, str, str]:
    """(inclusion, exclusion, whole) from the lines of a page's eligibility block.

    When the block has no inclusion/exclusion heading only `whole` is filled.
    """
    text = "\n".join(line.strip() for line in lines if line.strip())
    inclusion, exclusion = split_criteria(text)
    if inclusion or exclusion:
        return inclusion, exclusion, ""
    return "", "", text
