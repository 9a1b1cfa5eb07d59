"""Login's second step for moderators and its enrolment (under /accounts/)."""

from django.urls import path

from takedown import auth_views, preferences_views

urlpatterns = [
    path("two-factor/", auth_views.two_factor_verify, name="two-factor-verify"),
    path("two-factor/setup/", auth_views.two_factor_setup, name="two-factor-setup"),
    path("two-factor/setup/qr.svg", auth_views.two_factor_qr, name="two-factor-qr"),
    path("preferences/", preferences_views.preferences, name="preferences"),
]
