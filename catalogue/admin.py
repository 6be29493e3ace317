"""The curators' admin. Staff only (Django's admin requires is_staff).

Change-form field names equal model field names, so tests can drive it with
plain POSTs. A curator's change to a normalized field makes it *curated*:
listed in `curated_fields`, recorded in the history, never overwritten by ingest.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from catalogue import jobs, linking, provenance
from catalogue.choices import Modality
from catalogue.curation import CurationError, revert_field, trial_curate
from catalogue.models import (
    Antigen,
    Disease,
    DoseLevel,
    HarvestRun,
    Job,
    Product,
    Site,
    SourceDocument,
    Trial,
    TrialChange,
    TrialPair,
)  # fmt: skip
from catalogue.registries import registry_page
from catalogue.trials import CURATABLE_FIELDS, LIST_FIELDS, refresh_denormalized
from catalogue.trials import field_value as current_value

# Which raw registry key explains each normalized field.
RAW_KEYS: dict[str, tuple[str, ...]] = {
    "status": ("status",),
    "phase": ("phase",),
    "study_type": ("study_type",),
    "min_age_years": ("min_age", "age_text"),
    "max_age_years": ("max_age", "age_text"),
    "sex": ("sex",),
    "healthy_volunteers": ("healthy_volunteers",),
    "enrollment": ("enrollment", "enrollment_type"),
    "start_date": ("start_date",),
    "completion_date": ("completion_date",),
    "registration_date": ("registration_date",),
    "sponsor": ("sponsor",),
    "sponsor_type": ("sponsor_class", "sponsor"),
    "countries": ("countries",),
    "dose_min_cells_per_kg": ("doses",),
    "dose_max_cells_per_kg": ("doses",),
}


def normalize_text(value: str | None) -> str:
    """Text as stored: LF line endings, no trailing spaces on a line or at the end.
    A browser's textarea sends CRLF; that alone is never an edit."""
    if not value:
        return ""
    lines = str(value).replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).strip()


class LinesField(forms.Field):
    """A list field edited one entry per line: registry values contain commas."""

    widget = forms.Textarea(attrs={"rows": 4, "cols": 80})

    def prepare_value(self, value: Any) -> str:
        if isinstance(value, (list, tuple)):
            return "\n".join(str(v) for v in value)
        return value or ""

    def to_python(self, value: Any) -> list[str]:
        if isinstance(value, (list, tuple)):
            return [str(v) for v in value]
        return [line.strip() for line in normalize_text(value).split("\n") if line.strip()]

    def has_changed(self, initial: Any, data: Any) -> bool:
        return self.to_python(initial or []) != self.to_python(data)


class TextField(forms.CharField):
    """Free text compared after normalizing line endings and trailing whitespace."""

    def to_python(self, value: Any) -> str:
        return normalize_text(super().to_python(value))

    def has_changed(self, initial: Any, data: Any) -> bool:
        return normalize_text(initial) != self.to_python(data)


class TrialAdminForm(forms.ModelForm):
    """The change form: list fields one entry per line, text compared as text."""

    class Meta:
        model = Trial
        fields = "__all__"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in LIST_FIELDS:
            if name in self.fields:
                old = self.fields[name]
                self.fields[name] = LinesField(required=False, label=old.label, help_text="One entry per line.")
        if "modalities" in self.fields:
            self.fields["modalities"] = forms.MultipleChoiceField(
                choices=Modality.choices, required=False, widget=forms.CheckboxSelectMultiple, label="Modalities"
            )
        for name, field in list(self.fields.items()):
            if type(field) is forms.CharField and isinstance(Trial._meta.get_field(name), models.TextField):
                self.fields[name] = TextField(
                    required=field.required, label=field.label, widget=field.widget, help_text=field.help_text
                )


class DoseLevelInline(admin.TabularInline):
    model = DoseLevel
    extra = 0
    fields = ("arm", "low", "high", "unit", "basis", "raw")


class SiteInline(admin.TabularInline):
    model = Site
    extra = 0
    fields = ("institution", "city", "country")


class ReviewFilter(admin.SimpleListFilter):
    """The review queue: trials whose classification is unclear."""

    title = "review queue"
    parameter_name = "review"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("flagged", "flagged for review"), ("clear", "nothing to review")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "flagged":
            return queryset.exclude(review=[])
        if self.value() == "clear":
            return queryset.filter(review=[])
        return queryset


class AntigenFilter(admin.SimpleListFilter):
    title = "antigen"
    parameter_name = "antigen"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(name, name) for name in Antigen.objects.values_list("name", flat=True)]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        return queryset.filter(antigen_names__contains=[self.value()]) if self.value() else queryset


class DiseaseCategoryFilter(admin.SimpleListFilter):
    title = "disease category"
    parameter_name = "disease_category"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return list(Disease._meta.get_field("category").choices)

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        return queryset.filter(disease_categories__contains=[self.value()]) if self.value() else queryset


def _raw_display(field: str):
    def show(self: TrialAdmin, obj: Trial) -> str:
        raw = obj.raw or {}
        parts = [(key, raw.get(key)) for key in RAW_KEYS[field] if raw.get(key) not in (None, "", [])]
        if not parts:
            return "—"
        return format_html_join(
            "; ", "{}", ((json.dumps(v, ensure_ascii=False) if not isinstance(v, str) else v,) for _, v in parts)
        )

    show.short_description = f"registry value ({field.replace('_', ' ')})"
    return show


@admin.register(Trial)
class TrialAdmin(admin.ModelAdmin):
    form = TrialAdminForm
    list_display = (
        "registry_id",
        "short_title",
        "registry",
        "status",
        "phase",
        "antigen_list",
        "curated",
        "updated_at",
    )
    list_filter = (
        ReviewFilter, "in_scope", "registry", "status", "phase", AntigenFilter, DiseaseCategoryFilter, "cell_source",
        "trial_type",
    )  # fmt: skip
    search_fields = ("registry_id", "title", "official_title", "title_zh", "sponsor")
    list_per_page = 50
    inlines = [DoseLevelInline, SiteInline]
    filter_horizontal = ("antigens", "diseases")
    raw_id_fields = ("merged_into",)
    readonly_fields = (
        "registry",
        "registry_id",
        "source_link",
        "provenance",
        "curated_list",
        "conflicts",
        *[f"raw_{f}" for f in RAW_KEYS],
        "history",
        "classification_evidence",
        "review_flags",
    )
    fieldsets = (
        (None, {"fields": ("registry", "registry_id", "source_link", "secondary_ids", "merged_into")}),
        ("Titles", {"fields": ("title", "official_title", "title_zh", "brief_summary")}),
        (
            "Design",
            {
                "fields": (
                    ("status", "raw_status"),
                    ("phase", "raw_phase"),
                    ("study_type", "raw_study_type"),
                )
            },
        ),
        (
            "Classification (edits here are curated and survive re-ingest)",
            {
                "fields": (
                    "review_flags",
                    "in_scope",
                    "modalities",
                    "cell_source",
                    "trial_type",
                    "product_names",
                    "classification_evidence",
                )
            },
        ),
        (
            "Eligibility",
            {
                "fields": (
                    ("min_age_years", "raw_min_age_years"),
                    ("max_age_years", "raw_max_age_years"),
                    ("sex", "raw_sex"),
                    ("healthy_volunteers", "raw_healthy_volunteers"),
                    "inclusion_criteria",
                    "exclusion_criteria",
                )
            },
        ),
        (
            "Targets, diseases and dose",
            {
                "fields": (
                    "antigens",
                    "diseases",
                    "conditions",
                    "keywords",
                    "interventions",
                    ("dose_min_cells_per_kg", "raw_dose_min_cells_per_kg"),
                    ("dose_max_cells_per_kg", "raw_dose_max_cells_per_kg"),
                )
            },
        ),
        (
            "Dates, size and places",
            {
                "fields": (
                    ("enrollment", "raw_enrollment"),
                    ("start_date", "raw_start_date"),
                    ("completion_date", "raw_completion_date"),
                    ("registration_date", "raw_registration_date"),
                    ("sponsor", "raw_sponsor"),
                    ("sponsor_type", "raw_sponsor_type"),
                    ("countries", "raw_countries"),
                    "source_url",
                    ("has_results", "results_date", "results_url"),
                )
            },
        ),
        ("Curation and provenance", {"fields": ("curated_list", "conflicts", "provenance", "history")}),
    )

    for _field in RAW_KEYS:
        locals()[f"raw_{_field}"] = _raw_display(_field)
    del _field

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("source_document")

    def get_urls(self):
        return [
            path(
                "<int:pk>/revert/<str:field>/",
                self.admin_site.admin_view(self.revert_view),
                name="catalogue_trial_revert",
            ),
            *super().get_urls(),
        ]

    def revert_view(self, request: HttpRequest, pk: int, field: str):
        """Confirm, then give one curated field back to the registry (POST only)."""
        trial = get_object_or_404(Trial, pk=pk)
        if not self.has_change_permission(request, trial):
            raise PermissionDenied
        change_url = "../../change/"
        if request.method != "POST":
            return TemplateResponse(
                request,
                "admin/catalogue/trial/revert_confirm.html",
                {
                    **self.admin_site.each_context(request),
                    "title": f"Revert {field} to the registry's value?",
                    "trial": trial,
                    "field": field,
                    "current": json.dumps(current_value(trial, field), ensure_ascii=False),
                    "parsed": json.dumps((trial.parsed or {}).get(field), ensure_ascii=False),
                    "opts": self.model._meta,
                    "change_url": change_url,
                },
            )
        try:
            revert_field(trial, field, user=request.user, reason=request.POST.get("reason", ""))
        except CurationError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"{field} now follows the registry again.")
        return redirect("admin:catalogue_trial_change", trial.pk)

    @admin.display(description="why the catalogue classified it so")
    def classification_evidence(self, obj: Trial) -> str:
        parts = []
        for key in (
            "in_scope",
            "modalities",
            "cell_source",
            "trial_type",
            "products",
            "antigens",
            "disease_categories",
        ):
            lines = provenance.evidence_lines(obj, key)
            if lines:
                parts.append((key.replace("_", " "), lines))
        if not parts:
            return "—"
        return format_html_join("", "<p><strong>{}</strong>: {}</p>", ((key, "; ".join(lines)) for key, lines in parts))

    @admin.display(description="flagged for review")
    def review_flags(self, obj: Trial) -> str:
        return format_html_join("", "<p>{}</p>", ((flag,) for flag in obj.review)) if obj.review else "—"

    @admin.display(description="title")
    def short_title(self, obj: Trial) -> str:
        return obj.title[:90]

    @admin.display(description="antigens")
    def antigen_list(self, obj: Trial) -> str:
        return ", ".join(obj.antigen_names)

    @admin.display(description="curated", boolean=True)
    def curated(self, obj: Trial) -> bool:
        return bool(obj.curated_fields)

    @admin.display(description="registry page")
    def source_link(self, obj: Trial) -> str:
        href = registry_page(obj.registry, obj.registry_id, obj.source_url)
        return format_html('<a href="{}" rel="noopener noreferrer">{}</a>', href, href)

    @admin.display(description="source document")
    def provenance(self, obj: Trial) -> str:
        doc = obj.source_document
        if doc is None:
            return "—"
        return format_html(
            "{} · format {} · parser v{} · sha256 {}… · ingested {}",
            doc.filename or "(unnamed)",
            obj.source_format,
            obj.parser_version,
            doc.sha256[:12],
            obj.ingested_at,
        )

    @admin.display(description="curated fields (revert to the registry's value)")
    def curated_list(self, obj: Trial) -> str:
        if not obj.curated_fields:
            return "—"
        return format_html_join(
            " ", '<a class="button" href="../revert/{}/">{} ↺</a>', ((f, f) for f in obj.curated_fields)
        )

    @admin.display(description="registry changed under a curated field")
    def conflicts(self, obj: Trial) -> str:
        if not obj.curation_conflicts:
            return "—"
        return format_html_join(
            "",
            "<p><strong>{}</strong>: curated value {} — registry now says {}</p>",
            (
                (
                    field,
                    json.dumps(c.get("curated"), ensure_ascii=False),
                    json.dumps(c.get("registry_now"), ensure_ascii=False),
                )
                for field, c in obj.curation_conflicts.items()
            ),
        )

    @admin.display(description="history")
    def history(self, obj: Trial) -> str:
        rows = obj.changes.select_related("user", "source_document")[:50]
        if not rows:
            return "—"
        return format_html_join(
            "",
            "<p>{} · {} · {}: {}</p>",
            (
                (
                    timezone.localtime(c.changed_at).strftime("%Y-%m-%d %H:%M"),
                    c.actor,
                    c.user.get_username() if c.user else (c.source_document.filename if c.source_document else ""),
                    "; ".join(
                        f"{f}: {json.dumps(v[0], ensure_ascii=False)[:80]} → {json.dumps(v[1], ensure_ascii=False)[:80]}"
                        for f, v in c.changes.items()
                    ),
                )
                for c in rows
            ),
        )

    def save_model(self, request: HttpRequest, obj: Trial, form: Any, change: bool) -> None:
        """A new trial is saved as usual. For an existing one nothing is written
        here: `save_related` hands the fields the curator really changed to
        `trial_curate`, so an untouched form saves nothing and moves no value."""
        if not change:
            super().save_model(request, obj, form, change)
            return
        if "merged_into" in form.changed_data:
            # Linking goes through catalogue.linking, so the pair and its history are recorded.
            target = form.cleaned_data.get("merged_into")
            current = Trial.objects.values_list("merged_into_id", flat=True).get(pk=obj.pk)
            if current:
                pair = TrialPair.objects.filter(primary_id=current, secondary=obj).first()
                if pair:
                    linking.unlink(pair, user=request.user)
            if target is not None and target.pk != obj.pk:
                linking.link(target, obj, reason="manual", user=request.user)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        if not change:
            super().save_related(request, form, formsets, change)
            refresh_denormalized(form.instance)
            return
        trial: Trial = Trial.objects.get(pk=form.instance.pk)
        changes = {f: form.cleaned_data[f] for f in form.changed_data if f in CURATABLE_FIELDS}
        recorded: dict[str, list[Any]] = {}
        for formset in formsets:
            # Saving an unchanged formset writes nothing (and sets what the change message reads).
            if formset.model is DoseLevel and formset.has_changed():
                before = current_value(trial, "dose_levels")
                self.save_formset(request, form, formset, change)
                recorded["dose_levels"] = [before, current_value(trial, "dose_levels")]
            else:
                self.save_formset(request, form, formset, change)
        trial_curate(
            trial=trial, changes=changes, user=request.user, reason=request.POST.get("_reason", ""), recorded=recorded
        )


class RenormalizeMixin:
    """An admin action that re-applies the vocabularies to every trial (asks first).
    It runs as a background job (never inside the request): see Jobs."""

    @admin.action(description="Re-apply vocabularies to all trials (renormalize from stored copies, in the background)")
    def renormalize_all(self, request: HttpRequest, queryset: QuerySet) -> TemplateResponse | None:
        page = confirmed(
            request, self, queryset,
            "Re-apply the antigen and disease vocabularies to every trial? Curated fields are kept. "
            "It runs in the background; follow it under Jobs.",
        )  # fmt: skip
        if page:
            return page
        try:
            job = jobs.start("renormalize", user=request.user)
        except jobs.JobRunning as exc:
            self.message_user(request, str(exc), level=messages.WARNING)
            return None
        self.message_user(request, f"Renormalize started in the background (job {job.pk}): see Jobs for its progress.")
        return None


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    """Long tasks curators started; read-only."""

    list_display = ("kind", "status", "progress", "requested_by", "created_at", "finished_at")
    list_filter = ("kind", "status")
    readonly_fields = (
        "kind",
        "status",
        "requested_by",
        "created_at",
        "started_at",
        "finished_at",
        "done",
        "total",
        "message",
    )

    @admin.display(description="progress")
    def progress(self, obj: Job) -> str:
        return f"{obj.done:,} / {obj.total:,}" if obj.total else "—"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(HarvestRun)
class HarvestRunAdmin(admin.ModelAdmin):
    """Harvests of the registries (`manage.py harvest`); read-only: the runs are a record."""

    list_display = ("started_at", "source", "mode", "status", "data_timestamp", "window_start", "pages", "studies",
                    "created", "updated", "unchanged", "older", "failed", "finished_at")  # fmt: skip
    list_filter = ("source", "mode", "status")
    date_hierarchy = "started_at"

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [field.name for field in HarvestRun._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Antigen)
class AntigenAdmin(RenormalizeMixin, admin.ModelAdmin):
    list_display = ("name", "gene_symbol", "synonym_list")
    search_fields = ("name", "gene_symbol", "synonyms")
    actions = ["renormalize_all"]

    @admin.display(description="synonyms")
    def synonym_list(self, obj: Antigen) -> str:
        return ", ".join(obj.synonyms)


@admin.register(Product)
class ProductAdmin(RenormalizeMixin, admin.ModelAdmin):
    """The product dictionary. A fact counts only with its source (`sources`:
    {"targets": "…", "modality": "…", "cell_source": "…", "sponsor": "…"})."""

    actions = ["renormalize_all"]
    list_display = ("name", "modality", "target_list", "cell_source", "sponsor", "sourced")
    list_filter = ("modality", "cell_source")
    search_fields = ("name", "aliases", "codes", "sponsor")
    readonly_fields = ("slug",)
    fields = ("name", "slug", "aliases", "codes", "targets", "modality", "cell_source", "sponsor", "sources")

    @admin.display(description="targets")
    def target_list(self, obj: Product) -> str:
        return ", ".join(obj.targets)

    @admin.display(description="every fact sourced", boolean=True)
    def sourced(self, obj: Product) -> bool:
        stated = [f for f in ("targets", "modality", "cell_source", "sponsor") if getattr(obj, f)]
        return all((obj.sources or {}).get(f) for f in stated)


@admin.register(Disease)
class DiseaseAdmin(RenormalizeMixin, admin.ModelAdmin):
    actions = ["renormalize_all"]
    list_display = ("name", "category")
    list_filter = ("category",)
    search_fields = ("name", "synonyms")


@admin.register(SourceDocument)
class SourceDocumentAdmin(admin.ModelAdmin):
    list_display = ("filename", "format", "parser_version", "size", "ingested_at")
    list_filter = ("format",)
    search_fields = ("filename", "sha256")
    exclude = ("content",)
    readonly_fields = ("sha256", "format", "parser_version", "filename", "size", "ingested_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(TrialChange)
class TrialChangeAdmin(admin.ModelAdmin):
    list_display = ("trial", "changed_at", "actor", "user", "fields_changed")
    list_filter = ("actor",)
    search_fields = ("trial__registry_id",)
    list_select_related = ("trial", "user")
    readonly_fields = ("trial", "changed_at", "actor", "user", "source_document", "changes", "reason")

    @admin.display(description="fields")
    def fields_changed(self, obj: TrialChange) -> str:
        return ", ".join(obj.changes)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def confirmed(
    request: HttpRequest, modeladmin: admin.ModelAdmin, queryset: QuerySet, title: str
) -> TemplateResponse | None:
    """None once the user confirmed on the intermediate page; the page otherwise.

    Admin actions that touch many records ask first.
    """
    if request.POST.get("confirmed") == "yes":
        return None
    return TemplateResponse(
        request,
        "admin/confirm_action.html",
        {
            **modeladmin.admin_site.each_context(request),
            "title": title,
            "objects": queryset,
            "action": request.POST.get("action"),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "opts": modeladmin.model._meta,
        },
    )


@admin.register(TrialPair)
class TrialPairAdmin(admin.ModelAdmin):
    """Suggested duplicates and linked registrations. Curators decide; nothing merges on a guess."""

    list_display = ("primary", "secondary", "status", "reason", "similarity", "decided_by", "updated_at")
    list_filter = ("status", "reason")
    search_fields = ("primary__registry_id", "secondary__registry_id", "primary__title", "secondary__title")
    list_select_related = ("primary", "secondary", "decided_by")
    raw_id_fields = ("primary", "secondary")
    readonly_fields = ("status", "reason", "similarity", "decided_by", "created_at", "updated_at")
    actions = ["link_pairs", "reject_pairs"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("catalogue.change_trial")

    has_view_permission = has_change_permission

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("catalogue.change_trial")

    def save_model(self, request: HttpRequest, obj: TrialPair, form: Any, change: bool) -> None:
        if not change:
            primary, secondary = linking.order_pair(obj.primary, obj.secondary)
            linking.link(primary, secondary, reason="manual", user=request.user)
            return
        super().save_model(request, obj, form, change)

    @admin.action(description="Link: these are the same study (show as one entry)")
    def link_pairs(self, request: HttpRequest, queryset: QuerySet) -> TemplateResponse | None:
        page = confirmed(request, self, queryset, "Link these registrations as one study?")
        if page:
            return page
        with transaction.atomic():
            for pair in queryset.select_related("primary", "secondary"):
                linking.link(pair.primary, pair.secondary, reason=pair.reason, user=request.user, existing=pair)
        self.message_user(request, f"Linked {queryset.count()} pair(s).")
        return None

    @admin.action(description="Not the same study (unlink / dismiss)")
    def reject_pairs(self, request: HttpRequest, queryset: QuerySet) -> TemplateResponse | None:
        page = confirmed(request, self, queryset, "Mark these pairs as different studies?")
        if page:
            return page
        with transaction.atomic():
            for pair in queryset.select_related("primary", "secondary"):
                linking.unlink(pair, user=request.user)
        self.message_user(request, f"Separated {queryset.count()} pair(s).")
        return None
