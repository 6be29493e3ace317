"""CAR-T cell dose levels stated in registry free text.

Registries write doses in many ways: "1E6/kgBW", "1×10\\^6 CAR-T cells/kg",
"1x10^6~1x10^7 cells/kg", "1.00 to 10.00 × 10⁶/kg", "3.0 x 10^8 CAR-T cells",
"1 million cells/kg", "剂量为1×10^6个CAR-T细胞/kg", "每公斤体重1×10^6个细胞"...
`parse_dose_text` finds each cell dose in one text; `dose_levels` collects them
over the dose-bearing fields of a `TrialRecord` (never the eligibility
criteria, whose lab thresholds look like doses).

A quantity is only a dose when its unit is per kg, per m², or a count of cells
("cells", "CAR-T cells", "个", "细胞"). Counts per volume (/L, /mL, /μL),
drug amounts (mg/kg, mg/m²), and stem-cell / CD34+ counts are never doses.
Values outside the plausible bounds below are dropped.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from itertools import count, islice

from ingest.normalize.values import DoseLevelValue
from ingest.records import TrialRecord

__all__ = ["PLAUSIBLE_BOUNDS", "dose_levels", "parse_dose_text"]

PLAUSIBLE_BOUNDS: dict[str, tuple[float, float]] = {
    "per_kg": (1e3, 1e11),
    "per_m2": (1e4, 1e12),
    "flat": (1e5, 1e12),
}
_UNIT_OF_BASIS = {"per_kg": "cells/kg", "per_m2": "cells/m2", "flat": "cells"}
_BASIS_ORDER = {"per_kg": 0, "per_m2": 1, "flat": 2}
# Quantities read per text. Registry texts state a handful (8 at most in the
# corpus); a text with thousands is not a protocol, and reading each one's
# context made a 1 MB field of numbers take seconds.
_MAX_QUANTITIES = 1000

# --------------------------------------------------------------------------- text normalisation

_SUPERSCRIPTS = {
    "⁰": "0",
    "¹": "1",
    "²": "2",
    "³": "3",
    "⁴": "4",
    "⁵": "5",
    "⁶": "6",
    "⁷": "7",
    "⁸": "8",
    "⁹": "9",
    "⁻": "-",
    "⁺": "+",
}
_CHAR_MAP = {
    "✕": "×",
    "✖": "×",
    "⨯": "×",
    "·": "×",
    "⋅": "×",
    "∙": "×",
    "‐": "-",
    "‑": "-",
    "‒": "-",
    "–": "-",
    "—": "-",
    "―": "-",
    "−": "-",
    "﹣": "-",
    "～": "~",
    "〜": "~",
    "∼": "~",
    "˜": "~",
    "≈": "~",
    "\u3000": " ",
    "\u00a0": " ",
    "\x00": " ",
    "µ": "μ",
    "㎏": "kg",
    "㎡": "m^2",
}
_DROPPED = set("\u00ad\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff")
_ESCAPABLE = set("^<>~*_[]()#+-.!|\\`{}")
_PLAIN_ASCII_RE = re.compile(r"[\x01-\x7f]*")
_EXPANDED = {ch: mapped for ch, mapped in _CHAR_MAP.items() if len(mapped) != 1}  # "㎏" -> "kg"
# Characters replaced one for one: full-width forms, the one-character `_CHAR_MAP`
# entries, and control characters and whitespace other than the plain space,
# which become a space (whitespace is added on first use: see `_OneForOne`).
_ONE_FOR_ONE_CLASS = (
    re.escape("".join(sorted(ch for ch, mapped in _CHAR_MAP.items() if len(mapped) == 1))) + r"\uff01-\uff5e\x00-\x1f"
)


class _OneForOne(dict):
    """`str.translate` table for the characters replaced one for one."""

    def __missing__(self, code: int) -> int:
        value = 0x20 if chr(code).isspace() else code  # only whitespace is not listed up front
        self[code] = value
        return value


_ONE_FOR_ONE = _OneForOne({code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)})
_ONE_FOR_ONE.update(dict.fromkeys(range(32), 32))
_ONE_FOR_ONE.update({ord(ch): ord(mapped) for ch, mapped in _CHAR_MAP.items() if len(mapped) == 1})
# What `_normalize` changes, a run at a time where it can: an escaping backslash,
# dropped characters, superscripts, characters expanded to several, and runs of
# characters replaced one for one. Reading those one by one made a 1 MB field of
# full-width digits take half a second.
_SPECIAL_RE = re.compile(
    r"(?P<escape>\\(?=[" + re.escape("".join(sorted(_ESCAPABLE))) + r"]))"
    r"|(?P<dropped>[" + re.escape("".join(sorted(_DROPPED))) + r"]+)"
    r"|(?P<super>[" + re.escape("".join(sorted(_SUPERSCRIPTS))) + r"]+)"
    r"|(?P<expanded>[" + re.escape("".join(sorted(_EXPANDED))) + r"])"
    r"|(?:[" + _ONE_FOR_ONE_CLASS + r"]+|[^\S ])+"  # last, so never retried: the inner "+" only makes it fast
)


def _normalize(text: str) -> tuple[str, list[int] | None]:
    """(normalized text, map from normalized index to original index or None if identity).

    Full-width forms become ASCII, superscript digits become "^digits",
    markdown escapes ("\\^", "\\<") lose their backslash, and dash, tilde and
    multiplication variants are unified. The map lets a match be reported
    exactly as the source wrote it.
    """
    if "\\" not in text and _PLAIN_ASCII_RE.fullmatch(text):
        return text, None
    # Characters that stay as they are are copied a run at a time, and so are
    # characters replaced one for one; the rest is looked at a run or a
    # character at a time.
    out: list[str] = []
    index: list[int] = []
    previous_super = False
    pos = 0
    for match in _SPECIAL_RE.finditer(text):
        start, end = match.span()
        if start > pos:
            out.append(text[pos:start])
            index.extend(range(pos, start))
            previous_super = False
        pos = end
        kind = match.lastgroup
        if kind == "escape" or kind == "dropped":  # an escaping backslash, or invisible characters
            continue
        if kind == "super":
            if not previous_super:
                out.append("^")
                index.append(start)
            out.append("".join(_SUPERSCRIPTS[ch] for ch in match.group()))
            index.extend(range(start, end))
            previous_super = True
            continue
        previous_super = False
        if kind == "expanded":
            mapped = _EXPANDED[text[start]]
            out.append(mapped)
            index.extend([start] * len(mapped))
        else:
            out.append(match.group().translate(_ONE_FOR_ONE))
            index.extend(range(start, end))
    if pos < len(text):
        out.append(text[pos:])
        index.extend(range(pos, len(text)))
    return "".join(out), index


def _original_span(text: str, index: list[int] | None, start: int, end: int) -> str:
    if index is None:
        return text[start:end]
    if start >= end:
        return ""
    return text[index[start] : index[end - 1] + 1]


# --------------------------------------------------------------------------- patterns
#
# Every pattern must run in linear time on any input (a 1 MB field of digits,
# spaces or ligatures included), so none may let two quantifiers compete for the
# same characters: a digit run is never split (nothing that follows a mantissa
# starts with a digit, hence the `(?!\d)`), and each optional symbol carries its
# own trailing whitespace ("\s*(?:\(\s*)?(?:\+\s*)?" rather than "\s*\(?\s*\+?\s*").

_MANT = r"\d+(?!\d)(?:\.\d+(?!\d))?"
_TIMES = r"\s*[x×*]\s*"
_EXPONENT_OPEN = r"\s*(?:\(\s*)?(?:\+\s*)?"  # the "( +" of "10^( +6 )", each part optional
_POW = r"10\s*(?:(?:\^|e|\*\*)" + _EXPONENT_OPEN + r"\d{1,2}\s*\)?|\(\s*\+?\d{1,2}\s*\))(?![\d.])"
_LOST_POW = r"10(?:1[01]|[3-9])(?![\d.,])"  # "1×106" — a superscript lost in copy-paste
_MAGX = _MANT + _TIMES + r"(?:" + _POW + r"|" + _LOST_POW + r")"
_ENOT = _MANT + r"e\+?0?\d{1,2}(?![a-z0-9.])"
_WORDS = r"(?:million|billion|thousand|百万|千万|万|亿)"
_WORD = _MANT + r"\s*" + _WORDS + r"(?![a-z])"
_BAREPOW = r"10\s*(?:\^|\*\*)" + _EXPONENT_OPEN + r"\d{1,2}\s*\)?(?![\d.])"
_PLAIN = r"\d{1,3}(?:,\d{3})+(?![\d,])|\d{4,}(?![\d.])"
_ATOM = r"(?:" + "|".join((_MAGX, _ENOT, _WORD, _BAREPOW, _PLAIN)) + r")"
_SEP = r"\s*(?:-|~|\bto\b|至|到)\s*"
_START = r"(?<![a-z0-9.^_\-])"

# What must follow the number a branch starts with: a range mark, "× 10", an
# "e", "^" or "**" (after "10"), a magnitude word, a thousands comma or more
# digits. The look-ahead turns other numbers ("1, 2", "1 x 2") away at once
# instead of trying every branch on them.
_QTY_AHEAD = (
    r"(?=between|\(|\d{4}|\d{1,3},\d{3}|"
    + _MANT
    + r"(?:e|\s*(?:[x×*]\s*10|\^|\*\*|[\-~至到]|to|million|billion|thousand|百万|千万|万|亿)))"
)
_QTY_RE = re.compile(
    r"(?=[\db(])"  # every branch starts with a digit, "between" or "(": other positions fail at once
    + _START
    + _QTY_AHEAD
    + r"(?:"
    r"between\s+(?P<b1>" + _ATOM + r")\s+and\s+(?P<b2>" + _ATOM + r")"
    r"|(?P<s1>" + _MANT + r")" + _SEP + r"(?P<s2>" + _MAGX + r"|" + _WORD + r")"
    r"|\(\s*(?P<p1>" + _MANT + r")" + _SEP + r"(?P<p2>" + _MANT + r")\s*\)(?P<pp>" + _TIMES + _POW + r")"
    r"|(?P<a1>" + _ATOM + r")(?:" + _SEP + r"(?P<a2>" + _ATOM + r"))?"
    r")",
    re.IGNORECASE,
)
_ATOM_RE = re.compile(
    r"(?P<m>"
    + _MANT
    + r")"
    + _TIMES
    + r"(?:10\s*(?:(?:\^|e|\*\*)\s*)?"
    + _EXPONENT_OPEN
    + r"(?P<e>\d{1,2})\s*\)?|10(?P<le>\d{1,2}))"
    r"|(?P<em>" + _MANT + r")e\+?(?P<ee>\d{1,3})"
    r"|(?P<wm>" + _MANT + r")\s*(?P<w>" + _WORDS + r")"
    r"|10\s*(?:\^|\*\*)" + _EXPONENT_OPEN + r"(?P<be>\d{1,2})\s*\)?"
    r"|(?P<p>[\d,]+)",
    re.IGNORECASE,
)
_WORD_SCALE = {"thousand": 3, "million": 6, "billion": 9, "万": 4, "百万": 6, "千万": 7, "亿": 8}

_NOT_STOP_WORD = (
    r"(?!(?:and|or|to|per|of|in|with|for|at|on|was|were|is|are|be|will|via|by|from|then|than|each|every"
    r"|days?|weeks?|once|twice)\b)"
)
_DESC_TOKEN = r"(?:\s*" + _NOT_STOP_WORD + r"(?:[a-z][a-z0-9+\-]*|\+|个|细胞|阳性|活))"
_spaces_ids = count()


def _spaces() -> str:
    r"""A `\s*` that keeps all the whitespace it reads (a fresh group name on each call).

    A look-ahead never gives back what it matched, and the back-reference then
    takes exactly that. It is used where what follows cannot start with
    whitespace, so it matches what `\s*` would; but a failure after a long run
    of spaces is not retried with every shorter run, which made the words
    after a number followed by a megabyte of spaces take seconds.
    """
    name = f"_ws{next(_spaces_ids)}"
    return rf"(?=(?P<{name}>\s*))(?P={name})"


def _tolerance() -> str:
    """An optional "(±20%)" after a quantity."""
    return (
        r"(?:" + _spaces() + r"(?:\(" + _spaces() + r")?±" + _spaces() + _MANT + _spaces() + r"%" + _spaces() + r"\)?)?"
    )


def _unit_kg() -> str:
    """ "/kg", "per kg", "/kg body weight", "kg^-1"... with the whitespace before it."""
    return (
        _spaces() + r"(?:(?:/|per\b|每)" + _spaces() + r"(?:kg|kilograms?|公斤|千克)"
        r"(?:" + _spaces() + r"(?:of\s+)?(?:bw|body\s*weight|体重))?(?![a-z])|kg\s*\^?-1(?!\d))"
    )


def _unit_m2() -> str:
    """ "/m2", "per square meter", "/BSA"... with the whitespace before it."""
    return (
        _spaces()
        + r"(?:/|per\b|每)"
        + _spaces()
        + r"(?:m\s*(?:\^\s*)?2|square\s+met(?:er|re)s?|平方米|bsa)(?![a-z0-9])"
    )


def _token(word: str) -> str:
    """One descriptor word ("CAR-T", "cells", "个") after its whitespace; never a stop word."""
    return r"(?:" + _spaces() + _NOT_STOP_WORD + r"(?:" + word + r"|\+|个|细胞|阳性|活))"


# The words between a quantity and its per-kg / per-m² unit: at most six. Each
# word is read whole: letting a word be split into any of its 2^(n-1) token
# sequences made one long word take minutes. The unit is taken after the fewest
# whole words; only when no word end is followed by a unit may the unit start
# inside a word ("cellsper kg"): then the last word that allows it, at its last
# such place. That is the order in which the word-by-word reading found them.
_WHOLE_WORD = r"[a-z][a-z0-9+\-]*(?![a-z0-9+\-])"


def _unit_ahead() -> str:
    """A look-ahead for a per-kg or per-m² unit."""
    return r"(?=" + _unit_kg() + r"|" + _unit_m2() + r")"


def _word_prefix() -> str:
    """The start of a word that a unit follows without a space ("cells" of "cellsper kg")."""
    return r"(?:" + _spaces() + _NOT_STOP_WORD + r"[a-z][a-z0-9+\-]*)"


_TAIL_RE = re.compile(
    _tolerance()
    + r"(?P<desc>"
    + _token(_WHOLE_WORD)
    + r"{0,6}?"
    + _unit_ahead()
    + r"|"
    + _token(_WHOLE_WORD)
    + r"{0,5}"
    + _word_prefix()
    + _unit_ahead()
    + r")"
    + r"(?:(?P<kg>"
    + _unit_kg()
    + r")|(?P<m2>"
    + _unit_m2()
    + r"))",
    re.IGNORECASE,
)
_DESC_TOKEN_RE = re.compile(_DESC_TOKEN, re.IGNORECASE)
_FLAT_TAIL_RE = re.compile(_tolerance() + r"(?P<desc>" + _token(r"[a-z][a-z0-9+\-]*") + r"{0,6})", re.IGNORECASE)
_PER_AFTER_RE = re.compile(_spaces() + r"(?:/|per\b|每)", re.IGNORECASE)
_CELL_WORD_RE = re.compile(r"cell|细胞|car|个|\btils?\b", re.IGNORECASE)
_CAR_WORD_RE = re.compile(r"car", re.IGNORECASE)
_NOT_DOSE_TOKEN_RE = re.compile(
    r"^(?:mg|g|ug|μg|mcg|ng|ml|l|dl|ul|μl|iu|u|units?|mmol|umol|μmol|mol|copies|vg|gc|pfu|tu|ifu|cfu|bq|mbq|gy|cgy"
    r"|plt|platelets?|neutrophils?|anc|wbc|rbc|blasts?|cd34\+?|hspcs?|hscs?|mncs?|pbmcs?|tregs?|kg)$",
    re.IGNORECASE,
)
_NOT_CAR_CONTEXT_RE = re.compile(
    r"cd34|stem\s*cell|hspc|\bhsc|progenitor|mononuclear|\bmnc|\btreg|platelet|neutrophil|\banc\b|\bwbc\b"
    r"|lymphocyte\s+count|干细胞|单个核|血小板|中性粒",
    re.IGNORECASE,
)
_DOSE_CONTEXT_RE = re.compile(
    r"dose|dosing|dosage|infus|administ|receiv|inject|given|剂量|输注|回输|注射|给药",
    re.IGNORECASE,
)
_CLAUSE_BREAK_RE = re.compile(r"[.;,\n。；，](?!\d)")
_SENTENCE_BREAK_RE = re.compile(r"(?:[.;](?!\d)|[\n。；])")
_PER_KG_BEFORE_RE = re.compile(r"每\s*(?:公斤|千克|kg)\s*(?:体重)?[^\d,.;，。；]{0,8}$", re.IGNORECASE)
_FRACTION_BEFORE_RE = re.compile(
    r"(?<![±\d.])\d+(?:\.\d+)?\s*%\s*\)?\s*(?:(?:fraction|portion|aliquot|of\s+(?:the\s+)?dose)\s*[:=(]?|[:=(])\s*$",
    re.IGNORECASE,
)
# "(20% of the total ...)": the closing bracket may be anywhere later, which
# `_classify` checks against the text's last ")" instead of scanning for it.
_FRACTION_AFTER_RE = re.compile(r"\s*\(\s*" + _MANT + r"\s*%\s*(?:(?P<of>of\s+(?:the\s+)?(?:total|dose))|\))")
_LIST_GAP_RE = re.compile(r"\s*(?:,|、|\bor\b|\band\b|,\s*and\b|,\s*or\b)\s*", re.IGNORECASE)
_RANGE_GAP_RE = re.compile(_SEP, re.IGNORECASE)


# --------------------------------------------------------------------------- parsing


def _atom_value(atom: str) -> tuple[Decimal, int] | None:
    """(mantissa, power of ten) of one magnitude atom."""
    match = _ATOM_RE.fullmatch(atom.strip())
    if not match:
        return None
    try:
        if match.group("m") is not None:
            exponent = match.group("e") or match.group("le")
            return Decimal(match.group("m")), int(exponent)
        if match.group("em") is not None:
            return Decimal(match.group("em")), int(match.group("ee"))
        if match.group("wm") is not None:
            return Decimal(match.group("wm")), _WORD_SCALE[match.group("w").lower()]
        if match.group("be") is not None:
            return Decimal(1), int(match.group("be"))
        return Decimal(match.group("p").replace(",", "")), 0
    except (InvalidOperation, ValueError, KeyError):
        return None


def _quantity(match: re.Match[str]) -> tuple[Decimal, Decimal, bool] | None:
    """(low, high, is_plain_number) for one `_QTY_RE` match."""
    if match.group("p1") is not None:
        scale = _atom_value("1" + match.group("pp"))
        if scale is None:
            return None
        return Decimal(match.group("p1")).scaleb(scale[1]), Decimal(match.group("p2")).scaleb(scale[1]), False
    if match.group("s1") is not None:
        high = _atom_value(match.group("s2"))
        if high is None:
            return None
        low = Decimal(match.group("s1")).scaleb(high[1])
        return low, high[0].scaleb(high[1]), False
    first, second = (
        (match.group("b1"), match.group("b2")) if match.group("b1") else (match.group("a1"), match.group("a2"))
    )
    low_atom = _atom_value(first)
    if low_atom is None:
        return None
    plain = low_atom[1] == 0 and _PLAIN_ONLY_RE.fullmatch(first.strip()) is not None
    low = low_atom[0].scaleb(low_atom[1])
    high = low
    if second:
        high_atom = _atom_value(second)
        if high_atom is None:
            return None
        high = high_atom[0].scaleb(high_atom[1])
        plain = plain or _PLAIN_ONLY_RE.fullmatch(second.strip()) is not None
    return low, high, plain


_PLAIN_ONLY_RE = re.compile(r"[\d,]+")


def _desc_ok(desc: str) -> bool:
    return not any(_NOT_DOSE_TOKEN_RE.match(token) for token in desc.split())


def _clause_before(norm: str, start: int, width: int = 40) -> str:
    window = norm[max(0, start - width) : start]
    breaks = list(_CLAUSE_BREAK_RE.finditer(window))
    cut = breaks[-1] if breaks else None
    return window[cut.end() :] if cut else window


def _sentence_around(norm: str, start: int, end: int) -> str:
    before = norm[max(0, start - 200) : start]
    breaks = list(_SENTENCE_BREAK_RE.finditer(before))
    cut = breaks[-1] if breaks else None
    if cut:
        before = before[cut.end() :]
    after = norm[end : end + 80]
    stop = _SENTENCE_BREAK_RE.search(after)
    return before + norm[start:end] + (after[: stop.start()] if stop else after)


class _Found:
    __slots__ = ("basis", "end", "high", "low", "start", "tail_end")

    def __init__(self, start: int, end: int, tail_end: int, low: Decimal, high: Decimal, basis: str | None) -> None:
        self.start, self.end, self.tail_end = start, end, tail_end
        self.low, self.high, self.basis = low, high, basis


_NOT_A_DOSE = "not_a_dose"  # a quantity that is certainly not a dose; it also ends a list of bare numbers


def _flat_tail(norm: str, end: int) -> tuple[str, int]:
    """(descriptor, end) of the words after a quantity, trimmed to the last cell word."""
    tail = _FLAT_TAIL_RE.match(norm, end)
    if tail is None:
        return "", end
    desc_start, tail_end = tail.start("desc"), tail.end()
    last_cell = None
    for token in _DESC_TOKEN_RE.finditer(norm, desc_start, tail_end):
        if _CELL_WORD_RE.search(token.group(0)):
            last_cell = token
    if last_cell is not None:
        return norm[desc_start : last_cell.end()], last_cell.end()
    return tail.group("desc"), tail_end


def _classify(norm: str, start: int, end: int, plain: bool, last_paren: int) -> tuple[str | None, int, int]:
    """(basis, start, tail end) of the quantity at norm[start:end].

    basis is "per_kg" / "per_m2" / "flat", None for a bare number (it may share
    the unit of a list's last item), `_NOT_A_DOSE`, or "" to ignore silently.
    `last_paren` is the index of the last ")" in `norm` (-1 when there is none).
    """
    qty_start = start
    prefix = norm[max(0, start - 30) : start]
    if _FRACTION_BEFORE_RE.search(prefix):
        return "", start, end
    tail = _TAIL_RE.match(norm, end)
    if tail:
        desc, tail_end = tail.group("desc"), tail.end()
        basis: str | None = "per_kg" if tail.group("kg") else "per_m2"
    else:
        desc, tail_end = _flat_tail(norm, end)
        has_desc = bool(desc.strip())
        if _PER_AFTER_RE.match(norm, tail_end) and (has_desc or norm[tail_end : tail_end + 1] == "/"):
            return _NOT_A_DOSE, start, tail_end  # cells per litre, copies/mL...
        per_kg_before = _PER_KG_BEFORE_RE.search(prefix)
        if per_kg_before and (_CELL_WORD_RE.search(desc) or not (has_desc or plain)):
            basis, start = "per_kg", start - len(per_kg_before.group(0))
        elif _CELL_WORD_RE.search(desc):
            if not (_CAR_WORD_RE.search(desc) or _DOSE_CONTEXT_RE.search(_sentence_around(norm, start, tail_end))):
                return _NOT_A_DOSE, start, tail_end
            basis = "flat"
        elif has_desc:
            return _NOT_A_DOSE, start, tail_end
        else:
            basis = None
    if not _desc_ok(desc):
        return _NOT_A_DOSE, start, tail_end
    if plain and not _CELL_WORD_RE.search(desc):
        return "", start, tail_end
    if not _CAR_WORD_RE.search(desc) and _NOT_CAR_CONTEXT_RE.search(_clause_before(norm, qty_start)):
        return _NOT_A_DOSE, start, tail_end
    fraction = _FRACTION_AFTER_RE.match(norm, tail_end)
    if fraction and (fraction.group("of") is None or last_paren >= fraction.end()):
        return "", start, tail_end
    return basis, start, tail_end


def _scan(norm: str) -> list[_Found]:
    """Every quantity that may be a dose, with its basis (see `_classify`)."""
    found: list[_Found] = []
    last_paren = norm.rfind(")")
    for match in islice(_QTY_RE.finditer(norm), _MAX_QUANTITIES):
        quantity = _quantity(match)
        if quantity is None:
            continue
        low, high, plain = quantity
        basis, start, tail_end = _classify(norm, match.start(), match.end(), plain, last_paren)
        if basis != "":
            found.append(_Found(start, match.end(), tail_end, low, high, basis))
    return found


def _resolve(found: list[_Found], norm: str) -> list[_Found]:
    """Give bare numbers in a list the unit of the list's last item; merge "A unit to B unit" ranges."""
    resolved: list[_Found] = []
    pending: list[_Found] = []
    for item in found:
        if pending and not _LIST_GAP_RE.fullmatch(norm, pending[-1].tail_end, item.start):
            pending = []
        if item.basis is None:
            pending.append(item)
            continue
        if item.basis == _NOT_A_DOSE:
            pending = []
            continue
        for bare in pending:
            resolved.append(_Found(bare.start, bare.end, bare.tail_end, bare.low, bare.high, item.basis))
        pending = []
        previous = resolved[-1] if resolved else None
        if (
            previous is not None
            and previous.basis == item.basis
            and previous.low == previous.high
            and item.low == item.high
            and _RANGE_GAP_RE.fullmatch(norm, previous.tail_end, item.start)
        ):
            resolved[-1] = _Found(previous.start, item.end, item.tail_end, previous.low, item.high, item.basis)
            continue
        resolved.append(item)
    return resolved


_ASCII_DIGIT_RE = re.compile(r"[0-9]")


def _has_digit(text: str) -> bool:
    """Whether any character of `text` is a digit (`str.isdigit`: "²" and "①" too)."""
    if text.isascii():
        return _ASCII_DIGIT_RE.search(text) is not None
    return any(map(str.isdigit, text))


def parse_dose_text(text: str, arm: str = "") -> list[DoseLevelValue]:
    """Every CAR-T cell dose level stated in `text`, in order of appearance.

    Each level has `low` <= `high` (equal for a single value), a basis
    (`per_kg`, `per_m2`, `flat`) with its unit ("cells/kg", "cells/m2",
    "cells"), and `raw`, the snippet exactly as written. Ranges ("1-5 × 10^6/kg",
    "1x10^6~1x10^7 cells/kg", "1.00 to 10.00 × 10⁶/kg") give one level; a list
    sharing one unit ("1×10^6, 3×10^6 and 1×10^7 cells/kg") gives one level
    per value. Percent fractions of a split dose are skipped; the total is kept.
    Per-volume counts, drug doses and implausible values (see
    `PLAUSIBLE_BOUNDS`) are never returned. Identical levels are returned once.
    Only the first 1000 quantities of a text are read; the time taken is linear
    in the text's length whatever it holds.
    """
    if not text or not _has_digit(text):
        return []
    norm, index = _normalize(text)
    levels: list[DoseLevelValue] = []
    seen: set[tuple[float, float, str]] = set()
    for item in _resolve(_scan(norm), norm):
        low, high = (item.low, item.high) if item.low <= item.high else (item.high, item.low)
        basis = item.basis or "flat"
        bound_low, bound_high = PLAUSIBLE_BOUNDS[basis]
        low_f, high_f = float(low), float(high)
        if not (bound_low <= low_f and high_f <= bound_high):
            continue
        key = (low_f, high_f, basis)
        if key in seen:
            continue
        seen.add(key)
        raw = " ".join(_original_span(text, index, item.start, item.tail_end).split())
        levels.append(DoseLevelValue(arm=arm, low=low_f, high=high_f, unit=_UNIT_OF_BASIS[basis], basis=basis, raw=raw))
    return levels


# --------------------------------------------------------------------------- records

_TYPE_PREFIX_RE = re.compile(r"^\s*[A-Za-z ]{2,30}:\s*")


def _name_key(name: str) -> str:
    return " ".join(_TYPE_PREFIX_RE.sub("", name).split()).casefold()


def _intervention_arm(name: str, record: TrialRecord) -> str:
    key = _name_key(name)
    owners = [arm.label for arm in record.arms if arm.label and key in {_name_key(n) for n in arm.interventions}]
    if len(owners) == 1:
        return owners[0]
    if not owners and len(record.arms) == 1:
        return record.arms[0].label
    return ""


def dose_levels(record: TrialRecord) -> list[DoseLevelValue]:
    """Every CAR-T dose level a record states, one per distinct (low, high, basis).

    Read from the arms (label and description; ChiCTR groups carry their
    intervention here), the interventions (name and description; attributed to
    the arm that lists the intervention, or to the only arm), the brief summary,
    the detailed description and the objectives — never from the eligibility
    criteria. When one level appears in several places the copy with the most
    specific arm label wins (an arm's own text, then an intervention attributed
    to an arm, then trial-level text). Sorted per kg, per m², flat, then by dose.
    """
    record = record.filled()
    candidates: list[tuple[int, DoseLevelValue]] = []
    for arm in record.arms:
        text = "\n".join(part for part in (arm.label, arm.description) if part)
        candidates.extend((2 if arm.label else 0, lvl) for lvl in parse_dose_text(text, arm.label))
    for intervention in record.interventions:
        label = _intervention_arm(intervention.name, record)
        text = "\n".join(part for part in (intervention.name, intervention.description) if part)
        candidates.extend((1 if label else 0, lvl) for lvl in parse_dose_text(text, label))
    for text in (record.brief_summary, record.detailed_description, record.objectives):
        candidates.extend((0, lvl) for lvl in parse_dose_text(text))
    best: dict[tuple[float, float, str], tuple[int, DoseLevelValue]] = {}
    for rank, level in candidates:
        key = (level.low, level.high, level.basis)
        if key not in best or rank > best[key][0]:
            best[key] = (rank, level)
    return sorted(
        (lvl for _, lvl in best.values()), key=lambda lvl: (_BASIS_ORDER[lvl.basis], lvl.low, lvl.high, lvl.arm)
    )
