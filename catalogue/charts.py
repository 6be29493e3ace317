"""Chart geometry and SVG, server-side: shapes with their coordinates, text with
its estimated extent, and one renderer for the page and the downloads.

Text widths are estimated from a table of glyph advances (the wider of
Liberation Sans, metric-compatible with Arial and Helvetica, and DejaVu Sans,
the usual Linux fallback) and the charts name those fonts, so an estimated
label box holds the drawn label wherever it is shown: in a browser, in the
downloaded SVG and in the PNG rendered here. Layouts use the boxes to thin,
wrap and truncate labels so that no two overlap; `Figure.text_boxes()` gives
them to the tests.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from html import escape as _escape
from typing import Any

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

FONT_FAMILY = "'Liberation Sans', Arial, Helvetica, 'DejaVu Sans', sans-serif"
TEXT = "#1f2937"
MUTED = "#4b5563"
AXIS = "#8a94a6"
GRID = "#e5e7eb"
ASCENT = 0.93  # of the font size, above the baseline (accents included)
DESCENT = 0.24
LINE = 1.15  # line spacing of multi-line labels
GAP = 4.0  # the least room between two labels

# Advance widths of ASCII 32..126 in 1/1000 em: max(Liberation Sans, DejaVu Sans).
_ASCII = (
    318, 401, 460, 838, 636, 950, 780, 275, 390, 390, 500, 838, 318, 361, 318, 337, 636, 636, 636, 636, 636, 636,
    636, 636, 636, 636, 337, 337, 838, 838, 838, 556, 1015, 684, 686, 722, 770, 667, 611, 778, 752, 295, 500, 667,
    557, 863, 748, 787, 667, 787, 722, 667, 611, 732, 684, 989, 685, 667, 685, 390, 337, 390, 838, 556, 500, 613,
    635, 550, 635, 615, 352, 635, 634, 278, 278, 579, 278, 974, 634, 612, 635, 635, 411, 521, 392, 634, 592, 818,
    592, 592, 525, 636, 337, 636, 838,
)  # fmt: skip
# Characters not allowed in XML 1.0 (registry text may carry them).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def clean(text: str) -> str:
    """Text safe to put in an SVG document once escaped."""
    return _NOT_XML.sub("", str(text))


def text_width(text: str, size: float, *, bold: bool = False) -> float:
    """The estimated advance of `text` at `size` (user units)."""
    total = 0
    for ch in text:
        o = ord(ch)
        if 32 <= o <= 126:
            total += _ASCII[o - 32]
        elif unicodedata.combining(ch):
            continue
        elif unicodedata.east_asian_width(ch) in "WF" or ch == "…":
            total += 1000
        else:
            total += 720
    return total * size / 1000 * (1.08 if bold else 1.0)


def truncate(text: str, size: float, room: float) -> str:
    """`text`, cut with an ellipsis so it fits in `room`."""
    if text_width(text, size) <= room:
        return text
    cut = text
    while cut and text_width(cut + "…", size) > room:
        cut = cut[:-1]
    return (cut.rstrip() + "…") if cut else ""


def wrap(text: str, size: float, room: float, *, bold: bool = False) -> list[str]:
    """`text` broken at spaces into lines that fit in `room` (a word longer than the room is cut)."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}".strip()
        if text_width(candidate, size, bold=bold) <= room or not current:
            current = candidate if text_width(candidate, size, bold=bold) <= room else truncate(candidate, size, room)
        else:
            lines.append(current)
            current = word if text_width(word, size, bold=bold) <= room else truncate(word, size, room)
    if current:
        lines.append(current)
    return lines


def _format(template: str, *args: Any) -> SafeString:
    """`format_html` for the charts' thousands of shapes per page: each argument escaped
    unless it is already safe markup, without Django's lazy-string checks (a third of
    the landscape's rendering time)."""
    return SafeString(template.format(*(a if isinstance(a, SafeString) else _escape(str(a), quote=True) for a in args)))


def fmt(value: float) -> str:
    """A coordinate: at most one decimal, no trailing zeros."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


@dataclass(frozen=True)
class Box:
    x0: float
    y0: float
    x1: float
    y1: float

    def overlaps(self, other: Box, gap: float = 0.0) -> bool:
        return not (
            self.x1 + gap <= other.x0
            or other.x1 + gap <= self.x0
            or self.y1 + gap <= other.y0
            or other.y1 + gap <= self.y0
        )

    def inside(self, width: float, height: float, slack: float = 0.5) -> bool:
        return self.x0 >= -slack and self.y0 >= -slack and self.x1 <= width + slack and self.y1 <= height + slack


# --- shapes ---------------------------------------------------------------------------------


@dataclass
class Text:
    x: float
    y: float  # the first line's baseline
    lines: Sequence[str]
    size: float = 12
    anchor: str = "start"  # start | middle | end
    fill: str = TEXT
    cls: str = ""
    bold: bool = False
    rotate: bool = False  # -90°: reads upwards from (x, y)

    @property
    def width(self) -> float:
        return max((text_width(line, self.size, bold=self.bold) for line in self.lines), default=0.0)

    def box(self) -> Box:
        w = self.width
        if self.rotate:
            start = {"start": self.y - w, "middle": self.y - w / 2, "end": self.y}[self.anchor]
            return Box(self.x - ASCENT * self.size, start, self.x + DESCENT * self.size, start + w)
        x0 = {"start": self.x, "middle": self.x - w / 2, "end": self.x - w}[self.anchor]
        height = (len(self.lines) - 1) * LINE * self.size
        return Box(x0, self.y - ASCENT * self.size, x0 + w, self.y + height + DESCENT * self.size)

    def svg(self) -> SafeString:
        attrs = _format(
            'x="{}" y="{}" font-size="{}" fill="{}"{}{}{}{}',
            fmt(self.x),
            fmt(self.y),
            fmt(self.size),
            self.fill,
            _format(' text-anchor="{}"', self.anchor) if self.anchor != "start" else "",
            _format(' class="{}"', self.cls) if self.cls else "",
            mark_safe(' font-weight="bold"') if self.bold else "",
            _format(' transform="rotate(-90 {} {})"', fmt(self.x), fmt(self.y)) if self.rotate else "",
        )
        if len(self.lines) == 1:
            return _format("<text {}>{}</text>", attrs, clean(self.lines[0]))
        spans = mark_safe(
            "".join(
                _format('<tspan x="{}" dy="{}">{}</tspan>', fmt(self.x), fmt(LINE * self.size) if i else "0", clean(t))
                for i, t in enumerate(self.lines)
            )
        )
        return _format("<text {}>{}</text>", attrs, spans)


@dataclass
class Rect:
    x: float
    y: float
    w: float
    h: float
    fill: str
    cls: str = ""
    rx: float = 0
    stroke: str = ""

    def svg(self) -> SafeString:
        return _format(
            '<rect{} x="{}" y="{}" width="{}" height="{}"{} fill="{}"{}/>',
            _format(' class="{}"', self.cls) if self.cls else "",
            fmt(self.x),
            fmt(self.y),
            fmt(max(self.w, 0)),
            fmt(max(self.h, 0)),
            _format(' rx="{}"', fmt(self.rx)) if self.rx else "",
            self.fill,
            _format(' stroke="{}" stroke-width="1"', self.stroke) if self.stroke else "",
        )


@dataclass
class Line:
    x1: float
    y1: float
    x2: float
    y2: float
    stroke: str = AXIS
    width: float = 1
    cls: str = ""

    def svg(self) -> SafeString:
        return _format(
            '<line{} x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-width="{}"/>',
            _format(' class="{}"', self.cls) if self.cls else "",
            fmt(self.x1),
            fmt(self.y1),
            fmt(self.x2),
            fmt(self.y2),
            self.stroke,
            fmt(self.width),
        )


@dataclass
class Polyline:
    points: Sequence[tuple[float, float]]
    stroke: str
    width: float = 2
    dash: str = ""

    def svg(self) -> SafeString:
        points = " ".join(f"{fmt(x)},{fmt(y)}" for x, y in self.points)
        return _format(
            '<polyline class="series-line" points="{}" fill="none" stroke="{}" stroke-width="{}"{}/>',
            points,
            self.stroke,
            fmt(self.width),
            _format(' stroke-dasharray="{}"', self.dash) if self.dash else "",
        )


@dataclass
class Circle:
    cx: float
    cy: float
    r: float
    fill: str
    cls: str = ""

    def svg(self) -> SafeString:
        return _format(
            '<circle{} cx="{}" cy="{}" r="{}" fill="{}" stroke="#ffffff" stroke-width="1"/>',
            _format(' class="{}"', self.cls) if self.cls else "",
            fmt(self.cx),
            fmt(self.cy),
            fmt(self.r),
            self.fill,
        )


Shape = Text | Rect | Line | Polyline | Circle


@dataclass
class Mark:
    """One datum: its shapes, under a link to the matching trials when there is one."""

    label: str  # the accessible name, e.g. "CD19: 120 trials"
    shapes: list[Shape]
    href: str = ""
    selected: bool = False
    cls: str = "bar"

    def svg(self, *, links: bool = True) -> SafeString:
        inner = mark_safe("".join(s.svg() for s in self.shapes))
        cls = self.cls + (" is-selected" if self.selected else "")
        if self.href and links:
            return _format(
                '<a class="{}" href="{}" aria-label="{}"><title>{}</title>{}</a>',
                cls,
                self.href,
                clean(self.label),
                clean(self.label),
                inner,
            )
        return _format(
            '<g class="{}" role="img" aria-label="{}"><title>{}</title>{}</g>',
            cls,
            clean(self.label),
            clean(self.label),
            inner,
        )


@dataclass
class Figure:
    """One chart laid out at one width: what to draw, in drawing order."""

    width: float
    height: float
    items: list[Shape | Mark] = field(default_factory=list)

    def add(self, *items: Shape | Mark) -> None:
        self.items.extend(items)

    def texts(self) -> list[Text]:
        found: list[Text] = []
        for item in self.items:
            shapes: Iterable[Shape] = item.shapes if isinstance(item, Mark) else (item,)
            found.extend(s for s in shapes if isinstance(s, Text))
        return found

    def text_boxes(self) -> list[Box]:
        """The extent of every label drawn: none may overlap another or leave the figure."""
        return [t.box() for t in self.texts()]

    def body(self, *, links: bool = True) -> SafeString:
        return mark_safe(
            "".join(item.svg(links=links) if isinstance(item, Mark) else item.svg() for item in self.items)
        )


def svg_document(
    figure: Figure,
    *,
    key: str,
    title: str,
    description: str,
    links: bool = True,
    standalone: bool = False,
    css_class: str = "chart",
    id_suffix: str = "",
) -> SafeString:
    """The `<svg>` element of a figure: inline in the page (links to the list), or a
    standalone document (a download: XML declaration, namespace, no links)."""
    ident = f"chart-{key}{id_suffix}"
    head = mark_safe('<?xml version="1.0" encoding="UTF-8"?>\n') if standalone else ""
    size = _format(' width="{}" height="{}"', fmt(figure.width), fmt(figure.height)) if standalone else ""
    return _format(
        '{}<svg xmlns="http://www.w3.org/2000/svg" class="{}" viewBox="0 0 {} {}"{} '
        'aria-labelledby="{}-title {}-desc" data-chart="{}" font-family="{}">'
        '<title id="{}-title">{}</title><desc id="{}-desc">{}</desc>{}{}</svg>',
        head,
        css_class,
        fmt(figure.width),
        fmt(figure.height),
        size,
        ident,
        ident,
        key,
        FONT_FAMILY,
        ident,
        clean(title),
        ident,
        clean(description),
        mark_safe('<rect width="100%" height="100%" fill="#ffffff"/>') if standalone else "",
        figure.body(links=links and not standalone),
    )


def escape_text(text: str) -> str:
    return escape(clean(text))


# --- axes -------------------------------------------------------------------------------------


def nice_ticks(top: int, count: int = 4) -> list[int]:
    """0 and round steps (1, 2, 5 × 10^k) up to at least `top`."""
    if top <= 0:
        return [0, 1]
    raw = top / count
    magnitude = 10 ** math.floor(math.log10(raw)) if raw >= 1 else 1
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    step = max(1, int(step))
    ticks = list(range(0, top + step, step))
    if ticks[-1] < top:
        ticks.append(ticks[-1] + step)
    return ticks


def place_labels(labels: list[Text], width: float, *, keep_ends: bool = True) -> list[Text]:
    """The labels of an axis that can be shown without overlapping: each kept inside
    the figure, then every k-th label (the smallest k that leaves none overlapping),
    the last one kept in place of its neighbour when they collide."""
    for label in labels:
        box = label.box()
        if box.x0 < 0:
            label.x += -box.x0
        elif box.x1 > width:
            label.x -= box.x1 - width
    n = len(labels)
    for step in range(1, n + 1):
        chosen = list(range(0, n, step))
        if keep_ends and n - 1 not in chosen:
            last = labels[n - 1].box()
            while chosen and labels[chosen[-1]].box().overlaps(last, GAP):
                chosen.pop()
            chosen.append(n - 1)
        if all(not labels[a].box().overlaps(labels[b].box(), GAP) for a, b in zip(chosen, chosen[1:])):
            return [labels[i] for i in chosen]
    return labels[:1]


def legend(items: Sequence[tuple[str, str]], x: float, y: float, width: float, size: float = 11) -> tuple[list, float]:
    """Swatches and names laid out in rows within `width`; (shapes, height used)."""
    shapes: list[Shape] = []
    cx, cy = x, y
    row = size * 1.5
    for name, colour in items:
        label = truncate(name, size, width - x - 16)
        w = 14 + text_width(label, size)
        if cx > x and cx + w > width:
            cx, cy = x, cy + row
        shapes.append(Rect(cx, cy, 10, 10, colour, cls="legend__swatch", rx=2))
        shapes.append(Text(cx + 14, cy + 9, [label], size=size, cls="legend__label"))
        cx += w + 14
    return shapes, (cy - y) + row
