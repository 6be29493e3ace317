"""Reading rendered pages: helpers shared by the page parsers (ClinicalTrials.gov classic and modern).

Both parsers read a page as a list of text lines (`page_lines`). For HTML the lines come from
`html_lines`, a small block-aware renderer: block elements start new lines,
inline elements stay on their line, and each table row becomes one "row" whose
cells are separated by `|`, the same convention as the text renderings of
those pages. Everything here is pure and never touches the network.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bs4 import BeautifulSoup, Comment, NavigableString, Tag

from ingest.records import Contact, SiteRecord

_BLOCK_TAGS = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "body",
        "center",
        "dd",
        "details",
        "dialog",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "html",
        "legend",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "summary",
        "ul",
    ]
)
_PARAGRAPH_TAGS = frozenset(
    ["blockquote", "dl", "h1", "h2", "h3", "h4", "h5", "h6", "ol", "p", "pre", "section", "table", "ul"]
)
_DROPPED_TAGS = frozenset(
    ["caption", "head", "iframe", "noscript", "script", "style", "svg", "template", "button", "select", "input"]
)
_MARKDOWN_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!<>^|~=])")
# A layout gap of three or more no-break spaces (with any spaces around them).
# A match can only begin where such a run of blanks begins: trying every
# position inside a long run of spaces made the substitution quadratic.
_NBSP_GAP = re.compile(r"(?<![ \t\r\n])[ \t\r\n]*\xa0(?:[ \t\r\n]*\xa0){2,}[ \t\r\n]*")
_SPACES = re.compile(r"[ \t\f\v\xa0\u2000-\u200a\u202f\u205f\u3000]+")
_ZERO_WIDTH = re.compile(r"[\u200b-\u200d\u2060\ufeff]")
_NCT_ID = re.compile(r"\bNCT\d{8}\b")


def looks_like_html(text: str) -> bool:
    """True when the document is HTML markup rather than a text rendering."""
    head = text[:4096].lower()
    tags = (
        "<html",
        "<body",
        "<!doctype html",
        "<head",
        "<div",
        "<table",
        "<section",
        "<main",
        "<article",
        "<dl",
        "<h1",
        "<h2",
        "<p>",
        "<p ",
        "<span",
    )
    return any(tag in head for tag in tags)


def looks_like_data(text: str) -> bool:
    """True for JSON and XML records, which the page parsers must leave alone."""
    head = text.lstrip()[:300].lower()
    if head.startswith(("{", "[")):
        return True
    if head.startswith(("<?xml", "<clinical_study", "<trials", "<trial", "<study", "<!doctype clinical")):
        return "<html" not in text[:4096].lower()
    return False


def clean_line(line: str) -> str:
    """One line with layout whitespace collapsed and zero-width characters removed."""
    return _SPACES.sub(" ", _ZERO_WIDTH.sub("", line)).strip()


def text_lines(text: str, *, unescape_markdown: bool = True) -> list[str]:
    """Lines of a text rendering, cleaned; blank lines are kept as "" (runs collapsed)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    # What `clean_line` and the unescaping do to each line, done to the whole text at
    # once: none of the patterns matches a line break, so only the strip is per line.
    text = _SPACES.sub(" ", _ZERO_WIDTH.sub("", text))
    if unescape_markdown:
        text = _MARKDOWN_ESCAPE.sub(r"\1", text)
    lines: list[str] = []
    for raw in text.split("\n"):
        line = raw.strip()
        if line or (lines and lines[-1]):
            lines.append(line)
    while lines and not lines[-1]:
        lines.pop()
    return lines


def parse_html(html: str) -> BeautifulSoup:
    """A BeautifulSoup tree of `html` (lxml parser)."""
    return BeautifulSoup(html, "lxml")


def html_lines(source: str | BeautifulSoup) -> list[str]:
    """Render HTML as text lines: blocks on their own lines, table rows as `a | b |`."""
    soup = parse_html(source) if isinstance(source, str) else source
    root = soup.body or soup
    out = _Lines()
    _render(root, out)
    return text_lines("\n".join(out.finish()), unescape_markdown=False)


def html_title(soup: BeautifulSoup) -> str:
    """Text of the page's first `<h1>`, or ""."""
    h1 = soup.find("h1")
    return clean_line(h1.get_text(" ")) if h1 else ""


def page_lines(text: str) -> tuple[list[str], str, str]:
    """(lines, heading, rendering) of a page: its HTML rendered (`html_lines`, the
    first `<h1>` as heading) or its text rendering's lines (no heading);
    `rendering` is "html" or "text"."""
    if looks_like_html(text):
        soup = parse_html(text)
        return html_lines(soup), html_title(soup), "html"
    return text_lines(text), "", "text"


class _Lines:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.current: list[str] = []

    def add(self, text: str) -> None:
        self.current.append(text)

    def flush(self) -> None:
        line = clean_line("".join(self.current))
        self.current = []
        if line:
            self.lines.append(line)

    def blank(self) -> None:
        self.flush()
        if self.lines and self.lines[-1]:
            self.lines.append("")

    def finish(self) -> list[str]:
        self.flush()
        return self.lines


def _is_hidden(tag: Tag) -> bool:
    classes = tag.get("class") or []
    style = (tag.get("style") or "").replace(" ", "").lower()
    return "sr-only" in classes or "display:none" in style or tag.has_attr("hidden")


def _render(node: Tag, out: _Lines) -> None:
    for child in node.children:
        if isinstance(child, Comment):
            continue
        if isinstance(child, NavigableString):
            text = _NBSP_GAP.sub(" | ", str(child))
            out.add(re.sub(r"\s+", " ", text))
            continue
        if not isinstance(child, Tag):
            continue
        name = child.name.lower()
        if name in _DROPPED_TAGS or _is_hidden(child):
            continue
        if name == "br":
            out.flush()
        elif name == "table":
            out.blank()
            _render_table(child, out)
            out.blank()
        elif name in _BLOCK_TAGS:
            if name in _PARAGRAPH_TAGS:
                out.blank()
            else:
                out.flush()
            _render(child, out)
            if name in _PARAGRAPH_TAGS:
                out.blank()
            else:
                out.flush()
        elif name in ("tr", "td", "th"):
            out.flush()
            _render(child, out)
            out.flush()
        else:
            _render(child, out)


def _cell_lines(cell: Tag) -> list[str]:
    sub = _Lines()
    _render(cell, sub)
    return [line for line in sub.finish() if line]


def _render_table(table: Tag, out: _Lines) -> None:
    rows = [tr for tr in table.find_all("tr") if tr.find_parent("table") is table]
    for tr in rows:
        row = [_cell_lines(c) for c in tr.find_all(["th", "td"], recursive=False)]
        if not any(row):
            continue
        if len(row) == 1:
            out.lines.extend(row[0])
            continue
        if all(len(c) <= 1 for c in row):
            out.lines.append(" | ".join(c[0] if c else "" for c in row) + " |")
            continue
        for cell in row:
            out.lines.extend(cell[:-1])
            out.lines.append((cell[-1] + " |") if cell else "|")


def cells(line: str) -> list[str]:
    """The non-empty `|`-separated cells of a line."""
    return [c.strip() for c in line.split("|") if c.strip()]


def first_cell(line: str) -> str:
    """The first non-empty cell of a line ("" for a blank line)."""
    found = cells(line)
    return found[0] if found else ""


def find_nct_id(text: str) -> str:
    """The first NCT number in `text`, or ""."""
    match = _NCT_ID.search(text)
    return match.group(0) if match else ""


# A number is read whole (nothing after it starts with a digit), so a long run of
# digits is not tried again at every shorter length.
_AGE = r"\d+(?!\d)(?:\.\d+(?!\d))?\s*(?:Years?|Months?|Weeks?|Days?|Hours?|Minutes?)"
_AGE_RANGE = re.compile(rf"^({_AGE})\s*(?:to|-|–|—|~)\s*({_AGE})", re.IGNORECASE)
_AGE_MIN = re.compile(
    rf"^({_AGE})\s*(?:and|or)\s+(?:older|over|above|up)|^({_AGE})\s*\+|^(?:at least|minimum)\s+({_AGE})", re.IGNORECASE
)
_AGE_MAX = re.compile(
    rf"^(?:up to|and younger than|younger than|under|maximum)\s+({_AGE})|^({_AGE})\s*(?:and|or)\s+(?:younger|under|below)",
    re.IGNORECASE,
)


def split_age_range(text: str) -> tuple[str, str]:
    """(min, max) as the page writes them, from e.g. "1 Year to 75 Years (Child, Adult)".

    "18 Years and older" gives ("18 Years", ""); "up to 17 Years" gives ("", "17 Years").
    """
    text = clean_line(text)
    if match := _AGE_RANGE.match(text):
        return match.group(1), match.group(2)
    if match := _AGE_MIN.match(text):
        return next(g for g in match.groups() if g), ""
    if match := _AGE_MAX.match(text):
        return "", next(g for g in match.groups() if g)
    return "", ""


_ZIP = re.compile(r"\d")


def split_address(address: str, country_hint: str = "") -> tuple[str, str, str]:
    """(city, state, country) from "Shenzhen, Guangdong, China, 518000"-like lines."""
    parts = [p.strip() for p in address.split(",") if p.strip()]
    if not parts:
        return "", "", ""
    if country_hint:
        lowered = [p.lower() for p in parts]
        if country_hint.lower() in lowered[1:]:
            index = len(lowered) - 1 - lowered[::-1].index(country_hint.lower())
            return parts[0], ", ".join(parts[1:index]), parts[index]
    named = [p for p in parts if not _ZIP.search(p)] or parts
    if len(named) == 1:
        return (named[0], "", country_hint) if country_hint else ("", "", named[0])
    return named[0], ", ".join(named[1:-1]), named[-1]


def address_zip(address: str) -> str | None:
    """The postal code of a "City, State, Country, Zip" line: its last part after the
    city holding a digit; None when the line has none."""
    parts = _parts(address)[1:]
    return next((p for p in reversed(parts) if _ZIP.search(p)), None)


def _parts(line: str) -> list[str]:
    return [p.strip() for p in line.split(",") if p.strip()]


def _is_group_header(entries: Sequence[str], i: int) -> bool:
    country = _parts(entries[i])[0].lower()
    return any(country in [p.lower() for p in _parts(later)[1:]] for later in entries[i + 1 : i + 4])


def _is_address(line: str, country: str) -> bool:
    parts = _parts(line)
    if len(parts) < 2:
        return False
    return not country or country.lower() in [p.lower() for p in parts[1:]] or bool(_ZIP.search(parts[-1]))


@dataclass
class SiteNote:
    """What a page says next to one location line: the site's recruitment status and
    its contacts (None: the page says nothing of them there)."""

    status: str | None = None
    contacts: list[Contact] | None = None

    def add_contact(self, contact: Contact) -> None:
        self.contacts = [*(self.contacts or []), contact]


def _site(facility: str, notes: list[SiteNote], **place: str | None) -> SiteRecord:
    status = next((n.status for n in notes if n.status is not None), None)
    contacts = [c for n in notes for c in n.contacts or []]
    carried = any(n.contacts is not None for n in notes)
    return SiteRecord(institution=facility, status=status, contacts=contacts if carried else None, **place)


def read_sites(
    entries: Sequence[str], known_countries: Sequence[str] = (), notes: Sequence[SiteNote] | None = None
) -> list[SiteRecord]:
    """Sites from location lines: "[Country, State]", "Facility", "City, State, Country, Zip"...

    A line whose first part reappears as a later part of a following address is a
    country (and state) group header; a line after a facility with several comma
    parts is that facility's address; anything else starts a new facility.
    `notes[i]` (if given) holds the status and contacts the page shows with
    `entries[i]`; a site takes those of its facility line and its address line.
    """
    note = (lambda i: notes[i]) if notes is not None else (lambda i: SiteNote())
    sites: list[SiteRecord] = []
    country: str | None = None
    facility: int | None = None
    for i, line in enumerate(entries):
        if facility is not None and _is_address(line, country or ""):
            lowered = [p.lower() for p in _parts(line)[1:]]
            hint = country or next((c for c in known_countries if c.lower() in lowered), "")
            city, state, site_country = split_address(line, hint)
            sites.append(
                _site(
                    entries[facility],
                    [note(facility), note(i)],
                    city=city,
                    state=state,
                    country=site_country,
                    zip=address_zip(line),
                )
            )
            facility = None
            continue
        if _is_group_header(entries, i):
            if facility is not None:
                sites.append(_site(entries[facility], [note(facility)], country=country))
            country, facility = _parts(line)[0], None
            continue
        if facility is not None:
            sites.append(_site(entries[facility], [note(facility)], country=country))
        facility = i
    if facility is not None:
        sites.append(_site(entries[facility], [note(facility)], country=country))
    return sites


_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# A phone number: digits with the usual separators (at least six digits), an extension.
_PHONE = re.compile(r"\+?\(?\d[\d ()./-]{4,40}\d(?:\s*(?:ext\.?|x|extension)\s*\d{1,6})?", re.IGNORECASE)


def read_contact(text: str, role: str) -> Contact:
    """A contact from one line such as "Jane Roe, MD | 626-555-0100 ext. 12 | jroe@example.org"
    (cells or plain spaces between the parts): the e-mail, the phone, the name before them."""
    text = " ".join(cells(text))
    email_match = _EMAIL.search(text)
    email = email_match.group(0) if email_match else None
    if email_match:
        text = text[: email_match.start()] + " " + text[email_match.end() :]
    phone = None
    for match in _PHONE.finditer(text):
        if sum(ch.isdigit() for ch in match.group(0)) >= 6:
            phone = clean_line(match.group(0))
            text = text[: match.start()] + " " + text[match.end() :]
            break
    name = clean_line(text).strip(" ,;|")
    return Contact(role=role, name=name or None, phone=phone, email=email)


def leading_number(value: str) -> str:
    """The first number in `value` as written ("20 participants" -> "20"), or ""."""
    match = re.search(r"\d[\d,]*(?:\.\d+)?", value)
    return match.group(0).rstrip(",") if match else ""


_BLURB_VERBS = frozenset(
    [
        "access",
        "browse",
        "check",
        "compare",
        "consult",
        "discover",
        "dive",
        "examine",
        "explore",
        "find",
        "follow",
        "get",
        "identify",
        "inspect",
        "investigate",
        "learn",
        "look",
        "meet",
        "read",
        "reach",
        "review",
        "scan",
        "see",
        "track",
        "understand",
        "use",
        "view",
        "visit",
    ]
)


_BLURB_WORDS = re.compile(
    r"\b(?:trials?|stud(?:y|ies)|research|you|your|here|below|above|listed|section|details|information|page)\b",
    re.IGNORECASE,
)


def is_blurb(line: str, *, list_section: bool = False) -> bool:
    """True for an editorial one-sentence introduction placed right under a section heading.

    Such blurbs are addressed to the reader ("Review the sponsor-provided synopsis…",
    "Explore where the study is taking place…"): one sentence in the imperative.
    Under list-like sections (conditions, sites, sponsors…), whose items are names, a
    prose sentence about the page or its reader ("…listed here", "…for this trial") is one too.
    """
    line = line.strip()
    if not line or len(line) > 300 or not line.endswith("."):
        return False
    words = line.split()
    if re.sub(r"\W", "", words[0].lower()) in _BLURB_VERBS and len(words) >= 5:
        return True
    if not list_section or len(words) < 6:
        return False
    prose = sum(1 for w in words[1:] if w[:1].islower()) >= (len(words) - 1) / 2
    return prose and bool(_BLURB_WORDS.search(line))


def join_lines(lines: Iterable[str]) -> str:
    """Non-blank lines joined by newlines."""
    return "\n".join(line.strip() for line in lines if line.strip())
