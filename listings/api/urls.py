from django.urls import path

from . import views

urlpatterns = [
    path("feeds", views.FeedListCreate.as_view(), name="api-feed-list"),
    path("feeds/<int:pk>", views.FeedDetail.as_view(), name="api-feed-detail"),
    path("listings/<path:external_id>", views.ListingDetail.as_view(), name="api-listing-detail"),
]
