"""Eligibility criteria as lists: a registry's inclusion or exclusion text split on its
own numbering and bullets, for the trial page. Pure (no ORM); the text itself is never
changed beyond un-escaping ClinicalTrials.gov's Markdown backslashes.

Registries write criteria in many shapes; what is read here:
- one criterion per line, numbered ("1.", "1、", "1)", "1）", "(1)", "（1）") or bulleted
  ("*", "-", "•"), nested by indentation (ClinicalTrials.gov's Markdown) or, in text whose
  indentation was lost, by a numbering that restarts at 1 and then returns to the outer
  sequence ("6. Organs:" "1. Liver" "2. Kidney" "7. ...": 1-2 belong to 6);
- numbered criteria run together on one line ("(1) ... (2) ..." or "1. ...; 2. ..."), split
  only when the numbers run 1, 2, 3... in one style, so "2.5 mg" or a lone "3." is no list;
- lines that are not criteria: text before the first criterion, or after a blank line and
  unindented, opens a new section (a sub-heading such as "Medical criteria"); any other
  line continues the criterion above it.

`criteria_sections(text)` returns the sections; a text with no list in it is one section
whose `intro` is the whole text (the page then shows it as a paragraph).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# A criterion's own marker at the start of a line: (bullet | number), then the text.
_LINE = re.compile(
    r"^(?P<indent>[ \t]*)(?:"
    r"(?P<bullet>[*\-•·●▪◦○])[ \t]+"
    r"|[(（][ \t]*(?P<pnum>\d{1,2})[ \t]*[)）][ \t]*"
    r"|(?P<num>\d{1,2})[ \t]*(?P<sep>[.、)）])(?!\d)[ \t]*"
    r")(?P<text>\S.*)$"
)
# A number inside running text, where a criterion may begin: after the start, a space or
# a punctuation mark, and (for "N." forms) not the start of a decimal number.
_INLINE = re.compile(
    r"(?:^|(?<=[\s;；。:：,，.]))(?:[(（][ \t]*(?P<pnum>\d{1,2})[ \t]*[)）]|(?P<num>\d{1,2})(?P<sep>[.、)）])(?!\d))"
)
_MARKDOWN_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")


@dataclass
class Criterion:
    """One criterion: its text, the registry's own number (None for a bullet) and sub-criteria."""

    text: str
    number: int | None = None
    children: list[Criterion] = field(default_factory=list)
    numbered_children: bool = False  # the sub-criteria carry numbers (an <ol>, not a <ul>)


@dataclass
class Section:
    """A run of criteria, after the text (if any) that introduces it."""

    intro: str = ""
    items: list[Criterion] = field(default_factory=list)


@dataclass
class _Level:
    indent: int
    kind: str  # "bullet:*", "num:.", "num:(" ...
    items: list[Criterion]
    owner: Criterion | None  # the criterion these are sub-criteria of
    expected: int = 1

    def fits(self, kind: str, number: int | None) -> bool:
        return self.kind == kind and (number is None or number == self.expected)


def _unescape(text: str) -> str:
    return _MARKDOWN_ESCAPE.sub(r"\1", text)


def _width(indent: str) -> int:
    return len(indent.replace("\t", "    "))


class _Builder:
    def __init__(self) -> None:
        self.sections: list[Section] = [Section()]
        self.stack: list[_Level] = []
        self.last: Criterion | None = None
        self.blank_before = False
        self.styles: list[str] = []  # the numbering style of each numbered line, in order

    @property
    def section(self) -> Section:
        return self.sections[-1]

    def line(self, raw: str) -> None:
        if not raw.strip():
            self.blank_before = True
            return
        match = _LINE.match(raw)
        if match:
            self.criterion(match)
        else:
            self.text(raw)
        self.blank_before = False

    def text(self, raw: str) -> None:
        text = raw.strip()
        indent = _width(raw[: len(raw) - len(raw.lstrip())])
        if self.last is None:
            self.section.intro = f"{self.section.intro}\n{text}" if self.section.intro else text
        elif self.blank_before and indent == 0:
            self.sections.append(Section(intro=text))
            self.stack = []
            self.last = None
        else:
            self.last.text = f"{self.last.text}\n{text}"

    def criterion(self, match: re.Match[str]) -> None:
        indent = _width(match.group("indent"))
        number_text = match.group("num") or match.group("pnum")
        number = int(number_text) if number_text else None
        if match.group("bullet"):
            kind = f"bullet:{match.group('bullet')}"
        else:
            kind = f"num:{match.group('sep') or '('}"
            self.styles.append(match.group("sep") or "(")
        item = Criterion(text=match.group("text").strip(), number=number)
        self.level_for(indent, kind, number).items.append(item)
        level = self.stack[-1]
        if number is not None:
            level.expected = number + 1
            if level.owner is not None:
                level.owner.numbered_children = True
        self.last = item

    def level_for(self, indent: int, kind: str, number: int | None) -> _Level:
        stack = self.stack
        if not stack:
            stack.append(_Level(indent, kind, self.section.items, None))
            return stack[-1]
        # Markdown indentation: leave the deeper lists this line is not part of.
        while len(stack) > 1 and stack[-1].indent > indent + 1:
            stack.pop()
        top = stack[-1]
        if indent > top.indent + 1 and top.items:
            return self.push(indent, kind, top.items[-1])
        if top.fits(kind, number):
            return top
        for depth in range(len(stack) - 2, -1, -1):
            if stack[depth].fits(kind, number) and stack[depth].indent <= indent + 1:
                del stack[depth + 1 :]
                return stack[depth]
        if top.items and (number == 1 or top.kind != kind):
            # A restarted numbering, or another kind of marker: a list inside the criterion above.
            return self.push(indent, kind, top.items[-1])
        return top  # the registry skipped or repeated a number: still the same list

    def push(self, indent: int, kind: str, owner: Criterion) -> _Level:
        level = _Level(indent, kind, owner.children, owner)
        self.stack.append(level)
        return level


def _inline(text: str, first_number: int = 1, style: str | None = None) -> tuple[str, list[Criterion]] | None:
    """(lead text, criteria) when `text` runs numbered criteria first_number, +1, +2...
    together (in one style); else None."""
    marks = [
        (m.start(), m.end(), int(m.group("num") or m.group("pnum")), m.group("sep") or "(")
        for m in _INLINE.finditer(text)
    ]
    best: list[tuple[int, int, int, str]] = []
    for i, first in enumerate(marks):
        if first[2] != first_number or (style is not None and first[3] != style):
            continue
        chain = [first]
        for mark in marks[i + 1 :]:
            if mark[2] == chain[-1][2] + 1 and mark[3] == first[3]:
                chain.append(mark)
        if len(chain) > len(best):
            best = chain
    if len(best) < (2 if first_number == 1 else 1):
        return None
    lead = text[: best[0][0]].strip()
    items = []
    for index, (_, end, number, _sep) in enumerate(best):
        stop = best[index + 1][0] if index + 1 < len(best) else len(text)
        piece = text[end:stop].strip()
        if not piece:
            return None
        items.append(Criterion(text=piece, number=number))
    return lead, items


def _finish(items: list[Criterion]) -> None:
    for item in items:
        if not item.children and (split := _inline(item.text)) and split[0]:
            item.text, item.children = split
            item.numbered_children = True
        item.text = _unescape(item.text)
        _finish(item.children)


def criteria_sections(text: str | None) -> list[Section]:
    """The criteria of `text` as sections of (possibly nested) criteria; [] for no text."""
    if not text or not text.strip():
        return []
    builder = _Builder()
    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        builder.line(raw)
    sections = [s for s in builder.sections if s.intro or s.items]
    for section in sections:
        if not section.items and (split := _inline(section.intro)):
            section.intro, section.items = split
        elif len(section.items) == 1:
            only = section.items[0]
            if only.number is None and only.children and not section.intro:
                # One bullet that introduces the list ("* Any of the following: 1. ... 2. ...").
                section.intro, section.items = only.text, only.children
            elif only.number == 1 and not only.children and (rest := _inline(only.text, 2, builder.styles[0])):
                # "1. ...; 2. ...; 3. ..." on one line.
                section.items = [Criterion(rest[0], 1), *rest[1]]
        section.intro = _unescape(section.intro)
        _finish(section.items)
    return sections


def has_list(sections: list[Section]) -> bool:
    """True when the text was split into criteria (else it is shown as written)."""
    return any(section.items for section in sections)
