"""The one ClinicalTrials.gov query the harvest asks for (setting `CTGOV_QUERY`).

The default is an Essie expression (the API's `query.term`) that is the OR of

1. the ways registrations name a CAR therapy: "chimeric antigen receptor",
   CAR-T / CAR T / CART, CAR-NK, CAAR-T, CAR-Treg, CAR-M / CAR macrophage,
   in vivo CAR (Essie treats a hyphen as a space inside a quoted phrase, so
   "CAR-T" also finds "CAR T");
2. the names, aliases and codes of the product dictionary
   (catalogue/data/products.json), so a registration that names only its
   product ("JNJ-68284528", "Kymriah") is found as well.

Set `CTGOV_QUERY` to replace the whole expression.
"""

from __future__ import annotations

from functools import lru_cache

from django.conf import settings

from ingest.normalize.products import builtin_products

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


@lru_cache(maxsize=1)
def product_names() -> tuple[str, ...]:
    """Every name, alias and code of the built-in product dictionary, in dictionary order.
    A multi-word name is left out when its first word is a name of its own
    ("axicabtagene" already finds "axicabtagene ciloleucel")."""
    names: list[str] = []
    for spec in builtin_products():
        for word in spec.names:
            if word and word not in names:
                names.append(word)
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
