"""Named cell-therapy products: the product dictionary and the products a trial names.

The dictionary is data, `catalogue/data/products.json` (the catalogue owns the
vocabulary; the database's Product table is seeded from it and curators extend
it). Each entry is a `ProductSpec`:

* `name`: the canonical name (the INN when there is one, else the main code);
* `aliases` (other names: brand, short INN such as "axi-cel", Chinese name) and
  `codes` (company codes such as "KTE-C19"); every one of them finds the product;
* the facts `targets` (canonical antigen names), `modality` (a `Modality`
  value), `cell_source` (a `CellSource` value) and `sponsor`;
* `sources`: for each fact stated, where it comes from: a registry record that
  states it ("NCT04035434 record: '…'") or a label / publication cited by name
  ("Kymriah (tisagenlecleucel) US prescribing information, 2017").

A fact without a source is never used: `ProductSpec.fact(name)` returns the
empty value for it, so an unsourced target never becomes a trial's antigen and
an unsourced cell source never decides a trial's cell source.

`find_products(record)` returns a `Classification` whose value is the canonical
names of the products the trial names, in order of first mention (titles
first), with one evidence dict per product: the field and phrase it was found
in. A name only counts where it names the trial's product: not in a statement of
earlier treatment ("relapsed after axi-cel", "prior tisagenlecleucel"), nor in a
background sentence of a long text ("approved products such as Kymriah") —
except that follow-up studies may name the product their patients received
earlier ("long-term follow-up of patients previously treated with JCAR015").
Pure: no database, no network.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from ingest.normalize import antigens  # the antigen matcher's tolerant tokens: CT041 ~ CT-041
from ingest.normalize.classification import Classification, found, record_texts, sentence_bounds
from ingest.records import TrialRecord

__all__ = [
    "DATA_PATH",
    "FACTS",
    "ProductSpec",
    "ProductVocabulary",
    "builtin_products",
    "default_vocabulary",
    "find_products",
    "load_products",
]

DATA_PATH = Path(__file__).resolve().parents[2] / "catalogue" / "data" / "products.json"
FACTS = ("targets", "modality", "cell_source", "sponsor")


@dataclass(frozen=True)
class ProductSpec:
    """One named product with its facts and the source of each fact (see the module docstring).

    `sources` may be given as a mapping {fact: source}; it is stored as sorted
    (fact, source) pairs so that specs are hashable (vocabularies are cached on them).
    """

    name: str
    aliases: tuple[str, ...] = ()
    codes: tuple[str, ...] = ()
    targets: tuple[str, ...] = ()
    modality: str = ""
    cell_source: str = ""
    sponsor: str = ""
    sources: Any = ()

    def __post_init__(self) -> None:
        sources = self.sources
        if isinstance(sources, Mapping):
            sources = sources.items()
        object.__setattr__(self, "sources", tuple(sorted((str(k), str(v)) for k, v in sources if v)))
        for name in ("aliases", "codes", "targets"):
            object.__setattr__(self, name, tuple(getattr(self, name)))

    @property
    def names(self) -> tuple[str, ...]:
        """The canonical name, aliases and codes: every string that finds this product."""
        return tuple(dict.fromkeys(n for n in (self.name, *self.aliases, *self.codes) if n and n.strip()))

    def source(self, fact: str) -> str:
        """The source of one fact ("" when the entry gives none)."""
        return dict(self.sources).get(fact, "")

    def fact(self, name: str) -> Any:
        """A fact's value when the entry has a source for it, else its empty value."""
        value = getattr(self, name)
        return value if value and self.source(name) else type(value)()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ProductSpec:
        return cls(
            name=data["name"],
            aliases=tuple(data.get("aliases") or ()),
            codes=tuple(data.get("codes") or ()),
            targets=tuple(data.get("targets") or ()),
            modality=data.get("modality") or "",
            cell_source=data.get("cell_source") or "",
            sponsor=data.get("sponsor") or "",
            sources=dict(data.get("sources") or {}),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "aliases": list(self.aliases),
            "codes": list(self.codes),
            "targets": list(self.targets),
            "modality": self.modality,
            "cell_source": self.cell_source,
            "sponsor": self.sponsor,
            "sources": dict(self.sources),
        }


def load_products(path: str | Path = DATA_PATH) -> tuple[ProductSpec, ...]:
    """The product specs of a products.json file (`{"products": [...]}`)."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return tuple(ProductSpec.from_dict(entry) for entry in data["products"])


@lru_cache(maxsize=1)
def builtin_products() -> tuple[ProductSpec, ...]:
    """The built-in product dictionary (catalogue/data/products.json), read once."""
    return load_products(DATA_PATH)


# --- matching -------------------------------------------------------------------------

# A statement of earlier treatment or of its failure right before a name.
_PRIOR_BEFORE = re.compile(
    r"(?<![a-z])(?:prior|previous(?:ly)?(?:\s+(?:treated|received|exposed|failed)(?:\s+(?:with|by))?)?|"
    r"(?:after|following)\s+(?:failure\s+(?:of|to|on)|failing|progression\s+(?:on|after)|relapse\s+(?:on|after|from))|"
    r"failed|failure\s+(?:of|to|on|with)|failing|post-?|refractory\s+to|resistant\s+to|"
    r"relaps(?:e|ed|ing)\s+(?:after|following|post|from|on)|progress(?:ed|ion|ing)?\s+(?:after|on|following)|"
    r"history\s+of|exposed\s+to|exposure\s+to|intoleran(?:t|ce)\s+(?:to|of)|ineligible\s+for|"
    r"(?:who|had|have|has)\s+(?:\w+\s+)?received|after|既往|曾接受)"
    r"(?:\s*(?:an?|the|any|one|other|prior|previous|commercial|commercially|available|approved|standard[\s\-]of[\s\-]care|"
    r"treatment|therapy|with|including|of|by|to|on|cd19|bcma|car[\s\-]?t|cells?)\b)*[\s\-(]*$",
    re.I,
)
_FAILURE_BEFORE = re.compile(
    r"(?<![a-z])(?:failed|failure|failing|refractory|resistant|relaps\w*|progress\w*|intoleran\w*|ineligible)\b[^.;]{0,40}$",
    re.I,
)
_FOLLOW_UP = re.compile(r"follow[\s\-]?up|\bLTFU\b|roll[\s\-]?over|long[\s\-]term", re.I)
_BACKGROUND = re.compile(
    r"(?<![a-z])(?:although|however|have shown|has shown|have demonstrated|has demonstrated|been approved|"
    r"approved (?:by|for|in)|approval|FDA[\s\-]approved|(?:was|were|is|are)\s+approved|such as|for example|e\.g\.|"
    r"unlike|in contrast|breakthrough|"
    r"commercially available|commercial products?|including)(?![a-z])",
    re.I,
)


_DASHES = str.maketrans(dict.fromkeys("‐‑‒–—−﹣－", "-"))


def _fold(text: str) -> str:
    """Lower case with dashes unified, character for character (positions stay those of `text`)."""
    lower = text.lower()
    if len(lower) != len(text):
        lower = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
    return lower if lower.isascii() else lower.translate(_DASHES)  # the table maps non-ASCII characters only


@dataclass(frozen=True)
class _Hit:
    spec: ProductSpec
    start: int
    end: int


class ProductVocabulary:
    """Product specs with one compiled matcher over all their names. Build with `from_specs`."""

    def __init__(self, specs: Iterable[ProductSpec]) -> None:
        self.specs: tuple[ProductSpec, ...] = tuple(specs)
        self._by_key: dict[str, ProductSpec] = {}
        for spec in self.specs:
            for term in spec.names:
                key = antigens._key(term)
                if key and len(key) > 2:
                    self._by_key.setdefault(key, spec)
        tokens = [
            antigens._term_tokens(t) for spec in self.specs for t in spec.names if antigens._key(t) in self._by_key
        ]
        body = antigens._trie_regex(t for t in tokens if t)
        self._regex = re.compile(rf"(?<![a-z0-9])(?:{body})(?![a-z0-9])") if body else None
        self._key = antigens._key

    @classmethod
    def from_specs(cls, specs: Iterable[ProductSpec]) -> ProductVocabulary:
        return cls(specs)

    def lookup(self, name: str) -> ProductSpec | None:
        """The product a name, alias or code stands for; None when unknown."""
        return self._by_key.get(self._key(name))

    def hits(self, text: str) -> Iterator[_Hit]:
        """Every product name in `text` (positions in `text`, which must be NFKC-normalised)."""
        if self._regex is None or not text:
            return
        for m in self._regex.finditer(_fold(text)):
            spec = self._by_key.get(self._key(m.group(0)))
            if spec is not None:
                yield _Hit(spec, m.start(), m.end())


@lru_cache(maxsize=1)
def default_vocabulary() -> ProductVocabulary:
    """The vocabulary of the built-in dictionary (compiled once)."""
    return ProductVocabulary.from_specs(builtin_products())


def names_the_product(text: str, start: int, end: int, *, short: bool) -> bool:
    """Whether a product named at text[start:end] is the trial's own product, not earlier therapy or background."""
    begin, stop = sentence_bounds(text, start, end)
    before = text[max(begin, start - 80) : start]
    sentence = text[begin:stop]
    follow_up = bool(_FOLLOW_UP.search(sentence))
    if _FAILURE_BEFORE.search(before) and not follow_up:
        return False
    if _PRIOR_BEFORE.search(before) and not follow_up:
        return False
    return short or follow_up or not _BACKGROUND.search(sentence)


def find_products(record: TrialRecord, vocabulary: ProductVocabulary | None = None) -> Classification:
    """The products a trial names: canonical names in order of first mention, with evidence.

    Reads titles, acronym, interventions, arms, keywords, summaries and
    objectives (never eligibility criteria or conditions). See the module docstring.
    """
    vocabulary = vocabulary or default_vocabulary()
    names: dict[str, dict[str, Any]] = {}
    for part in record_texts(record):
        for hit in vocabulary.hits(part.text):
            if hit.spec.name in names:
                continue
            if names_the_product(part.text, hit.start, hit.end, short=part.short):
                names[hit.spec.name] = found(hit.spec.name, part.field, part.text, hit.start, hit.end)
    return Classification(list(names), list(names.values()))


def products_named(classification: Classification, vocabulary: ProductVocabulary | None = None) -> list[ProductSpec]:
    """The specs of a `find_products` result, in its order."""
    vocabulary = vocabulary or default_vocabulary()
    specs = {spec.name: spec for spec in vocabulary.specs}
    return [specs[name] for name in classification.value if name in specs]
