from rest_framework import serializers

from ..models import Right, RightImage


class RightImageSerializer(serializers.ModelSerializer):
    class Meta:
        model = RightImage
        fields = ["id", "role", "original_name", "content_type", "sha256", "width", "height"]


class RightSerializer(serializers.ModelSerializer):
    rights_holder = serializers.CharField(source="rights_holder.name", read_only=True)
    images = RightImageSerializer(many=True, read_only=True)
    in_force = serializers.SerializerMethodField()

    class Meta:
        model = Right
        fields = [
            "id",
            "rights_holder",
            "kind",
            "name",
            "mark_text",
            "registration_number",
            "office",
            "nice_classes",
            "locarno_class",
            "goods_description",
            "territories",
            "valid_from",
            "valid_until",
            "reference_price",
            "reference_currency",
            "status",
            "status_reason",
            "in_force",
            "images",
        ]
        read_only_fields = fields

    def get_in_force(self, right: Right) -> bool:
        return right.is_in_force()
