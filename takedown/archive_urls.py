from django.urls import path

from . import archive_views as views

app_name = "archive"

urlpatterns = [
    path("", views.archive, name="index"),
]
