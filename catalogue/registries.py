"""The registries the catalogue holds trials from: one table, read by parsers,
normalization, linking, URLs and validation.

Plain Python (no models), so parsers may import it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote

WHO_TRIAL_URL = "https://trialsearch.who.int/Trial2.aspx?TrialID={id}"


@dataclass(frozen=True)
class Registry:
    """One trial registry.

    `id_pattern` matches a whole registry id (case-insensitive); `url` is the
    public page of a trial, `{id}` replaced by the id (and `{number}` by the id
    without its prefix, where the registry's own address needs that);
    `link_priority` orders a linked pair (lower is the catalogue entry);
    `ictrp_names` are the `Source Register` spellings of WHO ICTRP exports.
    """

    key: str
    label: str
    id_pattern: str
    url: str
    link_priority: int
    ictrp_names: tuple[str, ...] = ()
    prefix: str = ""

    def matches(self, registry_id: str) -> bool:
        return re.fullmatch(self.id_pattern, registry_id.strip(), re.IGNORECASE) is not None

    def trial_url(self, registry_id: str) -> str:
        registry_id = registry_id.strip()
        number = (
            registry_id[len(self.prefix) :]
            if self.prefix and registry_id.upper().startswith(self.prefix.upper())
            else registry_id
        )
        return self.url.format(id=quote(registry_id, safe="-/"), number=quote(number, safe="-/"))


REGISTRIES: tuple[Registry, ...] = (
    Registry(
        "ctgov",
        "ClinicalTrials.gov",
        r"NCT\d{8}",
        "https://clinicaltrials.gov/study/{id}",
        0,
        ("ClinicalTrials.gov", "CT.gov"),
    ),
    Registry(
        "chictr",
        "ChiCTR",
        r"ChiCTR(?:-[A-Z]{2,6}-)?[-A-Z]*\d{6,}",
        "https://www.chictr.org.cn/searchprojEN.html?regno={id}",
        1,
        ("ChiCTR",),
    ),
    Registry(
        "ctis",
        "EU CTIS",
        r"(?:CTIS)?\d{4}-5\d{5}-\d{2}-\d{2}",
        "https://euclinicaltrials.eu/search-for-clinical-trials/?lang=en&EUCT={number}",
        2,
        ("CTIS", "Clinical Trials Information System"),
        "CTIS",
    ),
    Registry(
        "euctr",
        "EU Clinical Trials Register",
        r"EUCTR\d{4}-\d{6}-\d{2}(?:-[A-Z]{2,4})?",
        "https://www.clinicaltrialsregister.eu/ctr-search/search?query={number}",
        3,
        ("EU Clinical Trials Register", "EUCTR"),
        "EUCTR",
    ),
    Registry("isrctn", "ISRCTN", r"ISRCTN\d{8}", "https://www.isrctn.com/{id}", 4, ("ISRCTN",)),
    Registry(
        "jrct",
        "jRCT",
        r"(?:JPRN-)?jRCT[a-z]?\d{9,10}",
        "https://jrct.niph.go.jp/latest-detail/{number}",
        5,
        ("JPRN", "jRCT"),
        "JPRN-",
    ),
    Registry(
        "jprn", "JPRN (UMIN / JapicCTI / JMA)", r"JPRN-(?:UMIN|JapicCTI-|JMA-IIA)\d+", WHO_TRIAL_URL, 6, ("JPRN",)
    ),
    Registry(
        "drks",
        "DRKS",
        r"DRKS\d{8}",
        "https://drks.de/search/en/trial/{id}",
        7,
        ("DRKS", "German Clinical Trials Register"),
    ),
    Registry(
        "anzctr",
        "ANZCTR",
        r"ACTRN\d{14}",
        "https://anzctr.org.au/Trial/Registration/TrialReview.aspx?ACTRN={number}",
        8,
        ("ANZCTR",),
        "ACTRN",
    ),
    Registry("ctri", "CTRI", r"CTRI/\d{4}/\d{2,3}/\d{6}", WHO_TRIAL_URL, 9, ("CTRI",)),
    Registry("irct", "IRCT", r"IRCT\d{8,}N\d+", WHO_TRIAL_URL, 10, ("IRCT",)),
    Registry(
        "nl_omon",
        "Overview of Medical Research in the Netherlands",
        r"(?:NL-OMON\d+|NTR\d+|NL\d{4,})",
        WHO_TRIAL_URL,
        11,
        ("NTR", "NL-OMON", "Netherlands Trial Register"),
    ),
    Registry("tctr", "TCTR", r"TCTR\d{11}", "https://www.thaiclinicaltrials.org/show/{id}", 12, ("TCTR",)),
    Registry("cris", "CRiS (Korea)", r"KCT\d{7}", WHO_TRIAL_URL, 13, ("CRIS", "CRiS")),
    Registry("rebec", "ReBec (Brazil)", r"RBR-\w{6,8}", WHO_TRIAL_URL, 14, ("REBEC", "ReBec")),
    Registry("pactr", "PACTR", r"PACTR\d{15}", WHO_TRIAL_URL, 15, ("PACTR",)),
    Registry("lbctr", "LBCTR", r"LBCTR\d{10}", WHO_TRIAL_URL, 16, ("LBCTR",)),
    Registry("slctr", "SLCTR", r"SLCTR/\d{4}/\d{3}", WHO_TRIAL_URL, 17, ("SLCTR",)),
    Registry("repec", "REPEC (Peru)", r"PER-\d{3}-\d{2}", WHO_TRIAL_URL, 18, ("REPEC",)),
    Registry("rpcec", "RPCEC (Cuba)", r"RPCEC\d{11}", WHO_TRIAL_URL, 19, ("RPCEC",)),
    Registry("itmctr", "ITMCTR", r"ITMCTR\d{10,}", WHO_TRIAL_URL, 20, ("ITMCTR",)),
)

BY_KEY: dict[str, Registry] = {r.key: r for r in REGISTRIES}
REGISTRY_KEYS: tuple[str, ...] = tuple(BY_KEY)
REGISTRY_CHOICES: tuple[tuple[str, str], ...] = tuple((r.key, r.label) for r in REGISTRIES)

# A registry id inside free text (secondary ids, ICTRP "Bridging" and "Secondary ID" cells).
ID_IN_TEXT = re.compile(
    r"(?<![A-Za-z0-9])(" + "|".join(f"(?:{r.id_pattern})" for r in REGISTRIES) + r")(?![A-Za-z0-9])",
    re.IGNORECASE,
)


def registry_for_id(registry_id: str) -> Registry | None:
    """The registry whose ids look like `registry_id`; None when none does."""
    for registry in REGISTRIES:
        if registry.matches(registry_id):
            return registry
    return None


def registry_for_ictrp_name(name: str) -> Registry | None:
    """The registry an ICTRP `Source Register` cell names; None when unknown."""
    folded = " ".join(name.split()).casefold()
    for registry in REGISTRIES:
        if any(folded == n.casefold() for n in registry.ictrp_names):
            return registry
    return None


def canonical_id(registry_id: str) -> str:
    """A registry id in its registry's own spelling ('nct01234567' → 'NCT01234567')."""
    value = registry_id.strip()
    upper = value.upper()
    if upper.startswith("NCT"):
        return upper
    if upper.startswith("CHICTR"):
        return "ChiCTR" + value[6:].upper()
    if upper.startswith("JPRN-JRCT") or upper.startswith("JRCT"):
        return "jRCT" + value[upper.index("JRCT") + 4 :]
    return value


def registry_ids_in(values: list[str] | tuple[str, ...]) -> set[str]:
    """Registry ids named inside free-text values, canonically spelled."""
    found: set[str] = set()
    for value in values:
        for match in ID_IN_TEXT.findall(value or ""):
            found.add(canonical_id(match))
    return found


def trial_url(registry: str, registry_id: str) -> str:
    """The public page of a trial on its registry."""
    entry = BY_KEY.get(registry)
    return entry.trial_url(registry_id) if entry else WHO_TRIAL_URL.format(id=quote(registry_id, safe="-/"))


def safe_url(url: str | None) -> str:
    """`url` when it is an absolute http(s) address, else ''. Registry text may hold
    `javascript:` or other schemes; the catalogue never stores or links them."""
    if not url:
        return ""
    value = url.strip()
    if any(ch in value for ch in "\x00\r\n\t<>\"' ") or len(value) > 500:
        return ""
    scheme, sep, rest = value.partition(":")
    if not sep or scheme.lower() not in ("http", "https") or not rest.startswith("//") or len(rest) <= 2:
        return ""
    return value


def registry_page(registry: str, registry_id: str, source_url: str | None) -> str:
    """The address to link for a trial: its stored source URL when that is an
    absolute http(s) address, else the registry's own page for the id. Pages, the
    admin, the API and the exports link nothing else."""
    return safe_url(source_url) or trial_url(registry, registry_id)


# The registries that show posted results on a page of their own.
RESULTS_URLS = {"ctgov": "https://clinicaltrials.gov/study/{id}?tab=results"}


def results_page(registry: str, registry_id: str) -> str:
    """The registry's page of a trial's posted results; '' for a registry without one."""
    template = RESULTS_URLS.get(registry)
    return template.format(id=quote(registry_id.strip(), safe="-/")) if template else ""
