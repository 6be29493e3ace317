"""Public pages of the catalogue."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from catalogue.selectors import facet_counts, parse_filters, trial_page


def trial_list_view(request: HttpRequest) -> HttpResponse:
    filters = parse_filters(request.GET)
    page = trial_page(filters)
    return render(request, "catalogue/trial_list.html", {"page": page, "filters": filters, "facets": facet_counts(filters)})
