"""The "possibly stalled" rule, in SQL (the `stalled` filter) and in Python (the badge).

A trial is possibly stalled, as of today, when
- it is still recruiting (or not yet recruiting, or enrolling by invitation) three
  or more years after its start date, or
- it is ongoing by its status and its registry record has not been updated in two
  years (ClinicalTrials.gov calls an unverified ongoing study "unknown status" then).

Nothing is stored: the rule is evaluated against today's date, on the indexed
(status, start_date) and (status, registry_updated) columns. A trial whose dates
or status are not stated is never flagged: unknown stays unknown.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q

from catalogue.choices import Status

RECRUITING = (Status.RECRUITING, Status.NOT_YET_RECRUITING, Status.ENROLLING_BY_INVITATION)
ONGOING = (*RECRUITING, Status.ACTIVE_NOT_RECRUITING, Status.SUSPENDED, Status.UNKNOWN)
START_YEARS = 3
UPDATE_YEARS = 2


def years_before(today: dt.date, years: int) -> dt.date:
    """The same day `years` years earlier (28 February for 29 February)."""
    try:
        return today.replace(year=today.year - years)
    except ValueError:
        return today.replace(year=today.year - years, day=28)


def stalled_q(today: dt.date | None = None) -> Q:
    """The trials possibly stalled as of `today` (default: today)."""
    today = today or dt.date.today()
    return Q(status__in=RECRUITING, start_date__lte=years_before(today, START_YEARS)) | Q(
        status__in=ONGOING, registry_updated__lt=years_before(today, UPDATE_YEARS)
    )


def not_stalled_q(today: dt.date | None = None) -> Q:
    """The complement of `stalled_q` (NULL dates and statuses count as not stalled)."""
    today = today or dt.date.today()
    return ~Q(status__in=RECRUITING, start_date__lte=years_before(today, START_YEARS)) & ~Q(
        status__in=ONGOING, registry_updated__lt=years_before(today, UPDATE_YEARS)
    )


def stalled_reasons(
    status: str | None, start_date: dt.date | None, registry_updated: dt.date | None, today: dt.date | None = None
) -> list[str]:
    """Why a trial is possibly stalled, in words; [] when it is not."""
    today = today or dt.date.today()
    reasons = []
    if status in RECRUITING and start_date is not None and start_date <= years_before(today, START_YEARS):
        years = (today - start_date).days // 365
        reasons.append(
            f"still {Status(status).label.lower()} {years} years after its start date ({start_date:%-d %b %Y})"
        )
    if status in ONGOING and registry_updated is not None and registry_updated < years_before(today, UPDATE_YEARS):
        reasons.append(f"registry record not updated since {registry_updated:%-d %b %Y}")
    return reasons
