"""The kind(s) of engineered cell therapy a trial studies: CAR-T, CAR-NK, TCR-T...

`modalities(record, products=..., follow_up=...)` returns a `Classification`
whose value is a sorted list of `catalogue.choices.Modality` values. A trial
with arms of two kinds carries both. A trial that names no CAR, CAAR or
engineered TCR product gets `[]` (blinatumomab, TIL, unmodified NK cells...):
modality says what engineered product is given, and a trial giving none has none.

How a mention is read:

* A CAR written with its cell: "CAR-T", "CART19", "CAR-NK", "CAR-NK-92",
  "CAR-γδT", "CAR-Treg", "CAR-M", "CAR-iNKT", or spelled out: "chimeric antigen
  receptor (CAR)-modified natural killer cells", "NK T-cells expressing a CD19
  CAR", "gdT cell injection targeting B7-H3 chimeric antigen receptor". The
  nearest cell named in the same phrase decides. "CD4⁺ CAR⁺ Foxp3⁺ cells" and
  "CAR-Treg" are Tregs.
* CAAR: "CAAR-T", "CAART", "chimeric autoantibody receptor".
* In vivo CAR: "in vivo CAR-T", "InViVoCAR", "CAR-T cells generated in vivo",
  a lipid nanoparticle carrying a CAR. "In vivo expansion/persistence of CAR-T
  cells" and "in vitro and in vivo studies" are not: only a few words that name
  the product may stand between "in vivo" and the CAR. mRNA CAR-T cells made
  outside the body (electroporation) stay car_t.
* TCR-T: "TCR-T", "TCR-engineered/transduced T cells", "T cell receptor
  (TCR)-engineered", "engineered TCR", INNs in -tresgene. Not a TCR inside a
  CAR construct (TCRζ), a TCR knock-out, "TCR-like" or "TCR-mimic" binders,
  STAR / TRuC constructs: those are CARs (car_t).
* An NK or NKT line ("NK-92", "haNK") is CAR-NK only when a CAR is named with it.
* INNs in -cabtagene ("-cel" for short) name a CAR product: the product
  dictionary's sourced modality says which cell (prulacabtagene leucel is γδ);
  a named product's modality counts as a level-1 statement.
* A CAR with no cell named at all ("CD19 CAR") is car_t by default, flagged for
  review unless another mention names the cell; so is a dictionary product
  whose modality has no source.
* Cells named by their target without the word CAR count as engineered:
  "CD19-targeted iNKT cell injection" (car_nkt), "P-CD19CD20-ALLO1 cells" (car_t).
* γδ T, Treg and NKT cells are T cells: a generic "CAR-T" elsewhere in a γδ,
  Treg or NKT trial names the same product and adds no car_t, unless the same
  text names both. An in vivo CAR written "CAR-T" elsewhere stays in_vivo_car.
* A comparison is not a product: "fewer adverse reactions than CAR-T cells",
  "unlike CAR-T", "non-CAR".

Strength, strongest first: (1) titles, acronym, intervention and arm names,
keywords; (2) summaries, descriptions, objectives; (3) mentions of the product
the patients receive around the study ("after CAR-T infusion", "patients
receiving CAR-T", conditions such as "CAR-T cell therapy"). The strongest
level with any mention decides, so a CAR-NK trial whose summary compares CAR-NK
with CAR-T stays CAR-NK. Never counted: earlier therapy that failed ("relapsed
after CAR-T", "refractory to"), eligibility criteria, background sentences
("CAR-T therapies have been approved", "such as", "unlike").
With `follow_up=True` (a long-term follow-up study) the product the patients
received earlier counts at level 1-2 too: "follow-up of patients previously
treated with CTL019".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from catalogue.choices import Modality
from ingest.normalize.classification import (
    Classification,
    FieldText,
    found,
    from_product,
    record_texts,
    sentence_bounds,
)
from ingest.normalize.products import ProductSpec
from ingest.records import TrialRecord

__all__ = ["MODALITY_VALUES", "Mention", "mentions", "modalities"]

MODALITY_VALUES = frozenset(Modality.values)

CAR_T = Modality.CAR_T.value
CAR_NK = Modality.CAR_NK.value
CAR_NKT = Modality.CAR_NKT.value
CAR_GD_T = Modality.CAR_GD_T.value
CAR_TREG = Modality.CAR_TREG.value
CAAR_T = Modality.CAAR_T.value
CAR_M = Modality.CAR_M.value
IN_VIVO = Modality.IN_VIVO_CAR.value
TCR_T = Modality.TCR_T.value
UNSPECIFIED = "car"  # a CAR with no cell named; resolved in `modalities`

_SHORT_FIELDS = {"title", "official_title", "title_zh", "official_title_zh", "acronym", "keywords"}

_DASHES = str.maketrans(dict.fromkeys("‐‑‒–—−﹣－", "-") | {"⁺": "+", "＋": "+", "／": "/"})


def _fold(text: str) -> str:
    """Lower case, dashes and superscript plus unified, "cluster of differentiation" read as "cd",
    character for character (positions stay those of `text`)."""
    lower = text.lower()
    if len(lower) != len(text):
        lower = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
    if not lower.isascii():  # the table maps non-ASCII characters only
        lower = lower.translate(_DASHES)
    if "cluster of" in lower:
        lower = _CLUSTER.sub(lambda m: "cd" + " " * (len(m.group(0)) - 2), lower)
    return lower


_CLUSTER = re.compile(r"cluster\s+of\s+differentiation(?:\s+antigen)?")


# --- the phrases ------------------------------------------------------------------------

_CAR_WORD = (
    r"(?:chimeric[\s\-]+(?:antigen[\s\-]+|t[\s\-]?cell[\s\-]+|immune[\s\-]+|immuno-?|switch[\s\-]+|co-?stimulatory[\s\-]+|"
    r"activating[\s\-]+|auto-?antibody[\s\-]+)?receptors?(?:[\s\-]*\((?:cars?|csrs?|cirs?)\))?"
    r"|(?<![a-z])(?:u|bi|dual|hu|tan)?cars?(?![a-z])|(?<![a-z])car(?=v\d|vac|\d)|(?<=-)cir(?=[\s\-]t(?![a-z])))"
)
_GAP_WORD = r"[a-z0-9αβγδκ/+.()\-]+"
# Words that end the noun phrase "in vivo … CAR": "in vivo expansion of CAR-T" is not a product.
_NOT_PRODUCT = (
    r"(?:expan\w*|persist\w*|prolifer\w*|surviv\w*|kinetic\w*|pharmaco\w*|traffick\w*|track\w*|imag\w*|"
    r"behavio\w*|efficacy|activity|activit\w*|function\w*|fate|monitor\w*|detect\w*|distribut\w*|dynamic\w*|"
    r"propert\w*|characteristic\w*|amplif\w*|kill\w*|stud(?:y|ies)|experiment\w*|models?|test\w*|effects?|"
    r"safety|and|or|of|the|in|to|after|with|from|for|by|as|is|are|was|were|be|been|on|at|tumou?r\w*|"
    r"anti-?tumou?r\w*|cytotox\w*|response\w*|evaluat\w*|assess\w*|data|results?|mouse|mice|xenograft\w*)"
)
_IN_VIVO = re.compile(
    r"(?<![a-z])(?:"
    r"in[\s\-]?vivo[\s\-]+(?:(?!"
    + _NOT_PRODUCT
    + r"(?![a-z0-9]))"
    + _GAP_WORD
    + r"[\s\-]+){0,5}?"
    + _CAR_WORD
    + r"|in[\s\-]?vivo[\s\-]?cars?(?![a-z])"
    r"|(?:generat|produc|engineer|creat|reprogramm|mak|form|prepar|manufactur|transduc)\w*[\s\-]+(?:\w+[\s\-]+){0,2}?"
    r"(?:car[\s\-]?(?:t|nk|m)?|chimeric antigen receptor)[\s\-]*(?:t[\s\-]|nk[\s\-])?(?:cells?|lymphocytes)?[\s\-]+"
    r"(?:(?:directly|efficiently|only)\s+)?(?:in[\s\-]?vivo|in[\s\-]situ|inside\s+the\s+(?:patient|body)|"
    r"within\s+the\s+(?:patient|body))(?![a-z])"
    r"|(?:car[\s\-]?(?:t|nk|m)?|chimeric antigen receptor)[\s\-]*(?:t[\s\-]|nk[\s\-])?(?:cells?|lymphocytes)?[\s\-]+"
    r"(?:are\s+|is\s+|being\s+)?(?:generated|produced|engineered|created|reprogrammed|made|formed|prepared)\s+"
    r"(?:directly\s+)?(?:in[\s\-]?vivo|in[\s\-]situ|inside\s+the\s+(?:patient|body))(?![a-z])"
    r"|gene[\s\-]+therapy[\s\-]+(?:that\s+)?(?:deliver\w*|encod\w*)[\s\-]+(?:a[\s\-]+)?(?:transgene|gene)[\s\-]+"
    r"(?:for|encoding)[\s\-]+(?:an?[\s\-]+)?(?:car|chimeric antigen receptor)"
    r"|(?:generat|produc|creat|engineer|reprogramm|transduc|make)\w*[^.;]{0,80}?(?:car|chimeric antigen receptor)[^.;]{0,60}?"
    r"(?:inside|within)\s+the\s+(?:patient'?s?\s+)?body"
    r"|(?:vector|lentivir\w*|nano-?particles?|lnps?)[^.;]{0,120}?(?:directly\s+into\s+(?:the\s+)?patients?|"
    r"(?:their|the\s+patient'?s?)\s+own\s+t[\s\-]?cells)[^.;]{0,80}?(?:car|chimeric antigen receptor)"
    r")|体内(?:原位)?(?:生成|制备|构建)?的?car",
)
# A lipid nanoparticle carrying a CAR (mRNA) is given to the patient: the CAR is made in vivo.
_LNP = re.compile(r"(?<![a-z])(?:t?lnps?|lipid[\s\-]+nano-?particles?|polymer[\s\-]+lipid)(?![a-z])")
_CAR_ANY = re.compile(_CAR_WORD + r"|car[\s\-.]?t(?![a-z])|(?<![a-z])u?cart")

_CAAR = re.compile(r"(?<![a-z])caar[\s\-]?t?s?(?![a-z])|chimeric[\s\-]+auto-?(?:antibody|antigen)[\s\-]+receptors?")

_TCR_EXCLUDED_AFTER = (
    r"(?![\s\-]*(?:like|mimic|ζ|zeta|z\b|fusion|knock|ko\b|deficien|null|negative|-?less|deplet|repertoire|"
    r"sequenc|clonal|signal|complex|cd3))"
)
_TCR = re.compile(
    r"(?<![a-z])(?:"
    r"tcr[\s\-]?t(?:[\s\-]*cells?)?(?![a-z])"
    r"|tcr[\s\-]+(?:gene[\s\-]+)?(?:engineered|transduced|modified|redirected|gene[\s\-]modified|expressing|"
    r"transgenic|therapy|therapies|cell therapy|t[\s\-]?cell therapy)(?![a-z])"
    r"|t[\s\-]?cell[\s\-]+receptors?[\s\-]*(?:\(tcrs?\)[\s\-]*)?(?:[\s\-]*gene)?[\s\-]*(?:engineered|transduced|modified|"
    r"redirected|transgenic|-?t[\s\-]?cells?|based[\s\-]+(?:cell|t))"
    r"|(?:engineered|transgenic|recombinant|affinity[\s\-]enhanced|high[\s\-]affinity|enhanced[\s\-]affinity|"
    r"specific|transduced)[\s\-]+(?:t[\s\-]?cell[\s\-]+receptors?|tcrs?)"
    + _TCR_EXCLUDED_AFTER
    + r"|\w+tresgene(?:[\s\-]+\w+leucel)?|afami-cel|lete-cel|taest\d*"
    r")|tcr[\s\-]?t细胞|t细胞受体(?:工程化|基因修饰)?t细胞"
)
_TCR_NOT = re.compile(
    r"(?:knock[\s\-]?out|ko|deficient|disrupted|edited|deleted|negative|less|depleted|free|"
    r"tcr[\s\-]?like|mimic|star|truc|synthetic)[\s\-]*$"
)

_INN_CAR = re.compile(r"(?<![a-z])[a-z]+cabtagene(?:[\s\-]+[a-z]+leucel)?(?![a-z])|(?<![a-z])[a-z]{3,8}-cel(?![a-z])")

# A CAR glued to its cell: CAR-T, CART19, CAR-NK-92, CAR-γδT, CAR-Treg, CAR-M, CAR-iNKT, CAR-NK/T.
_GLUED = re.compile(
    r"(?<![a-z])(?:u|bi|dual|hu|tan)?car[\s\-.]*(?:"
    r"(?P<nkt>(?:i|a)?nk[\s\-]?t(?:[\s\-]?cells?)?(?![a-z]))"
    r"|(?P<gd>(?:γ[\s\-]*δ|gamma[\s\-]?delta|gd|vδ[12]|vd[12])[\s\-]*t?(?![a-z0-9]))"
    r"|(?P<treg>t?[\s\-]?regs?(?![a-z])|t[\s\-]regulatory)"
    r"|(?P<nk>(?:p|i|it|cb|ha|u|e)?nk(?:[\s\-]?92)?(?![a-z])(?P<nkslasht>/t(?![a-z]))?)"
    r"|(?P<m>m(?:φ|ac(?:rophages?)?)?(?![a-z0-9])|macrophages?|monocytes?)"
    r"|(?P<t>t(?:s|il|ils)?(?![a-z])(?![\s\-]*reg)|t(?=\d)|cik|ctls?|(?:ebv)?vsts?|-?ebvsts?)"
    r")"
)
_CAR_WORD_RE = re.compile(_CAR_WORD)
# "TriCAR-T", "cCAR", "UniCAR02-T", "ssCART-19", "JWCAR029", "ICAR30": a CAR written in capitals after a prefix.
_PREFIXED_CAR = re.compile(r"(?<=[A-Za-z])CAR(?=[\s\-.]?T(?![a-z])|T?[\s\-.]?\d|v\d|[\s\-.]?NK|s?(?![A-Za-z]))")
# STAR (synthetic TCR and antigen receptor) and TRuC (TCR fusion construct) T cells are CAR-T by this catalogue's rule.
_STAR_TRUC = re.compile(
    r"(?<![a-z])(?:star|truc)[\s\-]t(?:[\s\-]?cells?)?(?![a-z])|synthetic\s+t[\s\-]?cell\s+receptor\s+and\s+antigen\s+receptor"
)
_GD_BEFORE = re.compile(r"(?:γ[\s\-]*δ|gamma[\s\-]?delta|vδ[12])[\s\-()γδ]*$")
_CART_CODE = re.compile(r"(?<![a-z])u?cart[\s\-.]?\d|(?<![a-z])cart[a-z]{2,8}-?\d")
# A cell named in the words right after a CAR ("CAR-engineered IL15-transduced cord blood NK cells").
_CELL_AFTER = re.compile(
    r"(?P<nkt>(?<![a-z])(?:i|a)?nkt(?![a-z])|natural[\s\-]+killer[\s\-]+t(?![a-z])|(?<![a-z])nk[\s\-]+t[\s\-]+cells?)"
    r"|(?P<gd>γ[\s\-]*δ|gamma[\s\-]?delta|(?<![a-z])g[\s\-]?d[\s\-]?t(?![a-z])|vδ[12])"
    r"|(?P<treg>(?<![a-z])t[\s\-]?regs?(?![a-z])|regulatory[\s\-]+t(?![a-z])|t[\s\-]+regulatory|foxp3)"
    r"|(?P<nk>natural[\s\-]+killer|(?<![a-z])(?:p|i|it|cb|ha|u|e)?nk(?:[\s\-]?92)?(?![a-z]))"
    r"|(?P<m>macrophages?|monocytes?)"
    r"|(?P<t>(?<![a-z])t[\s\-]*(?:cells?|lymphocytes?)(?![a-z])|(?<![a-z])(?:ctls?|cik|tils?|(?:ebv)?vsts?)(?![a-z])|t细胞|t淋巴细胞)"
)
_AFTER_STOP = re.compile(
    r"[,;:]|(?<![a-z])(?:for|in|of|to|against|on|at|from|after|before|with|without|patients?|subjects?|participants?|"
    r"or|versus|vs|plus|combined|followed|treat\w*|therap\w*|infusions?|injections?|is|are|was|were|will|may|"
    r"can|which|that|who)(?![a-z])|(?<![a-z])and(?!\s+(?:[\w\-]+\s+){0,2}(?:co-)?express)"
)
_CELL_BEFORE = re.compile(
    r"(?P<cell>(?<![a-z])(?:i|a)?nkt(?![a-z])|natural[\s\-]+killer(?:[\s\-]+t(?![a-z]))?|(?<![a-z])nk[\s\-]+t(?![a-z])|"
    r"γ[\s\-]*δ[\s\-]*t|(?<![a-z])g[\s\-]?d[\s\-]?t(?![a-z])|(?<![a-z])t[\s\-]?regs?(?![a-z])|regulatory[\s\-]+t|"
    r"(?<![a-z])(?:p|i|cb|ha)?nk(?:[\s\-]?92)?(?![a-z])|macrophages?|monocytes?|(?<![a-z])t[\s\-]*(?:cells?|lymphocytes?)|"
    r"(?<![a-z])(?:ctls?|cik|tils?))"
    r"(?:[\s\-]*cells?)?(?:[\s\-]*\([^()]{1,20}\))?[\s\-,]+(?:(?:that|which|were|are|is|being|genetically|have|been|"
    r"to|then|and|also)[\s\-]+)*"
    r"(?:[\w\-]+[\s\-]+){0,3}?(?:express\w*|engineer\w*|armed|transduc\w*|modif\w*|redirect\w*|carry\w*|bear\w*|"
    r"contain\w*|equip\w*|graft\w*|target\w*|with|based|harbou?r\w*)(?![a-z])[^.;:]{0,60}$"
)
_TREG_MARKERS = re.compile(r"cd4\s*\+?\s*car\s*\+\s*foxp3|car\s*\+?\s*foxp3\s*\+|foxp3\s*\+?\s*car|car[\s\-]*treg")

# --- context -------------------------------------------------------------------------------

_FAILURE_BEFORE = re.compile(
    r"(?<![a-z])(?:fail\w*|relaps\w*|refractory|resistan\w*|progress\w*|intoleran\w*|ineligible|not\s+eligible|"
    r"unable|unfit|not\s+(?:a\s+)?candidates?|loss\s+of\s+response|recurren\w*|returned|recurred|"
    r"prior|previous(?:ly)?|history\s+of|already|既往|失败|复发)"
    r"(?:[\s\-,)]+(?:[\w/]+[\s\-,)]+){0,6}?(?:after|following|to|on|post|from|of|with|for|receiving|despite|received|"
    r"treated|exposed|exposure))?"
    r"[\s\-(]*(?:(?:an?|the|any|prior|previous|commercial|approved|standard|cd\d+|bcma|anti-?\w+|\w+-directed|"
    r"\w+-targeted|autologous|allogeneic)[\s\-]+){0,3}$"
)
_FAILURE_AFTER = re.compile(
    r"^[\s\-]*(?:(?:t|nk)?[\s\-]*(?:cells?|therapy|therapies|treatment|infusion)[\s\-]*){0,2}"
    r"(?:failure|failed|relapse|refractory|resistan\w*|-?exposed|exposure|-?na[iï]ve|-?pretreated|pre-treated|"
    r"-?treated\s+patients|ineligible)"
)
_ADJUNCT_BEFORE = re.compile(
    r"(?<![a-z])(?:received|receiving|receive|treated\s+with|"
    r"after|following|post-?|underwent|undergone|undergoing|undergo|recipients?\s+of|eligible\s+for|candidates?\s+for|"
    r"planned|scheduled|prior\s+to|before|during|in\s+patients\s+(?:with|who)|standard[\s\-]of[\s\-]care|"
    r"commercial|commercially|approved)"
    r"(?:[\s\-]+(?:\w+[\s\-]+){0,3}?)?[\s\-(]*(?:(?:an?|the|any|a\s+)?(?:cd\d+|bcma|anti-?\w+|\w+-directed|"
    r"\w+-targeted|autologous|allogeneic|commercial|standard|approved)[\s\-]+){0,3}$"
)
_BACKGROUND = re.compile(
    r"(?<![a-z])(?:although|however|have shown|has shown|have demonstrated|has demonstrated|have achieved|"
    r"has achieved|been approved|approved by|success(?:es)? of|in recent years|recently|such as|for example|e\.g\.|"
    r"unlike|in contrast|compared (?:to|with)|previous (?:clinical )?studies|other studies|has been shown|"
    r"have been shown|has become|breakthrough|revolution\w*|transform\w*|remarkable|impressive|promising|emerg\w*|"
    r"limitations?|limited by|challenges?|drawbacks?|disadvantages?|alternative|advantages?|superior|including|"
    r"involves?|\d%|"
    r"近年来|例如|然而)(?![a-z])"
)
_PRIOR_ONLY = re.compile(r"(?:prior|previous(?:ly)?|history\s+of|already)(?![a-z])")
# "non-CAR", "without CAR-T", "CAR-T-free": no product.
_NEGATED_BEFORE = re.compile(
    r"(?<![a-z])(?:non|without|instead\s+of|rather\s+than|other\s+than|not)[\s\-]*$"
    r"|(?<![a-z])(?:than|unlike)\s+(?:[\w\-]+\s+){0,3}$"  # "fewer adverse reactions than CAR-T cells"
)
_FOLLOW_UP = re.compile(r"follow[\s\-]?up|(?<![a-z])ltfu(?![a-z])|roll[\s\-]?over|long[\s\-]term")


class Mention:
    """One modality statement: the kind, where it was read (field, original text, span) and its strength (1 strongest)."""

    __slots__ = ("kind", "field", "text", "start", "end", "level")

    def __init__(self, kind: str, part: FieldText, start: int, end: int, level: int) -> None:
        self.kind, self.field, self.text, self.start, self.end, self.level = (
            kind,
            part.field,
            part.text,
            start,
            end,
            level,
        )

    def evidence(self) -> dict[str, Any]:
        return found(self.kind, self.field, self.text, self.start, self.end)


def _level(part: FieldText, text: str, start: int, end: int, *, follow_up: bool) -> int | None:
    """The strength of a mention at text[start:end]: 1, 2, 3, or None when it must not count."""
    begin, stop = sentence_bounds(text, start, end)
    before = text[max(begin, start - 90) : start]
    after = text[end : min(stop, end + 40)]
    failure = _FAILURE_BEFORE.search(before)
    if failure and follow_up and _PRIOR_ONLY.match(failure.group(0)):
        failure = None  # a follow-up study names the product its patients received before
    if failure or _FAILURE_AFTER.match(after) or _NEGATED_BEFORE.search(before):
        return None
    if part.field == "conditions":
        return 3
    adjunct = bool(_ADJUNCT_BEFORE.search(before))
    if adjunct and follow_up:
        adjunct = False
    if not part.short:
        sentence = text[begin:stop]
        if _BACKGROUND.search(sentence) and not (follow_up and _FOLLOW_UP.search(sentence)):
            return None
    if adjunct:
        return None if part.field == "objectives" else 3
    return 1 if part.short else 2


def _cell_kind(groups: dict[str, str | None]) -> str:
    for name, kind in (
        ("nkt", CAR_NKT),
        ("gd", CAR_GD_T),
        ("treg", CAR_TREG),
        ("nk", CAR_NK),
        ("m", CAR_M),
        ("t", CAR_T),
        ("t2", CAR_T),
    ):
        if groups.get(name):
            return kind
    return UNSPECIFIED


def _spans(text: str, *, in_vivo_only: bool = False, original: str | None = None) -> list[tuple[int, int, str]]:
    """(start, end, kind) of every modality statement in one folded text, not overlapping."""
    taken: list[tuple[int, int]] = []
    out: list[tuple[int, int, str]] = []

    def free(start: int, end: int) -> bool:
        return not any(start < e and s < end for s, e in taken)

    def add(start: int, end: int, kind: str) -> None:
        if free(start, end):
            taken.append((start, end))
            out.append((start, end, kind))

    has_car = "car" in text
    has_chimeric = "chimeric" in text
    if _IN_VIVO_ANCHOR.search(text):
        for m in _anchored(_IN_VIVO, _IN_VIVO_ANCHOR, text, 130, 260):
            add(m.start(), m.end(), IN_VIVO)
    if (has_car or has_chimeric) and ("lnp" in text or "lipid" in text):
        for lnp in _LNP.finditer(text):
            begin, stop = sentence_bounds(text, lnp.start(), lnp.end())
            car = _CAR_ANY.search(text, begin, stop)
            if car:
                add(min(lnp.start(), car.start()), max(lnp.end(), car.end()), IN_VIVO)
    if in_vivo_only:
        return out
    if "caar" in text or "chimeric auto" in text:
        for m in _CAAR.finditer(text):
            add(m.start(), m.end(), CAAR_T)
    if (
        "tcr" in text
        or "receptor" in text
        or "tresgene" in text
        or "-cel" in text
        or "taest" in text
        or "t细胞受体" in text
    ):
        for m in _anchored(_TCR, _TCR_ANCHOR, text, 45, 60):
            if not _TCR_NOT.search(text[max(0, m.start() - 25) : m.start()]):
                add(m.start(), m.end(), TCR_T)
    if "foxp3" in text:
        for m in _TREG_MARKERS.finditer(text):
            add(m.start(), m.end(), CAR_TREG)
    if has_car:
        for m in _GLUED.finditer(text):
            kind = _cell_kind(m.groupdict())
            if kind == CAR_T and _GD_BEFORE.search(text[max(0, m.start() - 30) : m.start()]):
                kind = CAR_GD_T  # "gamma delta (γδ) CAR T cells"
            add(m.start(), m.end(), kind)
            if m.group("nkslasht"):
                out.append((m.start(), m.end(), CAR_T))
        if "cart" in text:
            for m in _CART_CODE.finditer(text):
                add(m.start(), m.end(), CAR_T)
    if "star" in text or "truc" in text:
        for m in _STAR_TRUC.finditer(text):
            if (
                original is None
                or original[m.start() : m.start() + 4] in ("STAR", "TRuC", "TRUC")
                or m.group(0).startswith("synthetic")
            ):
                add(m.start(), m.end(), CAR_T)
    if "cabtagene" in text or "-cel" in text:
        for m in _INN_CAR.finditer(text):
            add(m.start(), m.end(), UNSPECIFIED)  # a CAR product; its cell comes from the dictionary or other words
    if has_car or has_chimeric or "-cir" in text:
        for m in _CAR_WORD_RE.finditer(text):
            if not free(m.start(), m.end()):
                continue
            kind = _cell_after(text, m.end()) or _cell_before(text, m.start()) or UNSPECIFIED
            add(m.start(), m.end(), kind)
    if "z" in text or "ζ" in text:
        for m in _anchored(_CONSTRUCT, _CONSTRUCT_ANCHOR, text, 20, 12):
            if free(m.start(), m.end()):
                add(m.start(), m.end(), _cell_after(text, m.end()) or UNSPECIFIED)
    if "target" in text or "direct" in text or "specific" in text or "-cd" in text:
        for m in _TARGETED_CELL.finditer(text):
            if free(m.start(), m.end()):
                add(m.start(), m.end(), _cell_kind(m.groupdict()))
    if _ENGINEERED_HINT.search(text):
        for m in _anchored(_ENGINEERED_T, _ENGINEERED_ANCHOR, text, 70, 45):
            if free(m.start(), m.end()) and not _NOT_ENGINEERED.search(text[max(0, m.start() - 30) : m.start()]):
                add(m.start(), m.end(), UNSPECIFIED)
    for m in re.finditer(r"嵌合抗原受体\s*(?:修饰的?)?\s*(t|nk)", text):
        add(m.start(), m.end(), CAR_NK if m.group(1) == "nk" else CAR_T)
    return out


_IN_VIVO_ANCHOR = re.compile(r"vivo|体内|situ|body|gene[\s\-]+therapy|vector|lentivir|nano-?particle|lnp")
_TCR_ANCHOR = re.compile(r"tcr|receptor|tresgene|afami|lete-cel|taest|t细胞受体")
_CONSTRUCT_ANCHOR = re.compile(r"(?:28|bb)[\s\-]?(?:z|ζ)")
_ENGINEERED_ANCHOR = re.compile(r"t[\s\-]?cells?|lymphocytes?|white[\s\-]+blood")


def _anchored(pattern: re.Pattern[str], anchor: re.Pattern[str], text: str, before: int, after: int):
    """Matches of `pattern` near the matches of a cheap `anchor` (the same matches as a full
    scan whenever every match holds an anchor within `before`/`after` characters of its start)."""
    last = -1
    for a in anchor.finditer(text):
        lo = max(last + 1, a.start() - before)
        if lo > a.start():
            continue
        for m in pattern.finditer(text, lo, min(len(text), a.end() + after)):
            if m.start() > last:
                last = m.start()
                yield m


def _cell_after(text: str, end: int) -> str | None:
    window = text[end : end + 70]
    stop = _AFTER_STOP.search(window)
    if stop:
        window = window[: stop.start()]
    m = _CELL_AFTER.search(window)
    return _cell_kind(m.groupdict()) if m else None


def _cell_before(text: str, start: int) -> str | None:
    begin = max(0, start - 110)
    window = text[begin:start]
    cut = max(window.rfind(". "), window.rfind(";"), window.rfind(":"))
    if cut >= 0:
        window = window[cut + 1 :]
    m = _CELL_BEFORE.search(window)
    if not m:
        return None
    cell = m.group("cell")
    if re.match(r"(?:i|a)?nkt|natural[\s\-]+killer[\s\-]+t|nk[\s\-]+t", cell):
        return CAR_NKT
    if re.match(r"γ|g[\s\-]?d|vδ", cell):
        return CAR_GD_T
    if re.match(r"t[\s\-]?reg|regulatory", cell):
        return CAR_TREG
    if re.match(r"natural|(?:p|i|cb|ha)?nk", cell):
        return CAR_NK
    if re.match(r"macro|mono", cell):
        return CAR_M
    return CAR_T


def mentions(
    record: TrialRecord, *, follow_up: bool = False, parts: list[FieldText] | None = None, in_vivo_only: bool = False
) -> list[Mention]:
    """Every modality statement of a record (or of `parts`) that counts, in reading order, with its strength.

    `in_vivo_only`: read only the in vivo statements (a cheap pass over long texts).
    """
    out: list[Mention] = []
    for part in record_texts(record, conditions=True) if parts is None else parts:
        text = _fold(part.text)
        if in_vivo_only:
            if not _IN_VIVO_ANCHOR.search(text) and "lnp" not in text and "lipid" not in text:
                continue
        elif not _ANY_CUE.search(text):
            continue
        if "CAR" in part.text:
            text = _unglue(part.text, text)
        for start, end, kind in sorted(_spans(text, in_vivo_only=in_vivo_only, original=part.text)):
            level = _level(part, text, start, end, follow_up=follow_up)
            if level is not None:
                out.append(Mention(kind, part, start, end, level))
    return out


def _unglue(original: str, folded: str) -> str:
    """Blank the letters glued before a capitalised CAR ("TriCAR-T" reads as "   car-t"), keeping positions."""
    chars = list(folded)
    for m in _PREFIXED_CAR.finditer(original):
        i = m.start() - 1
        while i >= 0 and m.start() - i <= 6 and original[i].isalpha():
            chars[i] = " "
            i -= 1
    return "".join(chars)


_ANY_CUE = re.compile(
    r"car|caar|chimeric|tcr|receptor|star|truc|tresgene|-cel(?![a-z])|taest|嵌合|体内|t细胞受体|(?:28|bb)[\s\-]?(?:z|ζ)|"
    r"engineer|modified|targeted|directed|redirect|specific|transduc|-cir|(?<![a-z])anti|-cd\d"
)
# A CAR construct written by its signalling domains: "19-28z", "4H11-28z", "HER2(EQ)BBζ", "CD19-CD28-zeta".
_CONSTRUCT = re.compile(r"(?<![a-z])(?:[a-z0-9()]{1,12}[\s\-.]?)?(?:cd28|28|bb|41bb|4-1bb)[\s\-]?(?:z|ζ|zeta)(?![a-z])")
# T cells engineered towards a target without the word CAR: "genetically engineered lymphocytes",
# "T cells genetically targeted to CD19", "CD19-CD22 targeted T cells", "anti-human CD70 T-cell injection".
_ENGINEERED_T = re.compile(
    r"(?<![a-z])(?:genetically|gene)[\s\-]+(?:engineered|modified|targeted|redirected|retargeted|transduced)[\s\-]+"
    r"(?:(?:autologous|allogeneic|human|donor)[\s\-]+)?(?:t[\s\-]?cells?|t[\s\-]?lymphocytes?|lymphocytes?|white[\s\-]+blood[\s\-]+cells)"
    r"|(?<![a-z])(?:t[\s\-]?cells?|t[\s\-]?lymphocytes?)[\s\-]+(?:(?:genetically|that\s+are|which\s+are)[\s\-]+)?"
    r"(?:engineered|modified|targeted|redirected|retargeted)[\s\-]+(?:to|against)[\s\-]+(?:express|target|recogni[sz]e|the|[a-z0-9\-]+)"
    r"|(?<![a-z])engineered[\s\-]+(?:(?:autologous|allogeneic)[\s\-]+)?t[\s\-]?cells?(?![a-z])"
    r"|(?<![a-z])(?:anti-?\s?)?(?:human[\s\-]+)?(?:cd\d{1,3}[a-z]?|bcma|gpc3|her2|msln|mesothelin|gd2|psma|psca|egfr\w*|b7-?h3|"
    r"claudin[\s\-]?18\.2|cldn18\.2|muc1|cea|ror1|dll3)(?:[\s\-/]+(?:cd\d{1,3}|bcma))?[\s\-]+(?:(?:targeted|targeting|specific|"
    r"directed|redirected)[\s\-]+)?(?:(?:autologous|allogeneic)[\s\-]+)?t[\s\-]?cells?(?:[\s\-]+(?:injection|infusion|therapy))?(?![a-z])"
)
# Cells named by their target without the word CAR: "CD19-targeted iNKT cell injection", "CD19-CD22 targeted T cells",
# "P-CD19CD20-ALLO1 cells" (a product code spelling its targets).
_TARGETS = (
    r"(?:cd\d{1,3}[a-z]?|bcma|gpc3|her2|msln|mesothelin|gd2|psma|psca|egfr\w*|b7-?h3|claudin[\s\-]?18\.2|cldn18\.2|"
    r"muc1|cea|ror1|dll3|cll-?1|gprc5d)"
)
_TARGETED_CELL = re.compile(
    r"(?<![a-z])(?:anti-?\s?)?(?:human[\s\-]+)?" + _TARGETS + r"(?:[\s\-/]+" + _TARGETS + r")?[\s\-]+"
    r"(?:targeted|targeting|directed|redirected|specific)[\s\-]+"
    r"(?:(?P<nkt>i?nkt)|(?P<nk>nk)|(?P<gd>γδ[\s\-]?t|gdt)|(?P<t>t))[\s\-]*cells?(?![a-z])"
    r"|(?<![a-z])[a-z]+-(?:cd\d{1,3}){1,3}-[a-z0-9]+[\s\-]+(?P<t2>cells?)(?![a-z])"
)
_ENGINEERED_HINT = re.compile(
    r"engineer|modified|targeted|redirect|specific|transduc|(?<![a-z])anti|t[\s\-]?cells?\s+inj"
)
_NOT_ENGINEERED = re.compile(r"(?:ebv|cmv|virus|viral|hpv|adv|bkv|tumou?r[\s\-]+infiltrating|til|cik|nk)[\s\-]*$")


def modalities(record: TrialRecord, products: Iterable[ProductSpec] = (), *, follow_up: bool = False) -> Classification:
    """The sorted Modality values of the trial's engineered cell products, with evidence.

    `products`: the dictionary entries of the products the trial names (see
    `products.find_products`); an entry's modality counts only when it has a
    source. `follow_up`: the trial is a long-term follow-up (its patients' earlier
    product counts). Returns `[]` for a trial giving no such product.
    """
    parts = record_texts(record, conditions=True)
    short = [p for p in parts if p.short and p.field != "conditions"]
    found_mentions = mentions(record, follow_up=follow_up, parts=short)
    rest = [p for p in parts if not (p.short and p.field != "conditions")]
    if any(m.kind != UNSPECIFIED for m in found_mentions):
        # the titles and names decide; the long texts can only add that the CAR is made in vivo
        found_mentions += mentions(record, follow_up=follow_up, parts=rest, in_vivo_only=True)
    else:
        found_mentions += mentions(record, follow_up=follow_up, parts=rest)
    by_level: dict[int, list[Mention]] = {1: [], 2: [], 3: []}
    for mention in found_mentions:
        by_level[mention.level].append(mention)
    products = list(products)
    product_evidence: list[dict[str, Any]] = []
    product_kinds: set[str] = set()
    for spec in products:
        kind = spec.fact("modality")
        if kind in MODALITY_VALUES:
            product_kinds.add(kind)
            product_evidence.append(from_product(kind, spec.name, spec.source("modality")))
    review: list[str] = []
    chosen: list[Mention] = []
    kinds: set[str] = set()
    for level in (1, 2, 3):
        level_kinds = {m.kind for m in by_level[level]}
        if level == 1:
            level_kinds |= product_kinds
        specific = level_kinds - {UNSPECIFIED}
        if specific:
            kinds = specific
            chosen = [m for m in by_level[level] if m.kind in specific]
            break
        if UNSPECIFIED in level_kinds and not kinds:
            kinds = {UNSPECIFIED}
            chosen = [m for m in by_level[level] if m.kind == UNSPECIFIED]
            # keep looking: a lower level may name the cell ("CD19 CAR" in the title, "CAR-NK cells" below)
            lower = {m.kind for lv in range(level + 1, 4) for m in by_level[lv]} - {UNSPECIFIED}
            if lower:
                kinds = lower
                chosen = [m for lv in range(level + 1, 4) for m in by_level[lv] if m.kind in lower]
            break
    evidence: list[dict[str, Any]] = []
    if not kinds and products:
        # a dictionary product (all are engineered cell products) whose modality has no source
        kinds = {UNSPECIFIED}
        chosen = []
        evidence = [{"value": CAR_T, "source": f"product dictionary: {products[0].name} (modality not sourced)"}]
        review.append("the named product's modality has no source; car_t assumed")
    if kinds == {UNSPECIFIED}:
        kinds = {CAR_T}
        if not review:
            review.append("a CAR is named without its cell type; car_t assumed")
        evidence = [{**m.evidence(), "value": CAR_T} for m in chosen[:1]] or evidence
    else:
        if IN_VIVO in kinds:
            kinds.discard(CAR_T)  # "in vivo CAR-T" elsewhere written "CAR-T cells": the same product
        subtypes = kinds & {CAR_GD_T, CAR_TREG, CAR_NKT}
        if subtypes and CAR_T in kinds:
            # γδ T, Treg and NKT cells are T cells: a generic "CAR-T" elsewhere names the same product,
            # unless the same text names both ("CD19 CAR-T followed by CAR-γδT")
            sub_texts = {id(m.text) for m in chosen if m.kind in subtypes}
            if not any(m.kind == CAR_T and id(m.text) in sub_texts for m in chosen):
                kinds.discard(CAR_T)
        seen: set[str] = set()
        for m in chosen:
            if m.kind in kinds and m.kind not in seen:
                seen.add(m.kind)
                evidence.append(m.evidence())
        evidence += [e for e in product_evidence if e["value"] in kinds and e["value"] not in seen]
    if len(kinds - {IN_VIVO}) > 1:
        review.append("several modalities named: " + ", ".join(sorted(kinds)))
    return Classification(sorted(kinds), evidence, review)
