"""What the ClinicalTrials.gov formats share: the NCT number, contact roles, and
the readings both study-page parsers (classic and modern) make the same way."""

from __future__ import annotations

import re

from ingest.parsers._html import looks_like_data, split_age_range
from ingest.parsers._values import first_value
from ingest.records import Intervention

NCT_ID = re.compile(r"NCT\d{8}")
PAGE_WINDOW = 400_000  # characters of a page searched for what kind of page it is

_CLASSIC_LABELS = re.compile(
    r"Recruitment\s+Status(?:&nbsp;|\xa0|<[^>]*>|\s)+:"
    r"|(?:Estimated|Actual)\s+Enrollment(?:&nbsp;|\xa0|<[^>]*>|\s)+:|Ages\s+Eligible\s+for\s+Study\s*:"
)
_CLASSIC_CLASSES = re.compile(r"class=\"[^\"]*\b(?:ct-data_table|tr-data_table|ct-body3|ct-header[23])\b")


def contact_role(registry_role: str | None, default: str) -> str:
    """Our role word for a contact: `default` ("central", "site"...) for a plain contact,
    the registry's own role in snake case for anyone else ("principal_investigator")."""
    word = "_".join((registry_role or "").replace("-", " ").split()).lower()
    if word == "backup":
        return f"{default}_backup"
    return default if word in ("", "contact", "primary") else word


def page_head(text: str) -> str | None:
    """The start of a document that may be a ClinicalTrials.gov study page; None for
    JSON and XML records and for ChiCTR pages, which name the registry's trials too."""
    if looks_like_data(text):
        return None
    head = text[:PAGE_WINDOW]
    if "注册号" in head or "Registration number" in head:
        return None
    return head


def is_classic_page(head: str) -> bool:
    """True when `head` (see `page_head`) is a classic study page (ct2/show) or an
    archive page: "ClinicalTrials.gov Identifier" with classic labels or markup."""
    if re.search(r"ClinicalTrials\.gov\s+Identifier", head, re.IGNORECASE):
        return bool(_CLASSIC_LABELS.search(head) or _CLASSIC_CLASSES.search(head))
    return bool(
        re.search(r"ClinicalTrials(?:\.gov)?\s+Identifier\s*:", head)
        and re.search(r"ClinicalTrials\.gov Archive|/archive/NCT\d{8}", head)
    )


def enrollment_type(label: str, value: str) -> str:
    """ACTUAL or ESTIMATED, as the enrollment's label or value says; "" when neither does."""
    found = re.search(r"\b(Actual|Estimated|Anticipated|Expected)\b", f"{label} {value}", re.IGNORECASE)
    if not found:
        return ""
    return "ACTUAL" if found.group(1).lower() == "actual" else "ESTIMATED"


def age_limits(age_text: str | None, min_age: str | None, max_age: str | None) -> tuple[str | None, str | None]:
    """(min, max): the page's own minimum and maximum age, else the bounds of its age
    range ("1 Year to 75 Years (Child, Adult)")."""
    if age_text and not (min_age or max_age):
        return split_age_range(age_text)
    return min_age, max_age


def add_details(known: Intervention, other: Intervention) -> None:
    """Fold into `known` what another listing of the same intervention adds: a type
    where `known` has none, a description it does not already hold."""
    known.type = first_value(known.type, other.type)
    if other.description and other.description not in (known.description or ""):
        known.description = "\n".join(x for x in (known.description, other.description) if x)
    else:
        known.description = first_value(known.description, other.description)
