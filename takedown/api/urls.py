from django.urls import include, path

from . import remedies, views

urlpatterns = [
    path("complaints", views.ComplaintListCreate.as_view(), name="api-complaint-list"),
    path(
        "complaints/<str:reference>",
        views.ComplaintDetail.as_view(),
        name="api-complaint-detail",
    ),
    path("cases", views.CaseList.as_view(), name="api-case-list"),
    path("cases/claim-next", views.CaseClaimNext.as_view(), name="api-case-claim-next"),
    path("cases/decide", views.CaseDecideBulk.as_view(), name="api-case-decide-bulk"),
    path("cases/<int:pk>", views.CaseDetail.as_view(), name="api-case-detail"),
    path("cases/<int:pk>/decide", views.CaseDecide.as_view(), name="api-case-decide"),
    path("cases/<int:pk>/release", views.CaseRelease.as_view(), name="api-case-release"),
    path("cases/<int:pk>/answer", views.CaseAnswer.as_view(), name="api-case-answer"),
    path(
        "cases/<int:pk>/court-action",
        remedies.CaseReportAction.as_view(),
        name="api-case-court-action",
    ),
    path("cases/<int:pk>/appeal", remedies.CaseAppeal.as_view(), name="api-case-appeal"),
    path("appeals", remedies.AppealList.as_view(), name="api-appeal-list"),
    path("appeals/<int:pk>/decide", remedies.AppealDecide.as_view(), name="api-appeal-decide"),
    # A platform's own webhooks and their delivery log (token-authenticated).
    path("", include("takedown.api.webhooks")),
    # Evidence packages of a case (moderators, the notifier without personal data).
    path("", include("takedown.api.packages")),
]
