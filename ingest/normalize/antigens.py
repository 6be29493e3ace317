"""The target antigen(s) of a CAR trial, as canonical names.

The vocabulary (`AntigenSpec`, `BUILTIN_ANTIGENS`) lists each antigen with its
synonyms and gene symbol; the database's Antigen table is seeded from it and
curators extend it, so matching is always driven by a `Vocabulary` built from
specs. Product names are not antigen synonyms: a `Vocabulary` built with
products (`products.ProductSpec`, the product dictionary) matches each product
whose targets have a source like a synonym of those targets, and the evidence
of such a target cites the dictionary entry and its source. On top of the vocabulary a few
fixed rules read the way CAR constructs are written: "CART19", "19-28z",
"CD19/22", ligand-based CARs (APRIL, NKG2D, BAFF, IL-13), CD numbers in a
targeting context, and the contexts that make a mention *not* a target
(prior therapy, "-negative", antibodies, tags such as EGFRt, T-cell markers,
costimulatory domains).

Only descriptive fields are read (titles, interventions, arms, summaries,
keywords, objectives, and conditions — there only a target named in a
targeting context: "BCMA CAR-T Cell Therapy"), never eligibility criteria. Evidence is ranked and the
strongest rank found wins: (1) a name in a targeting context anywhere, or any
non-descriptive name in a short field (title, intervention, arm label, keyword);
(2) a bare name in running text; (3) disease descriptors ("CD20-positive") and
background sentences ("such as", "have shown"). Objectives (outcome measures)
decide only when nothing else names a target in rank 1.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from itertools import islice
from typing import TYPE_CHECKING

from ingest.normalize.classification import Classification
from ingest.normalize.classification import found as _found
from ingest.normalize.classification import from_product as _from_product
from ingest.records import TrialRecord

if TYPE_CHECKING:
    from ingest.normalize.products import ProductSpec

__all__ = [
    "AntigenSpec",
    "BUILTIN_ANTIGENS",
    "Vocabulary",
    "classify_antigens",
    "default_vocabulary",
    "find_antigens",
    "find_antigens_in_text",
]


@dataclass(frozen=True)
class AntigenSpec:
    """One target antigen: canonical name, synonyms (construct names such as "huCART19" included), gene symbol.

    Named products are not listed here: they live in the product dictionary
    (`products.ProductSpec`), whose sourced targets a `Vocabulary` adds.
    """

    name: str
    synonyms: tuple[str, ...]
    gene_symbol: str = ""


def _s(*names: str) -> tuple[str, ...]:
    return tuple(names)


BUILTIN_ANTIGENS: tuple[AntigenSpec, ...] = (
    # --- B-cell / plasma-cell / myeloid / T-cell haematological targets -------
    AntigenSpec(
        "CD19",
        _s(
            "huCART19",
            "19(T2)28z1xx",
            "19(T2)28z",
        ),
        "CD19",
    ),
    AntigenSpec("CD20", _s("MS4A1"), "MS4A1"),
    AntigenSpec("CD22", _s("SIGLEC2"), "CD22"),
    AntigenSpec("CD5", _s(), "CD5"),
    AntigenSpec("CD7", _s(), "CD7"),
    AntigenSpec("CD30", _s("TNFRSF8"), "TNFRSF8"),
    AntigenSpec("CD33", _s("SIGLEC3"), "CD33"),
    AntigenSpec("CD38", _s(), "CD38"),
    AntigenSpec("CD70", _s("CD27L", "CD27 ligand"), "CD70"),
    AntigenSpec("CD123", _s("IL3RA", "IL-3Rα", "IL3Rα", "interleukin-3 receptor alpha"), "IL3RA"),
    AntigenSpec("CD133", _s("PROM1", "prominin-1", "prominin 1"), "PROM1"),
    AntigenSpec("CD117", _s("KIT", "c-Kit", "cKit"), "KIT"),
    AntigenSpec("CD138", _s("SDC1", "syndecan-1", "syndecan 1"), "SDC1"),
    AntigenSpec("CD171", _s("L1CAM", "L1-CAM", "L1 cell adhesion molecule"), "L1CAM"),
    AntigenSpec("CD37", _s(), "CD37"),
    AntigenSpec("CD79b", _s("CD79B", "Igβ", "Ig-beta", "Ig beta", "Igbeta"), "CD79B"),
    AntigenSpec("CD1a", _s("CD1A"), "CD1A"),
    AntigenSpec("CD4", _s(), "CD4"),
    AntigenSpec("CD10", _s("MME"), "MME"),
    AntigenSpec("CD23", _s("FCER2"), "FCER2"),
    AntigenSpec("CD44v6", _s("CD44 v6", "CD44 variant 6"), "CD44"),
    AntigenSpec("CD147", _s("basigin", "EMMPRIN"), "BSG"),
    AntigenSpec("CD56", _s("NCAM1", "NCAM"), "NCAM1"),
    AntigenSpec(
        "BCMA",
        _s(
            "TNFRSF17",
            "CD269",
            "B-cell maturation antigen",
            "B cell maturation antigen",
            "B-cell maturation protein",
            "TriPRIL",
        ),
        "TNFRSF17",
    ),
    AntigenSpec("TACI", _s("TNFRSF13B", "CD267", "TriPRIL"), "TNFRSF13B"),
    AntigenSpec("BAFF-R", _s("BAFFR", "BAFF receptor", "TNFRSF13C", "CD268", "BR3"), "TNFRSF13C"),
    AntigenSpec("GPRC5D", _s(), "GPRC5D"),
    AntigenSpec("SLAMF7", _s("CS1", "CD319", "CRACC"), "SLAMF7"),
    AntigenSpec("CLL-1", _s("CLL1", "CLEC12A", "CLEC-12A", "CD371", "MICL", "ADCLEC.syn1"), "CLEC12A"),
    AntigenSpec("FLT3", _s("CD135", "FLT-3"), "FLT3"),
    AntigenSpec(
        "Kappa light chain",
        _s("kappa", "kappa light chain", "κ light chain", "Igκ", "Ig kappa", "immunoglobulin kappa"),
        "IGKC",
    ),
    AntigenSpec("TRBC1", _s(), "TRBC1"),
    AntigenSpec("TRBC2", _s(), "TRBC2"),
    AntigenSpec("CCR4", _s(), "CCR4"),
    AntigenSpec("IL1RAP", _s("IL-1RAP"), "IL1RAP"),
    AntigenSpec("FcRH5", _s("FCRL5", "FcRL5", "FcRH5"), "FCRL5"),
    AntigenSpec("NKG2D ligands", _s("NKG2D", "NKG2DL", "NKG2D ligand", "NKG2D-L", "NKG2D ligands"), "KLRK1"),
    AntigenSpec("MICA/MICB", _s("MICA/B", "MICA", "MICB"), "MICA"),
    AntigenSpec("ICAM-1", _s("ICAM1", "CD54"), "ICAM1"),
    AntigenSpec("LILRB4", _s("ILT3", "ILT-3", "CD85k"), "LILRB4"),
    AntigenSpec("LILRA6", _s(), "LILRA6"),
    AntigenSpec("ADGRE2", _s("EMR2", "ADCLEC.syn1"), "ADGRE2"),
    AntigenSpec("Siglec-6", _s("SIGLEC6"), "SIGLEC6"),
    AntigenSpec("CCR9", _s(), "CCR9"),
    AntigenSpec("CRLF2", _s("TSLPR", "CRLF2-R", "TSLP receptor"), "CRLF2"),
    AntigenSpec("IL5Rα", _s("IL-5Rα", "IL5RA", "IL-5 receptor alpha", "CD125"), "IL5RA"),
    AntigenSpec("gp350", _s("EBV gp350", "GP350"), ""),
    AntigenSpec("HLA-A2", _s("HLA-A*02", "HLA-A*02:01", "HLA A2"), "HLA-A"),
    # --- solid-tumour targets ---------------------------------------------------
    AntigenSpec("B7-H3", _s("B7H3", "CD276", "B7 homolog 3"), "CD276"),
    AntigenSpec(
        "GD2", _s("disialoganglioside", "disialoganglioside GD2", "dissialic ganglioside", "14G2a", "GINAKIT"), ""
    ),
    AntigenSpec(
        "HER2",
        _s("ERBB2", "HER-2", "HER 2", "HER2/neu", "ErbB-2", "neu", "human epidermal growth factor receptor 2"),
        "ERBB2",
    ),
    AntigenSpec("EGFR", _s("ERBB1", "HER1", "EGFR806", "epidermal growth factor receptor"), "EGFR"),
    AntigenSpec(
        "EGFRvIII",
        _s(
            "EGFR vIII",
            "EGFRv3",
            "EGFR variant III",
            "EGFR-VIII",
            "EGFvIII",
            "epidermal growth factor receptor variant III",
        ),
        "EGFR",
    ),
    AntigenSpec("Mesothelin", _s("MSLN", "meso", "间皮素"), "MSLN"),
    AntigenSpec(
        "Claudin 18.2",
        _s(
            "CLDN18.2",
            "Claudin18.2",
            "Claudin-18.2",
            "CLDN18A2",
            "Claudin18A2",
            "claudin 18 isoform 2",
            "CLDN 18.2",
            "CLD18",
            "CLD18.2",
            "CLD18A2",
        ),
        "CLDN18",
    ),
    AntigenSpec("Claudin 6", _s("CLDN6", "Claudin6", "Claudin-6"), "CLDN6"),
    AntigenSpec("GPC3", _s("glypican-3", "glypican 3", "glypican3"), "GPC3"),
    AntigenSpec("GPC2", _s("glypican-2", "glypican 2"), "GPC2"),
    AntigenSpec("MUC1", _s("mucin 1", "mucin-1", "mucin1", "MUC-1", "TnMUC1", "Tn-MUC1", "CD227"), "MUC1"),
    AntigenSpec("MUC1-C", _s("MUC1C"), "MUC1"),
    AntigenSpec("MUC16", _s("MUC-16", "MUC16ecto", "CA125", "CA-125", "4H11"), "MUC16"),
    AntigenSpec("CEA", _s("CEACAM5", "carcinoembryonic antigen", "CEACAM-5"), "CEACAM5"),
    AntigenSpec(
        "PSMA",
        _s("FOLH1", "TmPSMA", "TmPSMA-02", "prostate-specific membrane antigen", "prostate specific membrane antigen"),
        "FOLH1",
    ),
    AntigenSpec("PSCA", _s("prostate stem cell antigen"), "PSCA"),
    AntigenSpec("ROR1", _s(), "ROR1"),
    AntigenSpec("ROR2", _s(), "ROR2"),
    AntigenSpec("AXL", _s(), "AXL"),
    AntigenSpec("c-Met", _s("cMet", "c-MET", "MET", "HGFR", "hepatocyte growth factor receptor"), "MET"),
    AntigenSpec(
        "IL13Rα2",
        _s(
            "IL13Ra2",
            "IL-13Rα2",
            "IL13Rα2",
            "IL13R alpha 2",
            "IL13Ralpha2",
            "IL-13Ralpha2",
            "IL-13 receptor alpha 2",
            "IL13 receptor alpha 2",
            "interleukin-13 receptor alpha 2",
            "interleukin 13 receptor alpha 2",
            "IL13RA2",
            "IL13-zetakine",
            "IL13 zetakine",
            "IL13(EQ)",
            "IL13 mutein",
            "IL-13 mutein",
            "IL13Rα",
        ),
        "IL13RA2",
    ),
    AntigenSpec("EpCAM", _s("EPCAM", "CD326", "TACSTD1", "epithelial cell adhesion molecule"), "EPCAM"),
    AntigenSpec("DLL3", _s("delta-like ligand 3", "delta-like 3"), "DLL3"),
    AntigenSpec("GUCY2C", _s("GCC", "guanylyl cyclase C", "guanylate cyclase C", "guanylate cyclase 2C"), "GUCY2C"),
    AntigenSpec("Lewis Y", _s("LeY", "Lewis-Y", "LewisY", "Le(Y)"), ""),
    AntigenSpec("NY-ESO-1", _s("NYESO1", "NY ESO 1", "CTAG1B"), "CTAG1B"),
    AntigenSpec("PD-L1", _s("PDL1", "PD-L1", "CD274", "B7-H1"), "CD274"),
    AntigenSpec("FAP", _s("fibroblast activation protein"), "FAP"),
    AntigenSpec("LMP1", _s("LMP-1", "latent membrane protein 1"), ""),
    AntigenSpec("TROP2", _s("TROP-2", "TACSTD2"), "TACSTD2"),
    AntigenSpec("ALPPL2", _s("ALPP2"), "ALPPL2"),
    AntigenSpec("TSHR", _s("thyrotropin receptor", "thyroid stimulating hormone receptor"), "TSHR"),
    AntigenSpec("Nectin-4", _s("NECTIN4", "Nectin 4", "PVRL4"), "NECTIN4"),
    AntigenSpec("HLA-G", _s("HLAG"), "HLA-G"),
    AntigenSpec("EphA2", _s("EPHA2", "Eph-A2"), "EPHA2"),
    AntigenSpec("VEGFR2", _s("KDR", "VEGFR-2", "FLK1"), "KDR"),
    AntigenSpec(
        "Folate receptor alpha",
        _s(
            "FRα",
            "FR-α",
            "FRalpha",
            "FR-alpha",
            "FOLR1",
            "folate receptor α",
            "folate receptor 1",
            "MOv-gamma",
            "MOv18",
            "MOv19",
            "aFR",
            "alpha folate receptor",
            "alpha-folate receptor",
            "folate receptor-alpha",
        ),
        "FOLR1",
    ),
    AntigenSpec("GPNMB", _s("glycoprotein non-metastatic B", "glycoprotein NMB"), "GPNMB"),
    AntigenSpec("TAG-72", _s("TAG72", "tumor-associated glycoprotein 72"), ""),
    AntigenSpec("CAIX", _s("CA9", "CA IX", "carbonic anhydrase IX", "carbonic anhydrase 9"), "CA9"),
    AntigenSpec("5T4", _s("TPBG", "trophoblast glycoprotein"), "TPBG"),
    AntigenSpec("CDH17", _s("cadherin 17", "cadherin-17"), "CDH17"),
    AntigenSpec("AFP", _s("alpha-fetoprotein", "alpha fetoprotein", "α-fetoprotein"), "AFP"),
    AntigenSpec("FSHR", _s("follicle-stimulating hormone receptor", "FSH receptor"), "FSHR"),
    AntigenSpec("SSTR2", _s("somatostatin receptor 2"), "SSTR2"),
    AntigenSpec("PTK7", _s(), "PTK7"),
    AntigenSpec("B7-H6", _s("B7H6", "NCR3LG1"), "NCR3LG1"),
    AntigenSpec("ErbB family", _s("pan-ErbB", "T1E28z", "T4 immunotherapy"), ""),
    AntigenSpec(
        "Integrin β7", _s("integrin beta 7", "integrin beta-7", "integrin β7", "β7 integrin", "ITGB7", "MMG49"), "ITGB7"
    ),
    AntigenSpec("MG7", _s("MG7-Ag", "MG7 antigen"), ""),
    AntigenSpec("ROBO1", _s(), "ROBO1"),
    AntigenSpec("GFRα4", _s("GFRA4", "GFR alpha 4", "GFR alpha-4"), "GFRA4"),
    AntigenSpec("TM4SF1", _s(), "TM4SF1"),
    AntigenSpec("LGR5", _s(), "LGR5"),
    AntigenSpec("STEAP1", _s(), "STEAP1"),
    AntigenSpec("KLK2", _s(), "KLK2"),
    AntigenSpec("STEAP2", _s(), "STEAP2"),
    AntigenSpec("ALK", _s("hALK"), "ALK"),
    AntigenSpec("FGFR4", _s(), "FGFR4"),
    AntigenSpec("GARP", _s("LRRC32"), "LRRC32"),
    AntigenSpec("PHOX2B", _s(), "PHOX2B"),
    AntigenSpec("ALPP", _s("placental alkaline phosphatase"), "ALPP"),
    AntigenSpec("MMP2", _s("MMP-2"), "MMP2"),
    AntigenSpec("CSPG4", _s("chondroitin sulfate proteoglycan 4", "HMW-MAA"), "CSPG4"),
    AntigenSpec("uPAR", _s("PLAUR"), "PLAUR"),
)

# Keys (see `_key`) that are ambiguous on their own: they count only next to a
# targeting word ("anti-", "targeting", "-specific", a CAR) — "weak" — or only
# right next to a CAR ("car").  T-cell / NK markers are "marker": "anti-CD4",
# "CD4-CAR", "CD4-targeted" count, "CD4+ CAR T cells" does not.
_CONTEXT_ONLY: dict[str, str] = {
    "kappa": "weak",
    "kit": "weak",
    "met": "weak",
    "meso": "weak",
    "gcc": "weak",
    "afp": "weak",
    "neu": "weak",
    "ca125": "weak",
    "ca9": "weak",
    "kdr": "weak",
    "pdl1": "car",
    "cd274": "car",
    "b7h1": "car",
    "cd4": "marker",
    "cd56": "marker",
    "ncam": "marker",
    "ncam1": "marker",
    "cd10": "weak",
    "cd23": "weak",
    "mme": "weak",
    "br3": "weak",
    "micl": "weak",
    "tt11": "weak",
}

# Ligand-based CARs: the CAR carries a ligand, the target is its receptor(s).
# Each ligand counts only in a CAR context ("APRIL-based CAR", "BAFF CAR").
_LIGANDS: dict[str, tuple[str, ...]] = {
    "april": ("BCMA", "TACI"),
    "aproliferationinducingligand": ("BCMA", "TACI"),
    "baff": ("BAFF-R", "BCMA", "TACI"),
    "baffligand": ("BAFF-R", "BCMA", "TACI"),
    "il13": ("IL13Rα2",),
    "interleukin13": ("IL13Rα2",),
    "il5": ("IL5Rα",),
    "chlorotoxin": ("MMP2",),
    "cltx": ("MMP2",),
}
_LIGAND_TERMS = (
    "APRIL",
    "a proliferation-inducing ligand",
    "BAFF",
    "BAFF ligand",
    "IL13",
    "IL-13",
    "interleukin-13",
    "IL-5",
    "IL5",
    "chlorotoxin",
    "CLTX",
)

# CD molecules that are never a CAR's target in this catalogue: the CD3 complex
# and CD8 (T-cell identity, CD3ζ signalling, CD8α hinge) and costimulatory
# domains (CD28, 4-1BB/CD137, CD27, OX40/CD134, ICOS/CD278, CD40L/CD154).
_NEVER_CD = {
    "3",
    "8",
    "28",
    "137",
    "27",
    "134",
    "278",
    "247",
    "154",
    "2",
    "45ra",
    "45ro",
    "62l",
    "25",
    "127",
    "69",
    "57",
    "3e",
    "3z",
    "8a",
    "8b",
    "16",
    "14",
    "11b",
    "161",
    "95",
    "107a",
}
# CD molecules that are usually cell markers: they need a marker-strength context.
_MARKER_CD = {"4", "34", "45", "56", "11c", "15", "66b"}
# ... of which CD34 is also a common construct tag ("CD19-CD34 CAR", RQR8): never by adjacency alone.
_TAG_CD = {"34"}

_GREEK = str.maketrans(
    {
        "α": "a",
        "β": "b",
        "γ": "g",
        "δ": "d",
        "ε": "e",
        "ζ": "z",
        "η": "h",
        "κ": "kappa",
        "λ": "lambda",
        "ν": "v",
        "ξ": "x",
        "ι": "i",
        "μ": "u",
        "ω": "w",
        "‐": "-",
        "‑": "-",
        "‒": "-",
        "–": "-",
        "—": "-",
        "−": "-",
        "﹣": "-",
        "－": "-",
        "＋": "+",
        "／": "/",
        "，": ",",
        "、": ",",
    }
)

_CJK = "\u3400-\u9fff"
_ALNUM = f"a-z0-9{_CJK}"
_SEP_EXPLICIT = r"[\s\-_./()*:]{0,3}"


_CLUSTER = re.compile(r"cluster\s+of\s+differentiation(?:\s+antigen)?\s*(?:\(cd\)\s*)?")


_ALPHA_ANTI = re.compile(r"(?<![0-9A-Za-z])(?:α|a(?=CD[0-9]|PD-?L1|BCMA|HER2|GD2))(?=[A-Za-z0-9])")


def _fold(text: str) -> str:
    """Lower-case, NFKC, Greek letters spelled in Latin, dashes unified, "cluster of differentiation" -> "cd".

    "αCD19" / "aCD19" is the usual shorthand for "anti-CD19".
    """
    text = unicodedata.normalize("NFKC", text)
    if "α" in text or "a" in text:
        text = _ALPHA_ANTI.sub("anti-", text)
    if text.isascii():  # the table maps non-ASCII characters only
        folded = text.lower()
    else:
        folded = text.translate(_GREEK).lower().translate(_GREEK)
    if "cluster" in folded:
        folded = _CLUSTER.sub("cd", folded)
    return folded


_NOT_ALNUM = re.compile(f"[^{_ALNUM}]+")
_CD_KEY = re.compile(r"cd[0-9]+")


def _key(text: str) -> str:
    """Lookup key: folded text without anything but ASCII letters, digits and CJK."""
    return _NOT_ALNUM.sub("", _fold(text))


def _term_tokens(term: str) -> list[str]:
    """Regex tokens for one synonym, one per character, tolerant of hyphens/spaces/dots inside it."""
    pieces = re.findall(f"[a-z]+|[0-9]+|[{_CJK}]+|[^{_ALNUM}]+", _fold(term))
    out: list[str] = []
    prev_alnum = ""
    for piece in pieces:
        if not re.match(f"[{_ALNUM}]", piece):
            if out and out[-1] != _SEP_EXPLICIT:
                out.append(_SEP_EXPLICIT)
            prev_alnum = ""
            continue
        if prev_alnum:
            # letter/digit transition inside a token: "cd19" ~ "cd-19" ~ "cd 19", "b7h3" ~ "b7 h3"
            out.append(r"[\s\-]?" if prev_alnum == "cd" or prev_alnum[0].isdigit() else r"-?")
        out.extend(re.escape(char) for char in piece)
        prev_alnum = piece
    while out and out[-1] == _SEP_EXPLICIT:
        out.pop()
    last = [piece for piece in pieces if re.match(f"[{_ALNUM}]", piece)]
    if out:
        out.append(_TRAIL_DIGIT if last[-1][-1].isdigit() else _TRAIL_ALPHA)
    return out


def _trie_regex(token_lists: Iterable[list[str]]) -> str:
    """One regex for many token lists, as a prefix tree (fast; longest match first)."""
    root: dict = {}
    for tokens in token_lists:
        node = root
        for token in tokens:
            node = node.setdefault(token, {})

    def emit(node: dict) -> str:
        if not node:
            return ""
        ordered = sorted(node, key=lambda t: t in (_TRAIL_DIGIT, _TRAIL_ALPHA))
        alts = [token + emit(node[token]) for token in ordered]
        return alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"

    return emit(root)


# Leading boundary: not inside an ASCII word, except glued compounds
# ("CD7CD19", "antiCD19", "CARTmeso", "huCD19").
_LEAD = (
    r"(?:(?<![a-z0-9])|(?<=[0-9])(?=[a-z])|(?<=[irtux])"
    r"(?:(?<=anti)|(?<=car)|(?<=cart)|(?<=hu)|(?<=u)(?=cd[0-9])|(?<=[0-9]x)))"
)
# Trailing boundary after a term ending in a digit: no more digits, and not a
# truncated tag ("CD19t", "HER2tG"); after a letter: end of word or a glued CD/CAR.
_TRAIL_DIGIT = r"(?![0-9])(?!\.[0-9])(?!tg?(?![a-z]))"
_TRAIL_ALPHA = r"(?:(?![a-z0-9])|(?=cd[0-9])|(?=car))"

_UNITS = r"(?:\s*(?:days?|d\b|weeks?|wks?|months?|mos?|years?|yrs?|hours?|h\b|hrs?|min|%|patients?|subjects?|participants?|cases?|mg|ml|kg|x\s*10|×))"

_UNITS_RE = re.compile(_UNITS)
_GENERIC_CD = r"cd[\s\-]?(?P<cdnum>[0-9]{1,3}(?:ra|ro|[a-e](?![a-z]))?)(?![0-9])(?!tg?(?![a-z]))"
_CAR_NUMBER = (
    r"(?:(?=car)(?<![0-9])car[\-.]?t?[\-.]?|(?=u?car)(?<![a-z0-9])u?cart?\s)(?P<carnum>[0-9]{1,3}(?:\s*[/.]\s*[0-9]{1,3})*)"
    r"(?![0-9])(?!" + _UNITS + r")"
)
_NUMBER_CAR = r"(?=[0-9])(?<![a-z0-9.])(?:[0-9]{1,2}r-)?(?P<numcar>[0-9]{1,3})[\-]?car(?![a-z])"
_ZETA = r"(?=[0-9])(?<![a-z0-9.])(?!4-?1-?bb)(?P<zeta>[0-9]{1,3})-?(?:28|bb|41bb)-?(?:z|zeta)(?![a-z])"
_SLASH_NUMBER = (
    r"(?:\s*[/&+,]\s*|[-x]|\s+(?:and|or)\s+)(?P<num>[0-9]{1,3})(?![0-9]|\.[0-9]|[\^*]|-?(?:28|bb)?-?(?:z|zeta)\b)"
)

# "+" is padding as well as a joiner: as a joiner it only let the padding and
# the joiner slots compete for every "+", so it is padding alone (same matches).
_JOINER = re.compile(
    r"^[\s+\-()]*(?:(?:[/,&x×\\;]|and/or|and|or|plus|with|及|和|或|与|、)[\s+\-()]*){0,2}(?:anti[\s\-]?)?$"
)

_TARGET_WORDS = r"(?:targeting|targeted|target|directed|redirected|specific|based|recogni[sz]ing|binding)"
_CAR_WORDS = (
    r"(?:u?car(?![a-z])|u?cart|car-?t|car-?nk|cars\b|chimeric antigen receptors?|chimeric receptors?|"
    r"cir\b|zetakine|tancar|嵌合抗原受体)"
)
_CONSTRUCT = r"(?:-?(?:cd)?28-?z|-?(?:4-?1)?bb-?z|-?cd28\b|-?4-?1bb|-?41bb|-?(?:cd3)?zeta|ζ)"

# car-adjacent after the mention: "CD19-CAR", "CD19CAR", "CD19 CAR-T", "CD19-targeted CAR".
# Padding, an optional CD number ("CD19/22 CAR") and an optional kind word, then
# the CAR; written so that no two parts can take the same padding characters.
_CAR_KIND_WORDS = (
    r"(?:" + _TARGET_WORDS + r"|dual|bispecific|bivalent|tandem|directed|armed|armored|armoured|modified|engineered"
    r"|double|multi)"
)
_AFTER_CAR = re.compile(
    r"^(?:(?:[\s+\-/]|\.(?=\S))*"
    r"(?:(?:(?:cd)?[0-9]{1,3}(?![0-9])(?:\s*" + _CAR_KIND_WORDS + r")?|" + _CAR_KIND_WORDS + r")(?:[\s\-]|\.(?=\S))*)?"
    r"(?:(?!anti)[a-z][a-z\-]{1,11}\s+)?)?" + _CAR_WORDS
)
_AFTER_CAR_GLUED = re.compile(r"^[\-.]?(?:" + _CAR_WORDS + r"|" + _CONSTRUCT + r")")
_AFTER_TARGETED = re.compile(r"^[\s\-]*" + _TARGET_WORDS + r"(?![a-z])")
# before the mention: "CAR-CD19", "CART-meso", "CAR T cells targeting CD19", "anti-CD19"
_BEFORE_CAR_GLUED = re.compile(r"(?:u?car|cart|car-?t|ucar-?t|car-?nk)[\-.]?$")
_BEFORE_CAR = re.compile(
    _CAR_WORDS + r"(?:[\s\-]*(?:(?:t|nk)[\s\-]*)?(?:cells?|lymphocytes?|therapy|products?|injection|细胞))?"
    r"[\s,]*(?:(?:that|which)\s+)?"
    r"(?:(?:targeting|targeted\s+(?:to|at|against)|target(?:s)?|directed\s+(?:to|at|against)|"
    r"specific\s+(?:to|for)|against|redirected\s+(?:to|against)|recogni[sz]ing|recogni[sz]es|binding(?:\s+to)?)\s*)?"
    r"(?:the\s+)?(?:anti[\s\-]?)?$"
)
_BEFORE_WEAK = re.compile(
    r"(?:anti[\s\-]?|(?:targeting|targeted\s+(?:to|at|against)|targets?|directed\s+(?:to|at|against)|"
    r"specific\s+(?:to|for)|against|redirected\s+(?:to|against)|recogni[sz]ing|recogni[sz]es|"
    r"binding(?:\s+to)?)\s+(?:the\s+|a\s+|either\s+|both\s+)?(?:anti[\s\-]?)?|靶向|抗)$"
)

_NEG_BEFORE = re.compile(
    r"(?<![a-z])(?:prior(?!\s+to)|previous(?:ly)?(?:\s+(?:treated|received|exposed|failed))?|"
    r"(?:after|following)\s+(?:failure\s+(?:of|to|on)|failing|progression\s+(?:on|after)|relapse\s+(?:on|after|from)|"
    r"prior|previous)|failed|failure\s+(?:of|to|on|with)|failing|post-?|refractory\s+to|resistant\s+to|"
    r"relaps(?:e|ed|ing)\s+(?:after|following|post|from|on)|progress(?:ed|ion|ing)?\s+(?:after|on|following)|"
    r"history\s+of|exposed\s+to|exposure\s+to|intoleran(?:t|ce)\s+(?:to|of)|ineligible\s+for|lost|loss\s+of|"
    r"既往|曾接受|曾经)"
    r"(?:\s*(?:(?:an?|the|any|one|other|prior|previous|current|standard|commercial|commercially|available|approved|"
    r"at\s+least\s+one|treatment|therapy|with|including|of|by|to|on|receiving|received|treated)\b|\([^()]{0,20}\)))*"
    r"[\s\-]*(?:anti[\s\-]?)?$"
    r"|(?:refractory|resistant|exposed|intolerant)\s+to\s+[^.;()]{0,30}\(\s*(?:anti[\s\-]?)?$"
)
# A list of further CDs / numbers ("CD19/CD22-negative", "CD19 and 20 negative")
# before the negative word. Each digit run is read whole and each separator
# once, so the time stays linear: a pattern that could split "CD19 " followed by
# 30 digits every possible way takes minutes. After "cd12" an "x" is the CD's suffix letter, which
# already allows everything a separating "x" would.
_NEG_AFTER = re.compile(
    r"^(?:[\s/\-]*(?:(?:and|or|×|(?<!cd[0-9])(?<!cd[0-9]{2})(?<!cd[0-9]{3})x)[\s/\-]*)?"
    r"(?:cd(?:[0-9]{1,3}(?![0-9])[a-z]?|[0-9]{4,})|[0-9]+(?![0-9])))*[\s\-)]*"
    r"(?:(?:targeted|targeting|directed|specific|based)[\s\-]+(?=(?:monoclonal\s+|bispecific\s+)?antibod|mab|adc))?(?:"
    r"internal\s+tandem|rearrang|fusion|translocation|amplification|negative|neg\b|-ve\b|loss|lost|escape|exposed|pre-?treated|naive|naïve|refractory|resistant|"
    r"knock-?out|knocked[\s\-]?out|ko\b|deleted|deletion|deficient|null\b|edited|disrupted|"
    r"mutant|mutation|mutated|itd\b|tkd\b|inhibitors?|tkis?\b|"
    r"(?:(?!u?car)[a-z\-]+\s+)?(?:monoclonal\s+)?antibod|mabs?\b|monoclonal|bites?\b|adc\b|antibody-drug|drug\s+conjugate|"
    r"t[\s\-]cell\s+engager|engager|immunotoxin|beads?|dynabeads|microbeads|magnetic|selected|selection|"
    r"isolat|enrich|deplet|sorted|sorting|pet\b|imaging|scan\b|levels?\b|concentrations?|titers?|titres?|"
    r"mimotope|tag\b|truncated|阴性|敲除|抗体|单抗|(?:is|was|are|were)\s+not\b)"
)
_NEG_AFTER_THERAPY = re.compile(
    r"^[\s\-]*(?:(?:u?car(?![a-z])|ucart|car-?t|car-?nk|chimeric antigen receptor|directed|targeted|targeting|"
    r"based|specific|therapy|therapies|treatment|cells?|t[\s\-]cells?|immunotherapy|agents?|products?|"
    r"infusion)[\s\-]*)+(?:failure|failed|relapse(?!d)|exposed|pre-?treated|naive|naïve|resistant|"
    r"refractory|治疗失败|失败|复发)"
)
_SENTENCE_END = re.compile(r"(?:[.;!?。；](?=\s|$)|:\s*\n|\n\s*\n|\n\s*[*\-•]\s)\s*")
_AFTER_PRIOR = re.compile(
    r"(?<![a-z])(?:after\s+(?:an?\s+|the\s+|prior\s+|previous\s+|commercial\s+|approved\s+)?|"
    r"following\s+(?:commercial|approved|standard-of-care)\s+|"
    r"(?:who|had|have|has)\s+(?:\w+\s+)?received\s+(?:[a-z]+\s+){0,3}?)(?:anti[\s\-]?)?$"
)
_THERAPY_NEXT = re.compile(
    r"^[\s\-/]*(?:(?:cd)?[0-9]+(?![0-9])[\s\-/]*)*(?:u?car(?![a-z])|u?cart|car-?t|chimeric|directed|targeted|targeting|"
    r"therapy|therapies|immunotherapy|treatment|infusion|bispecific|antibod|mab\b)"
)
_SUSPENDED_NEGATIVE = re.compile(r"^-(?:\s+(?!and\b|or\b|&|/|,|to\b)|\)|,|;|$)")
_BACKGROUND = re.compile(
    r"(?<![a-z])(?:although|however|have shown|has shown|have demonstrated|has demonstrated|have achieved|"
    r"has achieved|have been approved|has been approved|been approved|approved by|success of|in recent years|"
    r"such as|for example|e\.g\.|unlike|different (?:protein )?from|in contrast|previous (?:clinical )?studies|"
    r"other studies|has been shown|have been shown|have been used|has become|breakthrough|compared with|"
    r"compared to|have caused|has caused|have led|has led|have produced|have induced|have proven|has proven|"
    r"shows? (?:impressive|promising|remarkable|excellent)|"
    r"例如|诸如|近年来)"
)
_TARGET_TALK = re.compile(r"target|靶")
_SUBSUMES = {"EGFRvIII": "EGFR", "MUC1-C": "MUC1"}
_NEG_BEFORE_TAG = re.compile(
    r"(?:truncated|serum|plasma|soluble|circulating|inhibit(?:s|ing|ion\s+of)?|"
    r"(?:auto)?antibod(?:y|ies)\s+(?:against|to|targeting|directed\s+against)(?:\s+the)?)[\s\-]*$"
)
_DESCRIPTOR_AFTER = re.compile(
    r"^(?:\s*\+|[\s\-]*"
    r"(?:(?:or\s+other\s+(?:(?:markers?|antigens?|proteins?)\s+)?|(?:markers?|antigens?|proteins?)\s+)[\s\-]*)?(?:"
    r"positive|pos\b|expressing|expression|expressed|overexpress|high|bright|dim\b|low\b|阳性|表达))"
)
_DESCRIPTOR_BEFORE = re.compile(
    r"(?:expressing|expression\s+of|express(?:es)?|positive\s+for|overexpressing|overexpression\s+of)\s+(?:the\s+)?$"
)


# Mentions read per text. Registry texts have a few dozen at most (38 in the
# largest of the corpus); a text with thousands is not prose, and reading each
# one's context made a 1 MB field of "CD19 CAR-T" take seconds.
_MAX_MENTIONS = 1000


@dataclass(frozen=True)
class _Mention:
    start: int
    end: int
    names: tuple[str, ...]
    level: str  # context it needs: "" (none), "weak", "car", "marker", "tag" (see _accepts)
    inherent: bool = False  # "CART19", "19-28z": the mention itself names a CAR


class Vocabulary:
    """Canonical antigen names and their synonyms, with the matcher built once.

    `products`: product dictionary entries (`products.ProductSpec`). A product
    whose targets have a source is matched like a synonym of each of its targets
    (a name in a short field is a target, a bare name in running text a plain
    mention...); a product whose targets have no source adds nothing.
    """

    def __init__(self, specs: Iterable[AntigenSpec], products: Iterable[ProductSpec] = ()) -> None:
        self.specs: tuple[AntigenSpec, ...] = tuple(specs)
        self.products: tuple[ProductSpec, ...] = tuple(products)
        self.names: tuple[str, ...] = tuple(dict.fromkeys(s.name for s in self.specs))
        self._by_key: dict[str, tuple[str, ...]] = {}
        self._name_by_key: dict[str, str] = {}
        self._product_by_key: dict[str, ProductSpec] = {}
        extra: dict[str, list[str]] = {}
        for product in self.products:
            targets = [t for t in product.fact("targets") if t in self.names]
            if not targets:
                continue
            for term in product.names:
                if _key(term):
                    self._product_by_key.setdefault(_key(term), product)
            for target in targets:
                extra.setdefault(target, []).extend(product.names)
        matched = [AntigenSpec(s.name, s.synonyms + tuple(extra.get(s.name, ())), s.gene_symbol) for s in self.specs]
        terms: dict[str, str] = {}
        for spec in matched:
            gene = spec.gene_symbol
            if gene and _key(spec.name) != _key(gene) and _key(spec.name).startswith(_key(gene)):
                gene = ""  # EGFRvIII's gene is EGFR, CD44v6's is CD44: not synonyms
            for term in (spec.name, gene, *spec.synonyms):
                key = _key(term)
                if not key:
                    continue
                if term == spec.name:
                    self._name_by_key.setdefault(key, spec.name)
                names = self._by_key.get(key, ())
                if spec.name not in names:
                    self._by_key[key] = names + (spec.name,)
                terms.setdefault(_fold(term), key)
        self._ligands = {k: tuple(n for n in v if n in self.names) for k, v in _LIGANDS.items()}
        ligand_terms = [t for t in _LIGAND_TERMS if self._ligands.get(_key(t))]
        term_regex = _trie_regex(_term_tokens(t) for t in list(terms) + ligand_terms if _key(t))
        self._regex = re.compile(
            f"(?=[{_ALNUM}])"
            r"(?:(?P<zetam>"
            + _ZETA
            + r")|(?P<carm>"
            + _CAR_NUMBER
            + r")|(?P<numcarm>"
            + _NUMBER_CAR
            + r")|"
            + _LEAD
            + r"(?:(?P<term>"
            + term_regex
            + r")|(?P<gcd>"
            + _GENERIC_CD
            + r")))"
        )
        self._slash = re.compile(_SLASH_NUMBER)

    @classmethod
    def from_specs(cls, specs: Iterable[AntigenSpec], products: Iterable[ProductSpec] = ()) -> Vocabulary:
        """A vocabulary from antigen specs (built-in or curated) and product entries (see the class docstring)."""
        return cls(specs, products)

    def product(self, term: str) -> ProductSpec | None:
        """The product entry whose (sourced) targets a matched term stands for; None for an antigen name."""
        return self._product_by_key.get(_key(term))

    def lookup(self, text: str) -> tuple[str, ...]:
        """Every canonical name `text` stands for (two or more for dual-target products)."""
        key = _key(text)
        if key in self._name_by_key:
            return (self._name_by_key[key],)
        return self._by_key.get(key, ())

    def canonical(self, text: str) -> str | None:
        """The canonical name for a name, synonym or gene symbol; None when unknown."""
        names = self.lookup(text)
        return names[0] if names else None

    def _cd(self, number: str) -> tuple[str, ...]:
        return self.lookup("cd" + number.replace(" ", ""))

    def _mentions(self, folded: str) -> Iterator[_Mention]:
        """Every antigen mention in already-folded text, in order."""
        for m in self._regex.finditer(folded):
            if m.group("term") is not None:
                key = _key(m.group("term"))
                names = self._ligands.get(key) or self.lookup(key)
                if not names:
                    continue
                level = "car" if key in self._ligands else _CONTEXT_ONLY.get(key, "")
                if _CD_KEY.match(key) and names == (_cd_name(key[2:]),):
                    # a bare CD name (built-in or added later): the CD-number rules apply
                    number = key[2:]
                    if number in _NEVER_CD:
                        continue
                    level = "tag" if number in _TAG_CD else "marker" if number in _MARKER_CD else level
                yield _Mention(m.start("term"), m.end("term"), names, level)
                if _CD_KEY.fullmatch(key):
                    yield from self._slashed(folded, m.end("term"))
            elif m.group("gcd") is not None:
                number = m.group("cdnum")
                if number in _NEVER_CD:
                    continue
                names = self._cd(number) or (_cd_name(number),)
                level = (
                    "tag"
                    if number in _TAG_CD
                    else "marker"
                    if number in _MARKER_CD
                    else ("" if self._cd(number) else "weak")
                )
                level = _CONTEXT_ONLY.get("cd" + number, level)
                yield _Mention(m.start("gcd"), m.end("gcd"), names, level)
                yield from self._slashed(folded, m.end("gcd"))
            else:
                raw = m.group("zeta") or m.group("carnum") or m.group("numcar")
                spaced = m.group("carnum") is not None and " " in m.group("carm")
                prefix = folded[max(0, m.start() - 12) : m.start()]
                coded = m.group("carnum") is not None and bool(re.search(r"[a-z\-]$", prefix))
                if coded and re.search(r"[0-9][a-z]*-$", prefix):
                    continue  # "huMNC2-CAR22": a product code, not CD22
                for number in re.findall(r"[0-9]+", raw):
                    names = self._car_number(number, spaced=spaced, coded=coded)
                    if names:
                        yield _Mention(m.start(), m.end(), names, "", inherent=True)

    def _car_number(self, number: str, *, spaced: bool, coded: bool) -> tuple[str, ...]:
        """The antigen a number names in "CART19", "CAR-T 19", "19-28z", "70CAR"; () if none.

        Leading zeros are product codes ("C-CAR011", "GD2-CART01") unless the rest
        is a known two-digit CD ("UCART019"); CD numbers outside the vocabulary count
        only in the plain glued form ("CART84"), not after a product prefix ("JWCAR129").
        """
        stripped = number.lstrip("0")
        if not stripped or stripped in _NEVER_CD or "cd" + stripped in _CONTEXT_ONLY:
            return ()
        if stripped != number and len(stripped) < 2:
            return ()
        if stripped in _MARKER_CD:
            return (_cd_name(stripped),) if len(stripped) > 1 and not spaced and not coded else ()
        names = self._cd(stripped)
        if names or spaced or coded or stripped != number or len(stripped) < 2:
            return names
        return (_cd_name(stripped),)

    def _slashed(self, folded: str, end: int) -> Iterator[_Mention]:
        """Bare numbers after a CD: "CD19/22", "CD19-22", "CD19 and 20" (known CDs only)."""
        pos = end
        while True:
            m = self._slash.match(folded, pos)
            if not m or _UNITS_RE.match(folded, m.end()):
                return
            names = self._cd(m.group("num"))
            if not names:
                return
            yield _Mention(m.start("num"), m.end(), names, "")
            pos = m.end()


def _cd_name(number: str) -> str:
    digits = re.match(r"[0-9]+", number).group(0)
    return "CD" + digits + number[len(digits) :]


@lru_cache(maxsize=1)
def default_vocabulary() -> Vocabulary:
    """The vocabulary built from BUILTIN_ANTIGENS and the built-in product dictionary (cached)."""
    from ingest.normalize.products import builtin_products  # noqa: PLC0415 (products imports this module)

    return Vocabulary.from_specs(BUILTIN_ANTIGENS, builtin_products())


def _runs(folded: str, mentions: list[_Mention]) -> Iterator[list[_Mention]]:
    """Group mentions joined by "/", "+", "-", ",", "and", "x"... into one list."""
    run: list[_Mention] = []
    for mention in mentions:
        if run and mention.start < run[-1].end:
            run.append(mention)
            continue
        if run and _JOINER.match(folded[run[-1].end : mention.start]):
            run.append(mention)
            continue
        if run:
            yield run
        run = [mention]
    if run:
        yield run


def _classify(folded: str, run: list[_Mention]) -> tuple[str, str]:
    """(verdict, context) of a run: "no" | "target" | "descriptor" | "plain", and the context.

    "no" covers earlier therapy ("prior anti-CD19", "after CD19 CAR-T", "who received
    BCMA CAR-T"), antigen loss ("CD19-negative"), antibodies, tags and assays.
    """
    start, end = run[0].start, max(m.end for m in run)
    before = folded[max(0, start - 80) : start]
    after = folded[end : end + 80]
    sentence_before = _SENTENCE_END.split(before)[-1]
    if (
        _NEG_BEFORE.search(sentence_before)
        or _NEG_BEFORE_TAG.search(before)
        or _NEG_AFTER.match(after)
        or _NEG_AFTER_THERAPY.match(after)
        or _SUSPENDED_NEGATIVE.match(after)
    ):
        return "no", ""
    if _AFTER_PRIOR.search(sentence_before) and _THERAPY_NEXT.match(after):
        return "no", ""
    glued = bool(_AFTER_CAR_GLUED.match(after) or _BEFORE_CAR_GLUED.search(before))
    car = glued or bool(_AFTER_CAR.match(after) or _BEFORE_CAR.search(sentence_before))
    weak = bool(_BEFORE_WEAK.search(before) or _AFTER_TARGETED.match(after))
    if glued:
        return "target", "glued"
    if car:
        return "target", "car+weak" if weak else "car"
    if weak:
        return "target", "weak"
    if _DESCRIPTOR_AFTER.match(after) or _DESCRIPTOR_BEFORE.search(before):
        return "descriptor", ""
    return "plain", ""


def _accepts(level: str, verdict: str, context: str, *, with_other_target: bool = False) -> bool:
    """Whether a context-only mention ("kappa", "PD-L1", "CD4") is a target in this context.

    A marker such as CD4 or CD56 counts next to a CAR only when it is named beside
    another, unambiguous target ("DLL3/CD56 CAR-NK"), not in "CD4 CAR T cells".
    """
    if not level:
        return True
    if level == "car":
        return context in ("glued", "car", "car+weak")
    if level == "marker":
        return context in ("glued", "weak", "car+weak") or (with_other_target and context == "car")
    if level == "tag":
        return context in ("glued", "weak", "car+weak")
    return verdict == "target"


class _Sentences:
    """The sentence around a mention, and whether a pattern occurs in it, for one folded text.

    The sentence breaks are found once, and a pattern searched for in one
    sentence is not searched for again in the part already read: looking at the
    whole text for each mention took time quadratic in the text's length.
    """

    def __init__(self, folded: str) -> None:
        self._text = folded
        breaks = list(_SENTENCE_END.finditer(folded))
        self._starts = [m.start() for m in breaks]
        self._ends = [m.end() for m in breaks]
        self._searched: dict[tuple[re.Pattern[str], int], tuple[int, int]] = {}

    def bounds(self, position: int) -> tuple[int, int]:
        """(begin, end) of the sentence holding the mention that starts at `position`.

        A break mark right before the mention ("e.g.CD19") ends a sentence too, as
        it did when the text before the mention was searched on its own.
        """
        before = bisect_right(self._ends, position)
        begin = self._ends[before - 1] if before else 0
        if position and self._text[position - 1] in ".;!?。；":
            begin = position
        after = bisect_left(self._starts, position)
        end = self._starts[after] if after < len(self._starts) else len(self._text)
        return begin, end

    def has(self, pattern: re.Pattern[str], begin: int, end: int) -> bool:
        """Whether `pattern` occurs within text[begin:end] (its look-behinds see no letter before `begin`)."""
        searched = self._searched.get((pattern, end))
        if searched is not None and searched[0] <= begin and (searched[1] < 0 or searched[1] >= begin):
            return searched[1] >= 0  # the first match at or after `begin` was already found, or none is left
        found = pattern.search(self._text, begin, end)
        self._searched[(pattern, end)] = (begin, found.start() if found else -1)
        return found is not None


_Hits = tuple[list[tuple[str, int, int]], list[tuple[str, int, int]], list[tuple[str, int, int]]]


def _scan_hits(
    text: str, vocabulary: Vocabulary, *, short: bool = False, targets_only: bool = False
) -> tuple[str, _Hits]:
    """(folded text, mentions by strength), each mention (name, start, end) in the folded text.

    Strength: (targets, plain mentions, weak evidence). Targets are mentions in a
    targeting context (or any non-descriptive mention in a short field such as a
    title or an intervention name); plain mentions are bare antigen names in
    running text; weak evidence is disease descriptors ("CD20-positive") and
    mentions in background sentences ("such as", "although", "have shown").
    `targets_only` (conditions): only mentions in a targeting context count
    ("Infusion of CD19 CAR T Cell"), never a bare or descriptive one ("CD20-positive lymphoma").
    """
    folded = _fold(text)
    tiers: _Hits = ([], [], [])
    sentences = _Sentences(folded) if not short else None
    for run in _runs(folded, list(islice(vocabulary._mentions(folded), _MAX_MENTIONS))):
        verdict, context = _classify(folded, run)
        if verdict == "no":
            continue
        if any(m.inherent for m in run):
            verdict, context = "target", "glued"
        if targets_only and verdict != "target":
            continue
        if verdict == "descriptor":
            tier = 2
        elif sentences is None:
            tier = 0
        else:
            begin, end = sentences.bounds(run[0].start)
            if sentences.has(_BACKGROUND, begin, end):
                tier = 2
            elif verdict == "plain" and not sentences.has(_TARGET_TALK, begin, end):
                tier = 1
            else:
                tier = 0
        anchored = any(not m.level for m in run)
        for mention in run:
            if mention.level and not _accepts(mention.level, verdict, context, with_other_target=anchored):
                continue
            tiers[tier].extend((name, mention.start, mention.end) for name in mention.names)
    return folded, tiers


def _scan(text: str, vocabulary: Vocabulary, *, short: bool = False) -> tuple[list[str], list[str], list[str]]:
    """Mention names in one text by strength (see `_scan_hits`)."""
    _, tiers = _scan_hits(text, vocabulary, short=short)
    return tuple([name for name, _, _ in tier] for tier in tiers)  # type: ignore[return-value]


def _unique(names: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(names))


def _best(tiers: tuple[list[str], list[str], list[str]]) -> list[str]:
    """The strongest non-empty tier, de-duplicated, a specific variant replacing its parent."""
    for names in tiers:
        if names:
            found = _unique(names)
            return [n for n in found if not any(_SUBSUMES.get(o) == n for o in found)]
    return []


def find_antigens_in_text(text: str, vocabulary: Vocabulary | None = None) -> list[str]:
    """Canonical target antigens named in one piece of free text, in order, de-duplicated.

    Names in a targeting context win; bare names count when there are none, and
    disease descriptors ("CD20-positive lymphoma") or background mentions only
    when the text names nothing else. Only the first 1000 mentions of a text are
    read; the time taken is linear in the text's length whatever it holds.
    """
    return _best(_scan(text, vocabulary or default_vocabulary()))


def _record_texts(record: TrialRecord) -> Iterator[tuple[str, str, bool]]:
    """(field, text, is_short_field) for the descriptive fields of a record; never eligibility."""
    record = record.filled()
    yield "title", record.title, True
    yield "official_title", record.official_title, True
    yield "title_zh", record.title_zh, True
    yield "acronym", record.acronym, True
    for intervention in record.interventions:
        yield "interventions", intervention.name, True
        for name in intervention.other_names:
            yield "interventions", name, True
        yield "interventions", intervention.description, False
    for arm in record.arms:
        yield "arms", arm.label, True
        yield "arms", arm.description, False
    for keyword in record.keywords:
        yield "keywords", keyword, True
    yield "summary", record.brief_summary, False
    yield "description", record.detailed_description, False


# Only a condition that may name a target in a targeting context is read (most name a disease).
_CONDITION_CUE = re.compile(r"car|chimeric|anti|target|directed|specific|redirect|靶向|嵌合", re.I)


def find_antigens(record: TrialRecord, *, vocabulary: Vocabulary | None = None) -> list[str]:
    """Canonical names of every target of the trial's CAR(s), stable order, de-duplicated.

    Reads titles, acronym, interventions, arms, keywords and summaries, the
    conditions (only a target named in a targeting context: "BCMA CAR-T Cell
    Therapy"), then objectives when those name no target in a targeting
    context; never eligibility criteria. Returns [] when no target is stated.
    """
    return classify_antigens(record, vocabulary=vocabulary).value


def classify_antigens(record: TrialRecord, *, vocabulary: Vocabulary | None = None) -> Classification:
    """`find_antigens` with evidence: one dict per antigen, the first mention of the deciding strength.

    A mention that is a product name carries the product dictionary's source of
    its targets too: {"value", "field", "phrase", "source": "product dictionary: <product> (<source>)"}.
    """
    vocabulary = vocabulary or default_vocabulary()
    record = record.filled()
    hits: tuple[list, list, list] = ([], [], [])

    def scan(field: str, text: str, short: bool, targets_only: bool = False, into=hits) -> None:
        if not text or not text.strip():
            return
        folded, tiers = _scan_hits(text, vocabulary, short=short, targets_only=targets_only)
        shown = text if len(text) == len(folded) else folded
        for tier, found_hits in zip(into, tiers):
            tier.extend((name, field, shown, folded, start, end) for name, start, end in found_hits)

    for field, text, short in _record_texts(record):
        scan(field, text, short)
    for condition in record.conditions:
        if _CONDITION_CUE.search(condition):
            scan("conditions", condition, True, targets_only=True)
    chosen = hits
    if not hits[0] and record.objectives.strip():
        # Objectives / outcome measures repeat the product; they decide only when
        # nothing else names a target (registries copy outcome text between trials).
        objectives: tuple[list, list, list] = ([], [], [])
        scan("objectives", record.objectives, False, into=objectives)
        if objectives[0]:
            chosen = objectives
    for tier in chosen:
        if not tier:
            continue
        names = _best(([hit[0] for hit in tier], [], []))
        evidence = []
        for name in names:
            hit = next(h for h in tier if h[0] == name)
            _, field, shown, folded, start, end = hit
            entry = _found(name, field, shown, start, end)
            product = vocabulary.product(folded[start:end])
            if product is not None:
                entry["source"] = _from_product(name, product.name, product.source("targets"))["source"]
            evidence.append(entry)
        return Classification(names, evidence)
    return Classification([], [])
