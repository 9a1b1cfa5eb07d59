from django.urls import path

from . import case_views as views

app_name = "cases"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("claim-next/", views.claim_next, name="claim-next"),
    path("<int:pk>/", views.case_detail, name="detail"),
    path("<int:pk>/act/", views.case_act, name="act"),
    path("bulk/", views.bulk_decide, name="bulk-decide"),
    path("appeals/", views.appeal_queue, name="appeal-queue"),
    path("<int:pk>/appeals/<int:appeal_pk>/decide/", views.appeal_act, name="appeal-decide"),
]
