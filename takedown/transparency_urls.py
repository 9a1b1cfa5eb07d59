from django.urls import path

from . import transparency_views as views

app_name = "transparency"

urlpatterns = [
    path("", views.public_report, name="public"),
    path("report/", views.report, name="report"),
    path("statements/", views.statements, name="statements"),
]
