from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from takedown.models import Case, CaseEvent, Complaint, StatementOfReasons
from takedown.privacy import personal_value
from takedown.selectors import case_events_for, case_internals_visible
from takedown.services.evidence import REASON_SALT, REASON_SHA256
from takedown.states import CASE_DECISIONS, CaseAction, ComplaintReason

LEDGER_SEAL_KEYS = frozenset({REASON_SALT, REASON_SHA256})


def _internal(serializer: serializers.BaseSerializer, case: Case) -> bool:
    """Whether the caller sees the case's internals (moderators' names, claims, notes).

    Without a request in the context nothing internal is shown.
    """
    request = serializer.context.get("request")
    return request is not None and case_internals_visible(request.user, case)


class ComplaintFileSerializer(serializers.Serializer):
    """A notice: the rights relied on, the listings (ids, references or detections), the statements."""

    rights_holder = serializers.IntegerField(min_value=1)
    rights = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, default=list
    )
    listings = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, default=list
    )
    listing_references = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=200_000,
        help_text="Listing URLs or platform:external_id, one a line, or CSV with a url column.",
    )
    detections = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, default=list
    )
    reason = serializers.ChoiceField(choices=ComplaintReason.choices)
    reason_other = serializers.CharField(required=False, allow_blank=True, max_length=200)
    explanation = serializers.CharField(max_length=20_000)
    notifier_name = serializers.CharField(max_length=200)
    notifier_email = serializers.CharField(max_length=254)
    good_faith = serializers.BooleanField()
    accurate = serializers.BooleanField()
    signature = serializers.CharField(max_length=200)


class CaseBriefSerializer(serializers.ModelSerializer):
    listing = serializers.CharField(source="listing.external_id")
    platform = serializers.CharField(source="platform.organisation.slug")

    class Meta:
        model = Case
        fields = ["id", "listing", "platform", "status", "deadline_at", "decided_at"]
        read_only_fields = fields


class ComplaintSerializer(serializers.ModelSerializer):
    rights_holder = serializers.CharField(source="rights_holder.name")
    rights = serializers.SerializerMethodField()
    cases = CaseBriefSerializer(many=True, read_only=True)

    class Meta:
        model = Complaint
        fields = [
            "reference",
            "rights_holder",
            "rights",
            "reason",
            "reason_other",
            "explanation",
            "notifier_name",
            "notifier_email",
            "trusted_flagger",
            "created_at",
            "acknowledged_at",
            "cases",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_rights(self, complaint: Complaint) -> list[int]:
        return [r.pk for r in complaint.rights.all()]

    def to_representation(self, instance: Complaint) -> dict:
        data = super().to_representation(instance)
        # The notifier's own organisation and moderators see them; others masked (logged).
        request = self.context.get("request")
        for name in ("notifier_name", "notifier_email"):
            data[name] = personal_value(request, instance, name)
        return data


class CaseEventSerializer(serializers.ModelSerializer):
    """One step of a case. ``actor`` and ``data`` are null and empty for notifiers."""

    actor = serializers.CharField(source="actor.username", default=None, allow_null=True)

    class Meta:
        model = CaseEvent
        fields = ["action", "from_status", "to_status", "actor", "reason", "data", "created_at"]
        read_only_fields = fields

    def to_representation(self, instance: CaseEvent) -> dict:
        data = super().to_representation(instance)
        if not self.context.get("internal", False):
            data["actor"] = None
            data["data"] = {}
        # The reason's seal (salt and digest, takedown.services.evidence) is the ledger's.
        data["data"] = {k: v for k, v in data["data"].items() if k not in LEDGER_SEAL_KEYS}
        return data


class StatementSerializer(serializers.ModelSerializer):
    class Meta:
        model = StatementOfReasons
        exclude = ["case", "updated_at"]
        read_only_fields = [f.name for f in StatementOfReasons._meta.fields]


# What a notifier is not shown of a case: who the moderators are, and the queue's workings.
INTERNAL_CASE_FIELDS: dict[str, object] = {
    "claimed_by": None,
    "claim_expires_at": None,
    "decided_by": None,
    "priority_reasons": [],
}


class CaseSerializer(serializers.ModelSerializer):
    """A case; for notifiers the internal fields are null or empty (INTERNAL_CASE_FIELDS)."""

    complaint = serializers.CharField(source="complaint.reference")
    listing = serializers.SerializerMethodField()
    platform = serializers.CharField(source="platform.organisation.slug")
    claimed_by = serializers.CharField(source="claimed_by.username", default=None, allow_null=True)
    decided_by = serializers.CharField(source="decided_by.username", default=None, allow_null=True)

    class Meta:
        model = Case
        fields = [
            "id",
            "complaint",
            "listing",
            "platform",
            "status",
            "deadline_at",
            "due_at",
            "priority_reasons",
            "claimed_by",
            "claim_expires_at",
            "decided_by",
            "decided_at",
            "rejection_reason",
            "info_request",
            "info_deadline_at",
            "info_answer",
        ]
        read_only_fields = fields

    def to_representation(self, instance: Case) -> dict:
        data = super().to_representation(instance)
        if not _internal(self, instance):
            data.update(INTERNAL_CASE_FIELDS)
        return data

    @extend_schema_field(serializers.DictField())
    def get_listing(self, case: Case) -> dict[str, object]:
        listing = case.listing
        return {
            "id": listing.pk,
            "external_id": listing.external_id,
            "title": listing.title,
            "url": listing.url,
            "price": None if listing.price is None else str(listing.price),
            "currency": listing.currency,
        }


class CaseDetailSerializer(CaseSerializer):
    """A case with its history: all of it for moderators, what is meant for them for notifiers."""

    events = serializers.SerializerMethodField()
    statements = StatementSerializer(many=True, read_only=True)

    class Meta(CaseSerializer.Meta):
        fields = [*CaseSerializer.Meta.fields, "events", "statements"]
        read_only_fields = fields

    @extend_schema_field(CaseEventSerializer(many=True))
    def get_events(self, case: Case) -> list[dict]:
        request = self.context.get("request")
        if request is None:
            return []
        return list(
            CaseEventSerializer(
                case_events_for(request.user, case),
                many=True,
                context={"internal": case_internals_visible(request.user, case)},
            ).data
        )


DECISION_CHOICES = [(a, CaseAction(a).label) for a in CASE_DECISIONS]


class DecisionSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=DECISION_CHOICES)
    explanation = serializers.CharField(max_length=20_000)
    territorial_scope = serializers.ListField(
        child=serializers.RegexField(r"^[A-Za-z]{2}$"), required=False, default=list
    )
    restriction_days = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=3650
    )


class BulkDecisionSerializer(DecisionSerializer):
    cases = serializers.ListField(
        child=serializers.IntegerField(min_value=1), min_length=1, max_length=500
    )


class BulkOutcomeSerializer(serializers.Serializer):
    case_id = serializers.IntegerField()
    ok = serializers.BooleanField()
    message = serializers.CharField()


class AnswerSerializer(serializers.Serializer):
    answer = serializers.CharField(max_length=20_000)
