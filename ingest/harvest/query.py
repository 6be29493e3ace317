"""The one ClinicalTrials.gov query the harvest asks for (setting `CTGOV_QUERY`).

The default is an Essie expression (the API's `query.term`) that is the OR of

1. the ways registrations name a CAR therapy: "chimeric antigen receptor",
   CAR-T / CAR T / CART, CAR-NK, CAAR-T, CAR-Treg, CAR-M / CAR macrophage,
   in vivo CAR (Essie treats a hyphen as a space inside a quoted phrase, so
   "CAR-T" also finds "CAR T");
2. the named products of the antigen vocabulary (ingest/normalize/antigens.py),
   so a registration that names only its product ("JNJ-68284528", "Kymriah") is
   found as well. The vocabulary lists products as synonyms of their target next
   to the target's own spellings; `product_names()` picks the products out:
   international nonproprietary names (…cabtagene …leucel, tisagenlecleucel) and
   their "-cel" short forms, brand names (one capitalised word, e.g. Carvykti),
   and product codes (letters and digits such as CTX110 or BMS-986393) that are
   not a spelling of an antigen itself (CD19, MUC-16, CA125 are left out: they
   would bring in every trial of an antibody or a tumour marker).

Set `CTGOV_QUERY` to replace the whole expression.
"""

from __future__ import annotations

import re
from functools import lru_cache

from django.conf import settings

from ingest.normalize.antigens import BUILTIN_ANTIGENS

CAR_WORDINGS = (
    "chimeric antigen receptor",
    "CAR-T",
    "CART",
    "CAR-NK",
    "CAAR-T",
    "CAR-Treg",
    "CAR-M",
    "CAR macrophage",
    "in vivo CAR",
)

_INN = re.compile(r"cabtagene|leucel\b|^[a-z]+-cel$", re.IGNORECASE)
_BRAND = re.compile(r"[A-Z][a-z]{4,}")
_CODE = re.compile(r"[A-Za-z][A-Za-z0-9]*-[A-Za-z0-9.\-]*\d{2,}[A-Za-z0-9.]*|[A-Za-z]{2,}\d{3,}[A-Za-z]?")
# Tumour-marker spellings that look like product codes.
_MARKER_CODES = {"ca125"}


def _key(text: str) -> str:
    return "".join(ch for ch in text.casefold() if ch.isalnum())


@lru_cache(maxsize=1)
def product_names() -> tuple[str, ...]:
    """The product names of the built-in antigen vocabulary, in vocabulary order."""
    antigen_words = set()
    for spec in BUILTIN_ANTIGENS:
        antigen_words.update(_key(w) for w in (spec.name, spec.gene_symbol) if w)
        antigen_words.update(
            _key(w) for w in spec.synonyms if not (_CODE.fullmatch(w) or _INN.search(w) or _BRAND.fullmatch(w))
        )
    antigen_words = {w for w in antigen_words if len(w) >= 3}
    names: list[str] = []
    for spec in BUILTIN_ANTIGENS:
        for word in spec.synonyms:
            key = _key(word)
            if _INN.search(word) or _BRAND.fullmatch(word) and key not in antigen_words and not word.startswith("Ig"):
                pass
            elif _CODE.fullmatch(word):
                if re.match(r"cd\d", key) or key in _MARKER_CODES or any(key.startswith(w) for w in antigen_words):
                    continue
            else:
                continue
            if word not in names:
                names.append(word)
    # "axicabtagene" already finds "axicabtagene ciloleucel".
    single = {n.casefold() for n in names if " " not in n}
    return tuple(n for n in names if not (" " in n and n.split()[0].casefold() in single))


def _quoted(term: str) -> str:
    return '"' + term.replace('"', "") + '"'


@lru_cache(maxsize=1)
def default_query() -> str:
    """The default Essie expression: CAR wordings OR product names."""
    return " OR ".join(_quoted(t) for t in (*CAR_WORDINGS, *product_names()))


def harvest_query() -> str:
    """The expression harvested: `CTGOV_QUERY`, else the default."""
    return settings.CTGOV_QUERY or default_query()
