"""Operators' admin for the registry. Status changes go through the services, as actions."""

from typing import Any

from django.contrib import admin, messages
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest

from takedown.errors import DomainError

from . import services
from .models import (
    AgentAuthorisation,
    AuthorisedSeller,
    Membership,
    Organisation,
    ProofDocument,
    Right,
    RightEvent,
    RightImage,
)


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "kind",
        "country",
        "is_active",
        "trusted_flagger_since",
        "trusted_flagger_accuracy",
        "filing_suspended_until",
        "created_at",
    ]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    # Written by the remedies services (designation, misuse policy), shown here.
    readonly_fields = [
        "trusted_flagger_since",
        "trusted_flagger_accuracy",
        "filing_suspended_until",
        "filing_suspension_reason",
        "misuse_warned_at",
    ]
    actions = ["designate_trusted_flaggers", "end_trusted_flagger_designation"]

    def _designate(self, request: HttpRequest, queryset: QuerySet[Organisation], trusted: bool):
        from takedown.services.remedies import trusted_flagger_designate

        done = 0
        for organisation in queryset:
            try:
                trusted_flagger_designate(
                    actor=request.user, organisation=organisation, trusted=trusted
                )
            except DomainError as exc:
                self.message_user(request, f"{organisation}: {exc.message}", messages.ERROR)
            else:
                done += 1
        self.message_user(request, f"{done} organisation(s) updated.", messages.SUCCESS)

    @admin.action(description="Designate as trusted flaggers (DSA Art. 22)")
    def designate_trusted_flaggers(self, request: HttpRequest, queryset: QuerySet[Organisation]):
        self._designate(request, queryset, True)

    @admin.action(description="End the trusted flagger designation")
    def end_trusted_flagger_designation(
        self, request: HttpRequest, queryset: QuerySet[Organisation]
    ):
        self._designate(request, queryset, False)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "organisation", "role"]
    list_filter = ["role", "organisation__kind"]
    search_fields = ["user__username", "organisation__name"]
    autocomplete_fields = ["user", "organisation"]


@admin.register(AgentAuthorisation)
class AgentAuthorisationAdmin(admin.ModelAdmin):
    list_display = ["agent", "rights_holder", "valid_from", "valid_until", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["agent__name", "rights_holder__name"]
    readonly_fields = ["letter_sha256", "revoked_at", "revoked_by", "granted_by"]
    filter_horizontal = ["rights"]


class RightImageInline(admin.TabularInline):
    model = RightImage
    extra = 0
    readonly_fields = ["sha256", "width", "height", "content_type"]


class ProofDocumentInline(admin.TabularInline):
    model = ProofDocument
    extra = 0
    readonly_fields = ["sha256", "size", "content_type", "uploaded_by"]


class RightEventInline(admin.TabularInline):
    model = RightEvent
    extra = 0
    can_delete = False
    readonly_fields = [
        "created_at",
        "actor",
        "action",
        "from_status",
        "to_status",
        "reason",
        "changes",
    ]

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Right)
class RightAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "kind",
        "office",
        "registration_number",
        "rights_holder",
        "status",
        "valid_until",
    ]
    list_filter = ["status", "kind", "office"]
    search_fields = ["name", "mark_text", "registration_number", "rights_holder__name"]
    readonly_fields = [
        "status",
        "status_reason",
        "status_changed_at",
        "submitted_by",
        "reviewed_by",
    ]
    inlines = [RightImageInline, ProofDocumentInline, RightEventInline]
    actions = ["verify_selected", "reinstate_selected"]

    def save_model(self, request: HttpRequest, obj: Right, form: Any, change: bool) -> None:
        # An edit here (the mark, its classes, "ordinary word") changes what the
        # scanners match: their workers rebuild their index on the next chunk.
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            services.rights_revision_bump()

    @admin.action(description="Verify selected rights (submitted only)")
    def verify_selected(self, request: HttpRequest, queryset: QuerySet[Right]) -> None:
        self._apply(request, queryset, services.right_verify)

    @admin.action(description="Reinstate selected suspended rights")
    def reinstate_selected(self, request: HttpRequest, queryset: QuerySet[Right]) -> None:
        self._apply(request, queryset, services.right_reinstate)

    def _apply(self, request: HttpRequest, queryset: QuerySet[Right], service) -> None:
        done = 0
        for right in queryset:
            try:
                service(actor=request.user, right=right)
                done += 1
            except DomainError as exc:
                self.message_user(request, f"{right}: {exc.message}", messages.ERROR)
        if done:
            self.message_user(request, f"{done} right(s) updated.", messages.SUCCESS)


@admin.register(RightEvent)
class RightEventAdmin(admin.ModelAdmin):
    """The audit trail is append-only: readable, never editable."""

    list_display = ["created_at", "right", "action", "from_status", "to_status", "actor"]
    list_filter = ["action"]
    search_fields = ["right__name", "right__registration_number"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(AuthorisedSeller)
class AuthorisedSellerAdmin(admin.ModelAdmin):
    list_display = [
        "seller_external_id",
        "seller_name",
        "platform",
        "rights_holder",
        "is_own_store",
    ]
    list_filter = ["platform", "is_own_store"]
    search_fields = ["seller_external_id", "seller_name", "rights_holder__name"]
    filter_horizontal = ["rights"]


admin.site.register(RightImage)
admin.site.register(ProofDocument)
