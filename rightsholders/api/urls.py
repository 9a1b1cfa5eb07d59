from django.urls import path

from . import views

urlpatterns = [
    path("rights", views.RightList.as_view(), name="api-right-list"),
    path("rights/<int:pk>", views.RightDetail.as_view(), name="api-right-detail"),
]
