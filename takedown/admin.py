from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import reverse

from rightsholders.models import Membership

from .access import access_for
from .errors import DomainError
from .models import (
    Appeal,
    Case,
    CaseEvent,
    Complaint,
    ComplaintEvidence,
    CounterNotice,
    ErasureRecord,
    EvidencePackage,
    OutboxMessage,
    PersonalDataAccess,
    PlatformDecision,
    ReasonTemplate,
    SellerWarning,
    StatementOfReasons,
    Strike,
    User,
    WebhookEndpoint,
)
from .services.cases import Decision, cases_decide_bulk
from .services.erasure import counter_notice_erase
from .services.remedies import appeal_decide
from .services.webhooks import (
    webhook_endpoint_create,
    webhook_endpoint_disable,
    webhook_endpoint_rotate_secret,
)
from .states import CaseAction


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["organisation"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    inlines = [MembershipInline]
    fieldsets = (*(BaseUserAdmin.fieldsets or ()), ("Preferences", {"fields": ("time_zone",)}))


# Complaints and cases --------------------------------------------------------
# Read-only records: every change goes through takedown.services (decisions as
# actions below, with the explanation they need asked on an intermediate page).


class ReadOnlyMixin:
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ComplaintEvidenceInline(ReadOnlyMixin, admin.TabularInline):
    model = ComplaintEvidence
    extra = 0
    fields = readonly_fields = ("original_name", "content_type", "size", "sha256", "file")


class CaseInline(ReadOnlyMixin, admin.TabularInline):
    model = Case
    extra = 0
    fields = readonly_fields = ("listing", "status", "deadline_at", "decided_by", "decided_at")
    show_change_link = True


@admin.register(Complaint)
class ComplaintAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = [
        "reference",
        "rights_holder",
        "agent",
        "reason",
        "trusted_flagger",
        "created_at",
    ]
    list_filter = ["reason", "trusted_flagger"]
    search_fields = ["reference", "notifier_name", "notifier_email", "rights_holder__name"]
    date_hierarchy = "created_at"
    inlines = [ComplaintEvidenceInline, CaseInline]


class CaseEventInline(ReadOnlyMixin, admin.TabularInline):
    model = CaseEvent
    extra = 0
    fields = readonly_fields = (
        "created_at",
        "actor",
        "action",
        "from_status",
        "to_status",
        "reason",
    )
    ordering = ["created_at", "pk"]


class StatementInline(ReadOnlyMixin, admin.StackedInline):
    model = StatementOfReasons
    extra = 0

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None):
        return [f.name for f in StatementOfReasons._meta.fields]


@admin.register(Case)
class CaseAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["__str__", "platform", "status", "due_at", "deadline_at", "claimed_by"]
    list_filter = ["status", "platform"]
    list_select_related = ["complaint", "listing", "platform__organisation", "claimed_by"]
    search_fields = ["complaint__reference", "listing__external_id", "listing__title"]
    ordering = ["due_at", "pk"]
    inlines = [StatementInline, CaseEventInline]
    actions = ["remove_selected", "restrict_selected", "reject_selected", "request_info_selected"]

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_active and request.user.is_staff)

    def _decide(self, request: HttpRequest, queryset: QuerySet[Case], action: str):
        label = CaseAction(action).label
        if "apply" in request.POST:
            outcomes = cases_decide_bulk(
                actor=request.user,
                case_ids=list(queryset.values_list("pk", flat=True)),
                decision=Decision(action=action, explanation=request.POST.get("explanation", "")),
            )
            done = sum(o.ok for o in outcomes)
            for outcome in outcomes:
                if not outcome.ok:
                    self.message_user(
                        request, f"Case {outcome.case_id}: {outcome.message}", messages.ERROR
                    )
            self.message_user(request, f"{label}: {done} case(s).", messages.SUCCESS)
            return None
        return TemplateResponse(
            request,
            "takedown/admin/case_decide.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": f"{label}: {queryset.count()} case(s)",
                "cases": queryset,
                "action": request.POST.get("action", ""),
                "needs": "the reason the notifier is told"
                if action == CaseAction.REJECT
                else "the question for the notifier"
                if action == CaseAction.REQUEST_INFO
                else "the facts and circumstances (the statement of reasons)",
            },
        )

    @admin.action(description="Remove the listings of the selected cases", permissions=["view"])
    def remove_selected(self, request: HttpRequest, queryset: QuerySet[Case]):
        return self._decide(request, queryset, CaseAction.REMOVE)

    @admin.action(description="Restrict the listings of the selected cases", permissions=["view"])
    def restrict_selected(self, request: HttpRequest, queryset: QuerySet[Case]):
        return self._decide(request, queryset, CaseAction.RESTRICT)

    @admin.action(description="Reject the selected cases", permissions=["view"])
    def reject_selected(self, request: HttpRequest, queryset: QuerySet[Case]):
        return self._decide(request, queryset, CaseAction.REJECT)

    @admin.action(description="Ask the notifier for information", permissions=["view"])
    def request_info_selected(self, request: HttpRequest, queryset: QuerySet[Case]):
        return self._decide(request, queryset, CaseAction.REQUEST_INFO)


# Platform webhooks and decisions told to platforms -----------------------------
# Endpoints are created, rotated and disabled through takedown.services.webhooks;
# a secret is shown once, in the response that made it, never stored in messages.


class WebhookEndpointAddForm(forms.ModelForm):
    url = forms.URLField(max_length=500, assume_scheme="https")

    class Meta:
        model = WebhookEndpoint
        fields = ["platform", "url"]


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = [
        "url",
        "platform",
        "active",
        "created_at",
        "secret_rotated_at",
        "disabled_at",
        "disabled_reason",
    ]
    list_filter = ["active", "platform"]
    list_select_related = ["platform__organisation"]
    search_fields = ["url", "platform__organisation__name"]
    readonly_fields = [
        "platform",
        "url",
        "active",
        "created_by",
        "created_at",
        "secret_rotated_at",
        "disabled_at",
        "disabled_reason",
    ]
    actions = ["rotate_secret_selected", "disable_selected"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and access_for(request.user).is_operator

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # disable instead: the delivery log names the endpoint

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any):
        if obj is None:
            kwargs["form"] = WebhookEndpointAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Any = None):
        return ["platform", "url"] if obj is None else self.readonly_fields

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None):
        return [] if obj is None else self.readonly_fields

    def save_model(self, request: HttpRequest, obj: WebhookEndpoint, form: Any, change: bool):
        """Create through the service (URL checked); keep the secret for ``response_add``."""
        endpoint, secret = webhook_endpoint_create(
            actor=request.user, platform=obj.platform, url=obj.url
        )
        for field in endpoint._meta.concrete_fields:
            setattr(obj, field.attname, getattr(endpoint, field.attname))
        obj._state.adding = False
        obj._new_secret = secret  # type: ignore[attr-defined]

    def _secrets_page(self, request: HttpRequest, secrets: list) -> TemplateResponse:
        response = TemplateResponse(
            request,
            "takedown/admin/webhook_secret.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": "Webhook secret",
                "secrets": secrets,
                "list_url": reverse("admin:takedown_webhookendpoint_changelist"),
            },
        )
        response["Cache-Control"] = "no-store"
        return response

    def response_add(self, request: HttpRequest, obj: WebhookEndpoint, post_url_continue=None):
        return self._secrets_page(request, [(obj, obj._new_secret)])  # type: ignore[attr-defined]

    @admin.action(description="Rotate the secret of the selected webhooks", permissions=["view"])
    def rotate_secret_selected(self, request: HttpRequest, queryset: QuerySet[WebhookEndpoint]):
        secrets = []
        for endpoint in queryset.select_related("platform"):
            try:
                secrets.append(
                    webhook_endpoint_rotate_secret(actor=request.user, endpoint=endpoint)
                )
            except DomainError as exc:
                self.message_user(request, f"{endpoint.url}: {exc.message}", messages.ERROR)
        return self._secrets_page(request, secrets) if secrets else None

    @admin.action(description="Disable the selected webhooks", permissions=["view"])
    def disable_selected(self, request: HttpRequest, queryset: QuerySet[WebhookEndpoint]) -> None:
        disabled = 0
        for endpoint in queryset.select_related("platform").filter(active=True):
            try:
                webhook_endpoint_disable(actor=request.user, endpoint=endpoint)
            except DomainError as exc:
                self.message_user(request, f"{endpoint.url}: {exc.message}", messages.ERROR)
            else:
                disabled += 1
        self.message_user(request, f"{disabled} webhook(s) disabled.", messages.SUCCESS)


class DeliveryInline(ReadOnlyMixin, admin.TabularInline):
    """The delivery log of a decision: one row per endpoint it was sent to."""

    model = OutboxMessage
    fk_name = "decision"
    extra = 0
    fields = readonly_fields = (
        "recipient",
        "status",
        "attempts",
        "last_status_code",
        "last_error",
        "next_attempt_at",
        "leased_until",
        "sent_at",
    )


@admin.register(PlatformDecision)
class PlatformDecisionAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["__str__", "case", "occurred_at", "needs_execution", "executed_at"]
    list_filter = ["type", "needs_execution", "platform"]
    list_select_related = ["platform__organisation", "case__complaint", "case__listing"]
    search_fields = ["event_id", "case__complaint__reference", "case__listing__external_id"]
    inlines = [DeliveryInline]


# Remedies ----------------------------------------------------------------------


@admin.register(CounterNotice)
class CounterNoticeAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = [
        "case",
        "seller_name",
        "regime",
        "window_ends_at",
        "action_reported_at",
        "restored_at",
    ]
    list_select_related = ["case__complaint", "case__listing"]
    search_fields = ["seller_name", "seller_email", "case__complaint__reference"]


@admin.register(Strike)
class StrikeAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["seller", "complaint", "case", "created_at", "expires_at", "withdrawn_at"]
    list_select_related = ["seller", "complaint", "case__complaint", "case__listing"]
    search_fields = ["seller__external_id", "seller__name"]


@admin.register(SellerWarning)
class SellerWarningAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Prior warnings to sellers (DSA Art. 23(1)), issued and withdrawn by the strike services."""

    list_display = ["seller", "active_strikes", "case", "created_at", "withdrawn_at"]
    list_select_related = ["seller", "case__complaint", "case__listing"]
    search_fields = ["seller__external_id", "seller__name"]


@admin.register(Appeal)
class AppealAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Appeals are decided through the service (another moderator than the case's)."""

    list_display = ["case", "by", "status", "created_at", "decided_by", "decided_at"]
    list_filter = ["status", "by"]
    list_select_related = ["case__complaint", "case__listing", "decided_by"]
    actions = ["uphold_selected", "dismiss_selected"]

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_active and request.user.is_staff)

    def _decide(self, request: HttpRequest, queryset: QuerySet[Appeal], uphold: bool):
        reason = request.POST.get("explanation", "").strip()
        if "apply" not in request.POST:
            return TemplateResponse(
                request,
                "takedown/admin/case_decide.html",
                {
                    **self.admin_site.each_context(request),
                    "opts": self.opts,
                    "title": f"{'Uphold' if uphold else 'Dismiss'} {queryset.count()} appeal(s)",
                    "cases": [a.case for a in queryset.select_related("case__listing")],
                    "selected": list(queryset.values_list("pk", flat=True)),
                    "action": request.POST.get("action", ""),
                    "needs": "the reason for the decision on the appeal",
                },
            )
        for appeal in queryset:
            try:
                appeal_decide(actor=request.user, appeal=appeal, uphold=uphold, reason=reason)
            except DomainError as exc:
                self.message_user(request, f"Appeal {appeal.pk}: {exc.message}", messages.ERROR)
        return None

    @admin.action(
        description="Uphold the selected appeals (reverse the decisions)", permissions=["view"]
    )
    def uphold_selected(self, request: HttpRequest, queryset: QuerySet[Appeal]):
        return self._decide(request, queryset, True)

    @admin.action(description="Dismiss the selected appeals", permissions=["view"])
    def dismiss_selected(self, request: HttpRequest, queryset: QuerySet[Appeal]):
        return self._decide(request, queryset, False)


# Reason templates ---------------------------------------------------------------
# The texts moderators decide with: global (no platform, the operator's) or one
# platform's. The text's placeholders are checked when it is saved.


@admin.register(ReasonTemplate)
class ReasonTemplateAdmin(admin.ModelAdmin):
    list_display = ["title", "action", "platform", "active", "updated_at"]
    list_filter = ["action", "active", "platform"]
    list_select_related = ["platform__organisation"]
    search_fields = ["title", "text"]
    fields = ["platform", "action", "title", "text", "active"]


# Privacy (issue 7, docs/privacy.md) -----------------------------------------------
# The access log and the erasure records are read-only, for the operator's moderators.


class OperatorModeratorsOnlyMixin(ReadOnlyMixin):
    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        user = request.user
        return bool(user.is_active and user.is_staff and access_for(user).is_operator_moderator)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)


@admin.register(PersonalDataAccess)
class PersonalDataAccessAdmin(OperatorModeratorsOnlyMixin, admin.ModelAdmin):
    list_display = ["at", "username", "view_name", "path"]
    list_filter = ["view_name"]
    search_fields = ["username", "path"]
    date_hierarchy = "at"
    fields = ["at", "user", "username", "view_name", "path", "shown"]


@admin.register(ErasureRecord)
class ErasureRecordAdmin(OperatorModeratorsOnlyMixin, admin.ModelAdmin):
    list_display = ["erased_at", "subject", "subject_ref", "erased_by", "erased_by_label"]
    list_filter = ["subject"]
    fields = [
        "erased_at",
        "subject",
        "subject_ref",
        "reason",
        "erased_by",
        "erased_by_label",
        "erased",
    ]


@admin.action(description="Erase the senders' personal data (asks why)", permissions=["view"])
def erase_counter_notice_senders(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[CounterNotice]
):
    """Erase on request (GDPR Art. 17); the operator's moderators only, with the reason."""
    if not access_for(request.user).is_operator_moderator:
        modeladmin.message_user(
            request, "Only the operator's moderators erase personal data.", messages.ERROR
        )
        return None
    if "apply" in request.POST:
        for notice in queryset:
            try:
                record = counter_notice_erase(
                    counter_notice_id=notice.pk,
                    reason=request.POST.get("reason", ""),
                    actor=request.user,
                )
            except DomainError as exc:
                modeladmin.message_user(request, exc.message, messages.ERROR)
                return None
            modeladmin.message_user(
                request, f"Counter-notice {notice.pk}: erasure {record.pk} recorded."
            )
        return None
    return TemplateResponse(
        request,
        "takedown/admin/erase_personal_data.html",
        {
            **modeladmin.admin_site.each_context(request),
            "opts": modeladmin.opts,
            "title": f"Erase the personal data of {queryset.count()} counter-notice(s)",
            "objects": queryset,
            "action": request.POST.get("action", ""),
        },
    )


# Attached here, after the class, to keep the privacy code in one block of this file.
CounterNoticeAdmin.actions = [erase_counter_notice_senders]  # type: ignore[misc]


# Evidence packages (issue 7, docs/evidence.md): read-only; built from the case and
# complaint pages, downloaded there through the audience rules.
@admin.register(EvidencePackage)
class EvidencePackageAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["id", "case", "complaint", "audience", "status", "size", "created_at"]
    list_filter = ["status", "audience"]
    list_select_related = ["case", "complaint"]
    raw_id_fields = ["case", "complaint", "requested_by"]
    readonly_fields = [f.name for f in EvidencePackage._meta.fields]
