from django.urls import path

from . import package_views as views

app_name = "packages"

urlpatterns = [
    path("cases/<int:pk>/", views.case_panel, name="case-panel"),
    path("cases/<int:pk>/build/", views.case_build, name="case-build"),
    path("complaints/<str:reference>/", views.complaint_panel, name="complaint-panel"),
    path("complaints/<str:reference>/build/", views.complaint_build, name="complaint-build"),
    path("<int:pk>/status/", views.package_status, name="status"),
    path("<int:pk>/download/", views.package_download, name="download"),
]
