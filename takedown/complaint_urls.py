from django.urls import path

from . import complaint_views as views

app_name = "complaints"

urlpatterns = [
    path("", views.complaint_list, name="list"),
    path("cases/<int:pk>/answer/", views.case_answer, name="case-answer"),
    path("<str:reference>/", views.complaint_detail, name="detail"),
]
