"""Sites and contacts: a registry's site list to `SiteValue`s with coordinates,
and its contacts (trial-level and per site) to `ContactValue`s.

Coordinates come from the registry where it gives them (ClinicalTrials.gov
`geoPoint`: geo_source "registry"); otherwise from the offline gazetteer of
cities (`catalogue.places`: geo_source "gazetteer"); a site whose place cannot
be told keeps none (geo_source ""). A site's own status is read with the same
words as the trial status (`enums.status`).
"""

from __future__ import annotations

from catalogue import countries, places
from ingest.normalize import enums
from ingest.normalize.values import ContactValue, SiteValue
from ingest.records import Contact, SiteRecord


def _clean(text: str | None) -> str:
    return " ".join((text or "").split())


def site_value(site: SiteRecord) -> SiteValue:
    """One site, placed. `site` must be filled (`SiteRecord.filled()`)."""
    country = countries.country_name(site.country) or countries.country_name(site.country_zh) or ""
    latitude = longitude = None
    source = ""
    given = places.coordinates(site.latitude, site.longitude)
    if given is not None:
        latitude, longitude = given
        source = "registry"
    else:
        place = places.locate(
            site.city, site.state, country or site.country, city_zh=site.city_zh, state_zh=site.state_zh,
            institution=site.institution, institution_zh=site.institution_zh,
        )  # fmt: skip
        if place is not None:
            latitude, longitude, source = place.latitude, place.longitude, "gazetteer"
    return SiteValue(
        institution=_clean(site.institution), city=_clean(site.city), country=country,
        institution_zh=_clean(site.institution_zh), city_zh=_clean(site.city_zh), state=_clean(site.state),
        state_zh=_clean(site.state_zh), country_zh=_clean(site.country_zh), zip=_clean(site.zip),
        status=enums.status(site.status), latitude=latitude, longitude=longitude, geo_source=source,
    )  # fmt: skip


def contact_value(contact: Contact, site: int | None = None) -> ContactValue | None:
    """A contact (filled), or None when it carries nothing to show."""
    values = {
        name: _clean(getattr(contact, name)) for name in ("role", "name", "phone", "email", "affiliation", "address")
    }
    if not any(values[name] for name in ("name", "phone", "email", "affiliation", "address")):
        return None
    values["role"] = values["role"].lower().replace(" ", "_")
    return ContactValue(**values, site=site)


def contacts(trial_contacts: list[Contact], sites: list[SiteRecord]) -> list[ContactValue]:
    """The trial's contacts, then each site's (with the site's position), without repeats."""
    found: list[ContactValue] = []
    seen: set[ContactValue] = set()
    pairs = [(c, None) for c in trial_contacts] + [(c, i) for i, s in enumerate(sites) for c in s.contacts]
    for contact, position in pairs:
        value = contact_value(contact, position)
        if value is not None and value not in seen:
            seen.add(value)
            found.append(value)
    return found
