from django.contrib import admin

from .models import Listing, Platform, Seller


@admin.register(Platform)
class PlatformAdmin(admin.ModelAdmin):
    list_display = ["__str__", "website", "default_sla_hours"]
    search_fields = ["organisation__name"]


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
