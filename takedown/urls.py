from csp.decorators import csp_update
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from . import respond_views, views

# Swagger UI's script comes from a second request (the split view), never
# inline; its page keeps one fixed inline <style>, allowed by its hash.
api_docs = csp_update({"style-src": ["'sha256-MMpT0iDxyjALd9PdfepImGX3DBfJPXZ4IlDWdPAgtn0='"]})(
    SpectacularSwaggerSplitView.as_view(url_name="api-schema")
)

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/", include("takedown.auth_urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("rights/", include("rightsholders.urls")),
    path("listings/", include("listings.urls")),
    path("detections/", include("listings.detection_urls")),
    path("complaints/", include("takedown.complaint_urls")),
    path("cases/", include("takedown.case_urls")),
    path("evidence-packages/", include("takedown.package_urls")),
    path("dashboard/", include("takedown.dashboard_urls")),
    path("exports/", include("takedown.export_urls")),
    path("transparency/", include("takedown.transparency_urls")),
    path("archive/", include("takedown.archive_urls")),
    path("respond/<str:token>/", respond_views.respond, name="respond"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", api_docs, name="api-docs"),
    path("api/v1/", include("takedown.api_urls")),
    path("admin/", admin.site.urls),
]
