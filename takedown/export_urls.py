from django.urls import path

from . import export_views as views

app_name = "exports"

urlpatterns = [
    path("", views.export_list, name="list"),
    path("<int:pk>/progress/", views.export_progress, name="progress"),
    path("<int:pk>/download/", views.export_download, name="download"),
]
