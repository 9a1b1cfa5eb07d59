from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from rightsholders.models import Membership

from .models import User


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["organisation"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    inlines = [MembershipInline]
    fieldsets = (*(BaseUserAdmin.fieldsets or ()), ("Preferences", {"fields": ("time_zone",)}))
