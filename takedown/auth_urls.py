"""Login's second step for moderators and its enrolment (under /accounts/)."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
