"""python manage.py export --format json|csv [filters...] > trials.json

Writes every matching trial to stdout in the export contract
(catalogue.serializers), through the same filters as the list page and API.
JSON is `{"about": {...}, "trials": [...]}` (the download's shape); CSV is UTF-8
with a byte-order mark, headed by `#` lines saying where it comes from with `--about`.
Links in the header use CATALOGUE_BASE_URL (relative without it).
"""

from __future__ import annotations

import os
import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.http import QueryDict

from catalogue import facets
from catalogue.about import about as about_header
from catalogue.about import about_lines
from catalogue.selectors import catalogue_counts, parse_filters, trial_list
from catalogue.serializers import iter_csv, iter_json, serialize_trials

REPEATABLE = facets.NAMES
SCALAR = ("age", "age_min", "age_max", "dose_min", "dose_max", "start_year", "q", "scope", "stalled", "sort")


class Command(BaseCommand):
    help = "Write the trials matching the filters to stdout as JSON or CSV (the API's export contract)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--format", choices=("json", "csv"), default="json")
        for name in REPEATABLE:
            parser.add_argument(
                "--" + name.replace("_", "-"), dest=name, action="append", default=[], metavar="VALUE",
                help=f"{name.replace('_', ' ')} filter (repeatable: OR)",
            )  # fmt: skip
        for name in SCALAR:
            parser.add_argument("--" + name.replace("_", "-"), dest=name, default=None, metavar="VALUE")
        parser.add_argument("--limit", type=int, default=None, help="write at most this many trials")
        parser.add_argument(
            "--about", action="store_true", help="CSV: begin with # lines saying where the file comes from"
        )

    def handle(self, *args, format: str, limit: int | None, about: bool, **options) -> None:
        params = QueryDict(mutable=True)
        for name in REPEATABLE:
            if options.get(name):
                params.setlist(name, options[name])
        for name in SCALAR:
            if options.get(name) not in (None, ""):
                params[name] = options[name]
        filters = parse_filters(params)
        if not filters.is_valid:
            problems = "; ".join(f"--{name.replace('_', '-')}: {' '.join(m)}" for name, m in filters.errors.items())
            raise CommandError(f"invalid filters, nothing written: {problems}")
        if limit is not None and limit < 0:
            raise CommandError("--limit must be 0 or more")
        items = serialize_trials(trial_list(filters=filters), limit=limit, detail=format == "json")
        if format == "json" or about:
            matching = catalogue_counts(filters)[0]
            count = matching if limit is None else min(matching, limit)
            header = about_header(filters, count=count, matching=matching, base_url=settings.CATALOGUE_BASE_URL)
        if format == "csv":
            chunks = iter_csv(items, about_lines(header) if about else ())
        else:
            chunks = iter_json(items, header)
        try:
            for chunk in chunks:
                self.stdout.write(chunk, ending="")
            self.stdout.flush()
        except BrokenPipeError:  # e.g. `| head`: the reader has gone, stop quietly
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
