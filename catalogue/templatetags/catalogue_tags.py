"""Formatting for the catalogue's pages: ages, doses, labels, query strings.

The plain functions (`format_age_range`, `format_dose`, ...) are used by the
summary and the views too; the template filters wrap them.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from typing import Any

from django import template

from catalogue.choices import Status
from catalogue.registries import registry_page, safe_url

register = template.Library()

_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")
AGE_NOT_STATED = "age limits not stated"


def format_years(value: Decimal | float | int | None) -> str:
    """12 → '12', Decimal('0.50') → '0.5'."""
    if value is None:
        return ""
    number = Decimal(str(value))
    if number == number.to_integral_value():
        return str(int(number))
    return format(number.normalize(), "f")


def format_age_range(min_age: Any, max_age: Any) -> str:
    """'10–65 years', '≥18 years', '≤17 years' or 'age limits not stated'."""
    if min_age is None and max_age is None:
        return AGE_NOT_STATED
    if min_age is None:
        return f"≤{format_years(max_age)} years"
    if max_age is None:
        return f"≥{format_years(min_age)} years"
    if Decimal(str(min_age)) == Decimal(str(max_age)):
        return f"{format_years(min_age)} years"
    return f"{format_years(min_age)}–{format_years(max_age)} years"


def format_cells(value: float | int | None) -> str:
    """1e6 → '1×10⁶', 2.5e7 → '2.5×10⁷', 500 → '500'."""
    if value is None:
        return ""
    value = float(value)
    if not math.isfinite(value):
        return ""
    if value == 0:
        return "0"
    if abs(value) < 1000:
        return f"{value:g}"
    exponent = int(math.floor(math.log10(abs(value))))
    mantissa = round(value / 10**exponent, 3)
    if abs(mantissa) >= 10:  # rounding carried over (9.9996 → 10)
        mantissa /= 10
        exponent += 1
    mantissa_text = f"{mantissa:g}"
    return f"{mantissa_text}×10{str(exponent).translate(_SUPERSCRIPT)}"


def format_dose_range(low: float | None, high: float | None, unit: str = "cells/kg") -> str:
    """'1×10⁶–5×10⁶ cells/kg', a single value when low == high, '' when unknown."""
    if low is None and high is None:
        return ""
    if low is None or high is None or low == high:
        text = format_cells(low if high is None else high)
        prefix = "≤" if low is None and high is not None else ("≥" if high is None else "")
        return f"{prefix}{text} {unit}".strip()
    return f"{format_cells(low)}–{format_cells(high)} {unit}".strip()


UNIT_LABELS = {"cells/kg": "cells/kg", "cells/m2": "cells/m²", "cells": "cells"}


@register.filter
def age_range(trial: Any) -> str:
    return format_age_range(trial.min_age_years, trial.max_age_years)


@register.filter
def dose_range(trial: Any) -> str:
    return format_dose_range(trial.dose_min_cells_per_kg, trial.dose_max_cells_per_kg)


@register.filter
def dose_level(level: Any) -> str:
    """A DoseLevel as '1×10⁶–5×10⁶ cells/kg' (its own unit)."""
    return format_dose_range(level.low, level.high, UNIT_LABELS.get(level.unit, level.unit))


@register.filter
def cells(value: Any) -> str:
    return format_cells(value)


@register.filter
def years(value: Any) -> str:
    return format_years(value)


@register.filter
def join_list(values: Any, separator: str = ", ") -> str:
    """Join a list for display; the template's autoescape still applies."""
    if not values:
        return ""
    return separator.join(str(v) for v in values)


@register.filter
def safe_href(url: Any) -> str:
    """`url` when it is an absolute http(s) address, else '' (never `javascript:` or another scheme)."""
    return safe_url(url if isinstance(url, str) else "")


@register.filter
def registry_href(trial: Any) -> str:
    """The registry page to link for a trial: its safe source URL, else the registry's default page."""
    return registry_page(trial.registry, trial.registry_id, trial.source_url)


@register.filter
def get_item(mapping: Any, key: str) -> Any:
    if isinstance(mapping, dict):
        return mapping.get(key)
    return None


@register.filter
def is_list(value: Any) -> bool:
    return isinstance(value, (list, tuple))


@register.simple_tag
def page_query(base_query: str, page_number: int) -> str:
    """The query string for a page of the current result set."""
    return f"{base_query}&page={page_number}" if base_query else f"page={page_number}"


@register.filter
def distance_km(value: Any) -> str:
    """12.3 → '12 km'; 0.4 → 'under 1 km'; None → ''."""
    try:
        km = float(value)
    except (TypeError, ValueError):
        return ""
    return "under 1 km" if km < 1 else f"{km:,.0f} km"


@register.filter
def status_label(value: Any) -> str:
    """A (trial or site) status value's label: 'recruiting' → 'Recruiting'."""
    return Status(value).label if value in Status.values else str(value or "")


# --- contacts: only what the registry publishes, with links where the text is usable --------

CONTACT_ROLES = {
    "central": "Contact",
    "central_backup": "Backup contact",
    "site": "Site contact",
    "site_backup": "Backup site contact",
    "study_leader": "Study leader",
    "applicant": "Applicant",
    "principal_investigator": "Principal investigator",
    "sub_investigator": "Sub-investigator",
    "investigator": "Investigator",
    "study_chair": "Study chair",
    "study_director": "Study director",
    "public": "Public enquiries",
    "scientific": "Scientific enquiries",
}
_PHONE_SPLIT = re.compile(r"\s*(?:[;,/、；，]|\bor\b)\s*", re.IGNORECASE)
_PHONE_EXTENSION = re.compile(r"\s*(?:ext\.?|extension|x|分机|转)\s*(\d{1,6})\s*$", re.IGNORECASE)
_PHONE_ALLOWED = re.compile(r"^\+?[\d\s().\-]{3,}$")
_EMAIL_SPLIT = re.compile(r"[\s;,；，]+")
_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+$")


def contact_role_label(role: str) -> str:
    """A contact's role in words: ours for the known roles, else the registry's word."""
    return CONTACT_ROLES.get(role, role.replace("_", " ").capitalize())


def phone_links(text: str | None) -> list[dict[str, str]]:
    """Each phone number in `text` with a `tel:` href, or none when the text is not a number
    a phone could dial (it is then shown as written)."""
    numbers = []
    for part in _PHONE_SPLIT.split((text or "").strip()):
        if not part:
            continue
        href = ""
        extension = _PHONE_EXTENSION.search(part)
        number = part[: extension.start()] if extension else part
        if _PHONE_ALLOWED.match(number):
            digits = re.sub(r"\D", "", number)
            if 3 <= len(digits) <= 20:
                href = "tel:" + ("+" if number.lstrip().startswith("+") else "") + digits
                if extension:
                    href += f";ext={extension.group(1)}"
        numbers.append({"text": part, "href": href})
    return numbers


def email_links(text: str | None) -> list[dict[str, str]]:
    """Each e-mail address in `text` with a `mailto:` href; text that is not a list of
    well-formed addresses is shown as written, without a link."""
    text = (text or "").strip()
    parts = [part for part in _EMAIL_SPLIT.split(text) if part]
    if parts and all(_EMAIL.match(part) for part in parts):
        return [{"text": part, "href": f"mailto:{part}"} for part in parts]
    return [{"text": text, "href": ""}] if text else []


@register.filter
def contact_role(role: Any) -> str:
    return contact_role_label(str(role or ""))


@register.filter
def phone_numbers(text: Any) -> list[dict[str, str]]:
    return phone_links(text if isinstance(text, str) else "")


@register.filter
def email_addresses(text: Any) -> list[dict[str, str]]:
    return email_links(text if isinstance(text, str) else "")
