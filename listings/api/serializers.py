from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..models import FeedBatch, FeedLineError, Listing, ListingImage


class FeedAcceptedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    status_url = serializers.URLField()


class FeedLineErrorSerializer(serializers.ModelSerializer):
    class Meta:
        model = FeedLineError
        fields = ["line", "field", "message"]


class FeedSerializer(serializers.ModelSerializer):
    """A feed's progress; ``errors`` is one page of refused lines (``errors_next`` for more)."""

    class Meta:
        model = FeedBatch
        fields = [
            "id",
            "status",
            "format",
            "size_bytes",
            "sha256",
            "lines",
            "accepted",
            "rejected",
            "created",
            "updated",
            "unchanged",
            "failure_reason",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields


class FeedProgressSerializer(serializers.Serializer):
    """Of the listings the feed wrote: images still to fetch, scans due and done."""

    listings = serializers.IntegerField()
    images_pending = serializers.IntegerField()
    scans_due = serializers.IntegerField()
    scanned = serializers.IntegerField()


class FeedStatusSerializer(FeedSerializer):
    errors_count = serializers.IntegerField(read_only=True)
    errors_next = serializers.CharField(read_only=True, allow_null=True)
    progress = FeedProgressSerializer(read_only=True)

    class Meta(FeedSerializer.Meta):
        fields = [*FeedSerializer.Meta.fields, "errors_count", "errors_next", "progress"]
        read_only_fields = fields

    def get_fields(self) -> dict[str, serializers.Field]:
        # Added here, not as a class attribute: that would hide Serializer.errors.
        fields = super().get_fields()
        fields["errors"] = FeedLineErrorSerializer(many=True, read_only=True, source="errors_page")
        return fields


class ListingImageSerializer(serializers.ModelSerializer):
    sha256 = serializers.CharField(source="blob.sha256", default=None, read_only=True)

    class Meta:
        model = ListingImage
        fields = ["url", "position", "status", "error", "sha256", "fetched_at"]


class EnforcementSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["live", "delisted_by_platform"])
    since = serializers.DateTimeField()


class ListingSerializer(serializers.ModelSerializer):
    seller_id = serializers.CharField(source="seller.external_id", default="", read_only=True)
    seller_name = serializers.CharField(source="seller.name", default="", read_only=True)
    images = ListingImageSerializer(many=True, read_only=True)
    enforcement = serializers.SerializerMethodField()

    class Meta:
        model = Listing
        fields = [
            "external_id",
            "title",
            "url",
            "description",
            "price",
            "currency",
            "seller_id",
            "seller_name",
            "category",
            "ship_to",
            "brand",
            "extra",
            "images",
            "enforcement",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(EnforcementSerializer)
    def get_enforcement(self, listing: Listing) -> dict[str, object]:
        """Where the listing stands: live, or delisted by the platform (and when)."""
        if listing.delisted_at is not None:
            return {"status": "delisted_by_platform", "since": listing.delisted_at}
        return {"status": "live", "since": listing.created_at}
