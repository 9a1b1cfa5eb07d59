"""Operators' admin for platforms and listings.

Tokens are created and revoked through listings.services.tokens only: the admin
never sees a token's secret except once, in the response that created it.
Feeds, snapshots and images are written by the ingestion and image tasks and
are read-only here.
"""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse

from takedown.access import access_for
from takedown.errors import DomainError

from .models import (
    Detection,
    DetectionDismissal,
    FeedBatch,
    FeedLineError,
    ImageBlob,
    Listing,
    ListingImage,
    ListingSnapshot,
    Platform,
    PlatformToken,
    RetroScan,
    Seller,
)
from .services.tokens import platform_token_create, platform_token_revoke

# Refused lines shown inline on a feed's admin page; the console pages through all of them.
FEED_ERRORS_INLINE_LIMIT = 500


class ReadOnlyAdmin(admin.ModelAdmin):
    """Viewable by staff with the view permission; rows are the tasks' to write."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Platform)
class PlatformAdmin(admin.ModelAdmin):
    list_display = ["__str__", "website", "default_sla_hours"]
    search_fields = ["organisation__name"]


class PlatformTokenAddForm(forms.ModelForm):
    class Meta:
        model = PlatformToken
        fields = ["platform", "name"]


@admin.register(PlatformToken)
class PlatformTokenAdmin(admin.ModelAdmin):
    """Tokens: created by the service (secret shown once), revoked by the service, never edited."""

    list_display = [
        "name",
        "prefix",
        "platform",
        "created_by",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    list_filter = ["platform", ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "prefix", "platform__organisation__name"]
    list_select_related = ["platform__organisation", "created_by"]
    readonly_fields = [
        "platform",
        "name",
        "prefix",
        "token_hash",
        "created_by",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    actions = ["revoke_selected"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # The token service lets the operator create tokens for any platform.
        return super().has_add_permission(request) and access_for(request.user).is_operator

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # revoke instead: feeds keep naming the token they came with

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any):
        if obj is None:
            kwargs["form"] = PlatformTokenAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Any = None):
        return ["platform", "name"] if obj is None else self.readonly_fields

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None):
        return [] if obj is None else self.readonly_fields

    def save_model(self, request: HttpRequest, obj: PlatformToken, form: Any, change: bool) -> None:
        """Create through the service; keep the secret on the object for ``response_add`` only."""
        token, secret = platform_token_create(
            actor=request.user, platform=obj.platform, name=obj.name
        )
        for field in token._meta.concrete_fields:
            setattr(obj, field.attname, getattr(token, field.attname))
        obj._state.adding = False
        obj._new_secret = secret  # type: ignore[attr-defined]

    def response_add(
        self, request: HttpRequest, obj: PlatformToken, post_url_continue: str | None = None
    ) -> HttpResponse:
        """Show the secret in this response, never through messages kept in a cookie."""
        response = TemplateResponse(
            request,
            "listings/admin/token_created.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": "API token created",
                "token": obj,
                "secret": obj._new_secret,  # type: ignore[attr-defined]
                "list_url": reverse("admin:listings_platformtoken_changelist"),
            },
        )
        response["Cache-Control"] = "no-store"
        return response

    @admin.action(description="Revoke selected tokens", permissions=["view"])
    def revoke_selected(self, request: HttpRequest, queryset: QuerySet[PlatformToken]) -> None:
        revoked = 0
        for token in queryset.select_related("platform"):
            if token.revoked_at is not None:
                continue
            try:
                platform_token_revoke(actor=request.user, token=token)
            except DomainError as exc:
                self.message_user(request, exc.message, messages.ERROR)
            else:
                revoked += 1
        self.message_user(request, f"{revoked} token(s) revoked.", messages.SUCCESS)


class FeedLineErrorFormSet(BaseInlineFormSet):
    def get_queryset(self) -> QuerySet[FeedLineError]:
        return super().get_queryset()[:FEED_ERRORS_INLINE_LIMIT]


class FeedLineErrorInline(admin.TabularInline):
    model = FeedLineError
    formset = FeedLineErrorFormSet
    fields = ["line", "field", "message"]
    readonly_fields = ["line", "field", "message"]
    extra = 0
    max_num = 0
    can_delete = False
    verbose_name_plural = f"refused lines (the first {FEED_ERRORS_INLINE_LIMIT})"

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(FeedBatch)
class FeedBatchAdmin(ReadOnlyAdmin):
    list_display = [
        "pk",
        "platform",
        "format",
        "status",
        "lines",
        "accepted",
        "rejected",
        "created_at",
        "finished_at",
    ]
    list_filter = ["status", "platform", "format"]
    list_select_related = ["platform__organisation"]
    search_fields = ["sha256"]
    date_hierarchy = "created_at"
    inlines = [FeedLineErrorInline]

    def view_on_site(self, obj: FeedBatch) -> str:
        return reverse("listings:console-feed-detail", args=[obj.pk])


@admin.register(ListingSnapshot)
class ListingSnapshotAdmin(ReadOnlyAdmin):
    list_display = ["listing", "replaced_at", "replaced_by_feed", "content_hash"]
    list_select_related = ["listing"]
    search_fields = ["listing__external_id", "content_hash"]
    date_hierarchy = "replaced_at"


@admin.register(ImageBlob)
class ImageBlobAdmin(ReadOnlyAdmin):
    list_display = ["sha256", "content_type", "width", "height", "size_bytes", "created_at"]
    search_fields = ["sha256"]


@admin.register(ListingImage)
class ListingImageAdmin(ReadOnlyAdmin):
    list_display = ["listing", "position", "status", "attempts", "fetched_at", "error"]
    list_filter = ["status"]
    list_select_related = ["listing"]
    search_fields = ["listing__external_id", "url"]
    raw_id_fields = ["listing", "blob"]


@admin.register(Seller)
class SellerAdmin(admin.ModelAdmin):
    list_display = ["external_id", "name", "platform"]
    list_filter = ["platform"]
    search_fields = ["external_id", "name"]


@admin.register(Listing)
class ListingAdmin(admin.ModelAdmin):
    list_display = [
        "external_id",
        "title",
        "platform",
        "seller",
        "price",
        "currency",
        "delisted_at",
    ]
    list_filter = ["platform"]
    search_fields = ["external_id", "title", "brand"]
    raw_id_fields = ["seller"]


@admin.register(Detection)
class DetectionAdmin(ReadOnlyAdmin):
    """Written by scans; rights holders dismiss and hand over from the inbox."""

    list_display = [
        "listing",
        "right",
        "score",
        "text_score",
        "image_score",
        "status",
        "created_at",
    ]
    list_filter = ["status", "engine_version"]
    list_select_related = ["listing", "right"]
    search_fields = ["listing__external_id", "listing__title", "right__name"]
    raw_id_fields = ["listing", "right", "status_changed_by"]
    date_hierarchy = "created_at"


@admin.register(DetectionDismissal)
class DetectionDismissalAdmin(ReadOnlyAdmin):
    list_display = ["listing", "right", "reason", "dismissed_by", "created_at"]
    list_filter = ["reason"]
    list_select_related = ["listing", "right", "dismissed_by"]
    raw_id_fields = ["listing", "right", "dismissed_by"]


@admin.register(RetroScan)
class RetroScanAdmin(ReadOnlyAdmin):
    list_display = ["right", "status", "done", "total", "detections", "started_at", "finished_at"]
    list_filter = ["status"]
    list_select_related = ["right"]
    raw_id_fields = ["right"]
