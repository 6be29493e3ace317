"""The search box (`q`): concepts first, then the text.

A search is words and Chinese runs, with three operators, the same in the form
and the API:

- `-word` (or `-"a phrase"`) leaves out the trials that match it;
- `"a phrase"` matches those words in that order;
- `a or b` matches either; terms are otherwise all required.

Each term is first looked up in the vocabularies, in English and Chinese:
disease tree nodes (name, Chinese name, synonyms), antigens (name, synonyms) and
products (name, aliases, codes). A term naming a concept matches the trials
tagged with it, whatever words their records use (a disease node includes
everything under it), *or* the trials whose text matches it or the concept's
English or Chinese name (so 淋巴瘤 and lymphoma find the same trials); other
terms match text only. Up to six words in a row are read as one concept ("multiple myeloma",
"diffuse large B-cell lymphoma"); a quoted phrase is always text. A short
all-capital disease acronym (ALL, MS, MM) names its disease only in capitals,
as in the disease normalizer, so "all" stays a word.

Text matching: English words match stemmed, and words of three letters or more
also as prefixes ('lymph' finds lymphoma, 'NCT0683' an id). Chinese has no
spaces: a run of ideographs matches as an exact substring, through the
overlapping character pairs the search vector holds (migration 0007); one
character matches as a prefix. Everything is served by the GIN indexes of the
search vector and of the facet arrays.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.postgres.search import CombinedSearchQuery, SearchQuery, SearchQueryCombinable, SearchQueryField
from django.db import connections, router
from django.db.models import Func, Q

from catalogue.choices import DiseaseKind
from catalogue.models import Antigen, Disease, Product, Trial, lookup_key

# CJK ideographs (with extension A and the compatibility block): the same class as
# the database function `catalogue_cjk_tokens()` (migration 0007).
CJK_CHARS = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_RUN = re.compile(f"[{CJK_CHARS}]+")
_SCRIPT_PART = re.compile(f"[{CJK_CHARS}]+|[^{CJK_CHARS}]+")
_WORD = re.compile(r"[^\W_]+")
_TOKEN = re.compile(r'-?"[^"]*"?|\S+')
_SHORT_ACRONYM = re.compile(r"[A-Z0-9]{1,4}")
MAX_CONCEPT_WORDS = 6

# Matches no trial, and compiles (an empty `pk IN ()` cannot be part of a counts statement).
NOTHING = Q(pk__lt=0)
# What each kind of concept filters on, and the facet it is.
KINDS = {"disease": "disease_names", "antigen": "antigen_names", "product": "product_names"}
KIND_LABELS = {"disease": "disease", "antigen": "target", "product": "product"}


@dataclass(frozen=True)
class Term:
    """One search term: a word, a Chinese run, several words read as one concept, or a phrase."""

    text: str
    negated: bool = False
    phrase: bool = False


@dataclass(frozen=True)
class Concept:
    """A vocabulary entry a term names: `name` is the canonical value its facet holds."""

    kind: str  # "disease", "antigen" or "product"
    name: str
    name_zh: str = ""

    @property
    def label(self) -> str:
        return f"{self.name} ({self.name_zh})" if self.name_zh and self.name_zh != self.name else self.name

    def condition(self) -> Q:
        return Q(**{f"{KINDS[self.kind]}__overlap": [self.name]})


# lookup keys -> {key: [(concept, the string that matched, rank)]} (`lookup_concepts`)
Lookup = Callable[[list[str]], dict[str, list[tuple[Concept, str, int]]]]


# --- parsing ------------------------------------------------------------------------------------


def clean(value: str) -> str:
    return " ".join(value.replace("\x00", "").split())


def parse(value: str) -> list[list[Term]]:
    """`value` as required groups of alternatives: [[a], [b, c]] is a AND (b OR c).

    Terms with no letter, digit or ideograph are dropped; so is a dangling `or`.
    """
    items: list[Term | str] = []
    for token in _TOKEN.findall(clean(value)):
        if token.lower() == "or":
            items.append("or")
            continue
        negated = token.startswith("-")
        body = token[1:] if negated else token
        phrase = body.startswith('"')
        body = clean(body.strip('"'))
        if not _WORD.search(body):
            continue
        items.append(Term(body, negated, phrase))
    groups: list[list[Term]] = []
    join_next = False
    for item in items:
        if item == "or":
            join_next = bool(groups)
            continue
        assert isinstance(item, Term)
        if join_next and not item.negated and not any(t.negated for t in groups[-1]):
            groups[-1].append(item)
        else:
            groups.append([item])
        join_next = False
    return groups


def only_negations(value: str) -> bool:
    """True for a search made only of exclusions (`-foo -"bar baz"`), which would
    match nearly every trial: the costliest search there is, and never useful."""
    groups = parse(value)
    return bool(groups) and all(t.negated for group in groups for t in group)


# --- text ------------------------------------------------------------------------------------------


class _Combined(CombinedSearchQuery):
    """`a && b` / `a || b` of tsqueries, typed (Django infers no type for them, which a
    negated filter or a function argument needs); combines into more of the same."""

    def __init__(self, lhs: Any, connector: str, rhs: Any, config: Any) -> None:
        super().__init__(lhs, connector, rhs, config, output_field=SearchQueryField())

    def _combine(self, other: Any, connector: str, reversed: bool) -> _Combined:
        return (
            _Combined(other, connector, self, self.config)
            if reversed
            else _Combined(self, connector, other, self.config)
        )


class _Not(SearchQuery):
    """`!!(query)`: the negation of any tsquery (`~` negates a simple SearchQuery
    only). A SearchQuery, so that a filter takes it as the tsquery it is."""

    def __init__(self, query: Any) -> None:
        self.config = getattr(query, "config", None)
        self.invert = False
        Func.__init__(self, query, output_field=SearchQueryField())

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:  # type: ignore[override]
        sql, params = compiler.compile(self.source_expressions[0])
        return f"!!({sql})", list(params)


def either(a: Any, b: Any) -> Any:
    return _Combined(a, SearchQueryCombinable.BITOR, b, a.config)


def both(a: Any, b: Any) -> Any:
    return _Combined(a, SearchQueryCombinable.BITAND, b, a.config)


def negation(a: Any) -> Any:
    return ~a if isinstance(a, SearchQuery) else _Not(a)


def _text_query(text: str, *, phrase: bool = False) -> SearchQuery | None:
    """The tsquery of one term's text (None when it has nothing to look for)."""
    runs = _CJK_RUN.findall(text)
    rest = _CJK_RUN.sub(" ", text)
    words = _WORD.findall(rest)
    query: SearchQuery | None = None
    if words:
        if phrase:
            query = SearchQuery(f'"{rest}"', search_type="websearch", config="english")
        else:
            # AND, not websearch's phrase: 'car-t' <-> 'car' makes the index recheck every match
            # out of TOAST, and a hyphenated word's parts always follow the word itself.
            query = SearchQuery(rest, search_type="plain", config="english")
            # Two-letter prefixes ('t' of CAR-T) would match most of the catalogue: exact words only.
            prefixes = " & ".join(f"{word}:*" if len(word) >= 3 else word for word in words)
            query = either(query, SearchQuery(prefixes, search_type="raw", config="english"))
    for run in runs:
        if len(run) == 1:
            pairs = f"{run}:*"
        else:
            pairs = " <-> ".join(run[i : i + 2] for i in range(len(run) - 1))
        part = SearchQuery(pairs, search_type="raw", config="simple")
        query = part if query is None else both(query, part)
    return query


def search_query(value: str) -> SearchQuery | None:
    """The text-only tsquery of a whole search (its operators applied), or None."""
    query: SearchQuery | None = None
    for group in parse(value):
        alternatives = [_text_query(t.text, phrase=t.phrase) for t in group]
        alternatives = [a for a in alternatives if a is not None]
        if not alternatives:
            continue
        part = alternatives[0]
        for other in alternatives[1:]:
            part = either(part, other)
        if group[0].negated:
            part = negation(part)
        query = part if query is None else both(query, part)
    return query


# --- concepts ---------------------------------------------------------------------------------------


def lookup_concepts(keys: list[str], using: str | None = None) -> dict[str, list[tuple[Concept, str, int]]]:
    """The vocabulary entries whose names or synonyms have one of these lookup keys:
    {key: [(concept, the string that matched, rank)]}; rank 0 for a name, 1 for a
    Chinese name, 2 for a synonym. One query."""
    keys = sorted({k for k in keys if k})
    if not keys:
        return {}
    using = using or router.db_for_read(Trial)
    sql = f"""
        SELECT 'disease', name, name_zh, synonyms, kind FROM {Disease._meta.db_table} WHERE lookup_keys && %s::varchar[]
        UNION ALL SELECT 'antigen', name, '', synonyms, '' FROM {Antigen._meta.db_table} WHERE lookup_keys && %s::varchar[]
        UNION ALL SELECT 'product', name, '', aliases || codes, '' FROM {Product._meta.db_table}
            WHERE lookup_keys && %s::varchar[]
    """
    found: dict[str, list[tuple[Concept, str, int]]] = {}
    wanted = set(keys)
    with connections[using].cursor() as cursor:
        cursor.execute(sql, [keys, keys, keys])
        rows = cursor.fetchall()
    for kind, name, name_zh, synonyms, node_kind in rows:
        concept = Concept(kind, name, name_zh or "")
        kind_rank = {DiseaseKind.CATEGORY: 0, DiseaseKind.GROUP: 1}.get(node_kind, 2)
        for rank, string in [(0, name), (1, name_zh), *((2, s) for s in synonyms or [])]:
            key = lookup_key(string or "")
            if key in wanted:
                found.setdefault(key, []).append((concept, string, rank * 3 + kind_rank))
    return found


def best_concepts(matches: list[tuple[Concept, str, int]], typed: str) -> list[Concept]:
    """The concept of each kind a typed term names: a name before a Chinese name
    before a synonym, a category before a group before a disease. A short
    all-capital disease acronym counts only when typed in capitals."""
    typed_key = "".join(ch for ch in typed if ch.isalnum())
    best: dict[str, tuple[int, str, Concept]] = {}
    for concept, string, rank in matches:
        if concept.kind == "disease" and _SHORT_ACRONYM.fullmatch(string.strip()) and typed_key != string.strip():
            continue
        current = best.get(concept.kind)
        if current is None or (rank, concept.name) < current[:2]:
            best[concept.kind] = (rank, concept.name, concept)
    return [best[kind][2] for kind in KINDS if kind in best]


# --- the plan ---------------------------------------------------------------------------------------


@dataclass
class Part:
    """A required part of a search: alternatives, each a term with the concepts it names."""

    terms: list[tuple[Term, list[Concept]]]

    @property
    def negated(self) -> bool:
        return self.terms[0][0].negated

    def condition(self, *, concepts_only: bool = False) -> Q:
        condition = Q(pk__in=[])
        for term, concepts in self.terms:
            for concept in concepts:
                condition |= concept.condition()
            if concepts and concepts_only and not self.negated:
                continue
            text = term_text_query(term, concepts)
            if text is not None:
                condition |= Q(search_vector=text)
        return ~condition if self.negated else condition


def term_text_query(term: Term, concepts: list[Concept]) -> SearchQuery | None:
    """The text a term matches: its own words, and for a term naming a concept also
    the concept's English and Chinese names, so that 淋巴瘤 and lymphoma match the
    same texts as well as the same tags."""
    texts = {lookup_key(term.text): (term.text, term.phrase)}
    for concept in concepts:
        for name in (concept.name, concept.name_zh):
            if name and lookup_key(name) not in texts:
                texts[lookup_key(name)] = (name, False)
    query = None
    for text, phrase in texts.values():
        part = _text_query(text, phrase=phrase)
        if part is not None:
            query = part if query is None else either(query, part)
    return query


@dataclass
class Plan:
    """What a search was understood as, and its condition on the trial table."""

    q: str
    parts: list[Part] = field(default_factory=list)

    @property
    def understood_terms(self) -> list[tuple[str, list[Concept], bool]]:
        """(term as typed, the concepts it names, excluded) for the terms that name one."""
        return [(t.text, c, part.negated) for part in self.parts for t, c in part.terms if c]

    @property
    def concepts(self) -> list[Concept]:
        """The concepts the search looks for (not those it excludes)."""
        return [c for part in self.parts if not part.negated for _, cs in part.terms for c in cs]

    def condition(self, *, concepts_only: bool = False) -> Q:
        """The trials matching the search. `concepts_only`: a term naming a concept
        matches only the trials tagged with it (for "also matched as text in N")."""
        if not self.parts:
            return NOTHING  # nothing to look for (punctuation only)
        condition = Q()
        text: SearchQuery | None = None
        for part in self.parts:
            if not any(c for _, c in part.terms):
                # Text-only parts go into one tsquery: one index scan for all of them.
                query = search_query_of(part)
                if query is not None:
                    text = query if text is None else both(text, query)
                elif not part.negated:
                    return NOTHING
                continue
            condition &= part.condition(concepts_only=concepts_only)
        if text is not None:
            condition &= Q(search_vector=text)
        return condition

    def rank_query(self) -> SearchQuery | None:
        """The positive text of the search, for ranking (`ts_rank`)."""
        query: SearchQuery | None = None
        for part in self.parts:
            if part.negated:
                continue
            for term, concepts in part.terms:
                text = term_text_query(term, concepts)
                if text is not None:
                    query = text if query is None else either(query, text)
        return query


def search_query_of(part: Part) -> SearchQuery | None:
    alternatives = [_text_query(t.text, phrase=t.phrase) for t, _ in part.terms]
    alternatives = [a for a in alternatives if a is not None]
    if not alternatives:
        return None
    query = alternatives[0]
    for other in alternatives[1:]:
        query = either(query, other)
    return negation(query) if part.negated else query


def _split_scripts(term: Term) -> list[Term]:
    """'CD19淋巴瘤' is two terms, CD19 and 淋巴瘤 (a negation or a phrase stays whole)."""
    if term.negated or term.phrase:
        return [term]
    parts = [p.strip() for p in _SCRIPT_PART.findall(term.text)]
    parts = [p for p in parts if _WORD.search(p)]
    return [Term(p) for p in parts] if len(parts) > 1 else [term]


def candidate_keys(groups: list[list[Term]]) -> list[str]:
    """Every lookup key a concept could have in this search: each term, and each run
    of up to six plain words."""
    keys: set[str] = set()
    for run in _plain_runs(groups):
        for i in range(len(run)):
            for j in range(i + 1, min(len(run), i + MAX_CONCEPT_WORDS) + 1):
                keys.add(lookup_key(" ".join(t.text for t in run[i:j])))
    for group in groups:
        for term in group:
            if not term.phrase:
                keys.add(lookup_key(term.text))
    return sorted(k for k in keys if k)


def _plain_runs(groups: list[list[Term]]) -> list[list[Term]]:
    """Runs of consecutive required, single, unquoted terms (where a concept may span words)."""
    runs: list[list[Term]] = [[]]
    for group in groups:
        if len(group) == 1 and not group[0].negated and not group[0].phrase:
            runs[-1].append(group[0])
        elif runs[-1]:
            runs.append([])
    return [r for r in runs if r]


def plan(value: str, lookup: Lookup | None = None) -> Plan:
    """Understand a search: its terms, the concepts they name (`lookup`: keys → matches,
    `lookup_concepts` by default) and their condition."""
    groups: list[list[Term]] = []
    for group in parse(value):
        # 'CD19淋巴瘤' typed as one word is two required terms (inside `a or b` it stays whole).
        groups.extend([[t] for t in _split_scripts(group[0])] if len(group) == 1 else [group])
    matches = (lookup or lookup_concepts)(candidate_keys(groups)) if groups else {}

    def concepts_of(text: str) -> list[Concept]:
        return best_concepts(matches.get(lookup_key(text), []), text)

    result = Plan(value)
    index = 0
    plain = {id(t) for run in _plain_runs(groups) for t in run}
    while index < len(groups):
        group = groups[index]
        term = group[0]
        if len(group) == 1 and id(term) in plain:
            # The longest run of words from here that names a concept.
            run = []
            for g in groups[index : index + MAX_CONCEPT_WORDS]:
                if len(g) != 1 or id(g[0]) not in plain:
                    break
                run.append(g[0])
            for length in range(len(run), 0, -1):
                text = " ".join(t.text for t in run[:length])
                concepts = concepts_of(text)
                if concepts or length == 1:
                    result.parts.append(Part([(Term(text), concepts)]))
                    index += length
                    break
            continue
        result.parts.append(Part([(t, [] if t.phrase else concepts_of(t.text)) for t in group]))
        index += 1
    return result
