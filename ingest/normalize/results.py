"""Publications and posted results: the registry's words made into values.

`has_results` is True/False only where a copy says so (ClinicalTrials.gov
`hasResults`, an ICTRP `results yes no` cell), or True where it dates their
posting; None where nothing is said (ChiCTR pages): unknown stays unknown.
"""

from __future__ import annotations

import re
from datetime import date

from catalogue.registries import results_page, safe_url
from ingest.normalize.dates import parse_date
from ingest.normalize.values import ReferenceValue
from ingest.records import Reference

_YES = frozenset({"true", "yes", "y", "1", "results available", "available"})
_NO = frozenset({"false", "no", "n", "0", "no results available", "not available"})
_PMID = re.compile(r"^\s*(?:pmid\s*:?\s*)?(\d{1,12})\s*$", re.IGNORECASE)


def has_results(value: str, results_date: str) -> bool | None:
    """True when the registry says results are posted (or dates their posting), False
    when it says they are not, None when it says neither. A results address alone
    proves nothing: DRKS links every trial's (maybe empty) results section."""
    word = " ".join(value.split()).casefold()
    if word in _YES or (word not in _NO and parse_date(results_date)):
        return True
    if word in _NO:
        return False
    return None


def results_address(registry: str, registry_id: str, posted: bool | None, url: str) -> str:
    """The registry's own results address when it gives a safe one, else the registry's
    results page for a trial with posted results ("" when it has none)."""
    return safe_url(url) or (results_page(registry, registry_id) if posted else "")


def results_date(value: str) -> date | None:
    return parse_date(value)


def pmid(value: str) -> str:
    match = _PMID.match(value or "")
    return match.group(1) if match else ""


def references(items: list[Reference]) -> list[ReferenceValue]:
    """The references worth keeping (a PMID, a citation or an address), in order, each once."""
    values: list[ReferenceValue] = []
    for item in items:
        value = ReferenceValue(
            pmid=pmid(item.pmid),
            type=" ".join(item.type.split()).upper()[:32],
            citation=item.citation.strip(),
            url=safe_url(item.url),
        )
        if (value.pmid or value.citation or value.url) and value not in values:
            values.append(value)
    return values
