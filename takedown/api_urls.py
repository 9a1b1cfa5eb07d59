"""Version 1 of the API: every app's endpoints under /api/v1/."""

from django.urls import include, path

urlpatterns = [
    path("", include("rightsholders.api.urls")),
    path("", include("listings.api.urls")),
    path("", include("takedown.api.urls")),
]
