from django.urls import path

from . import decisions, detections, views

urlpatterns = [
    path("feeds", views.FeedListCreate.as_view(), name="api-feed-list"),
    path("feeds/<int:pk>", views.FeedDetail.as_view(), name="api-feed-detail"),
    path("decisions", decisions.DecisionFeed.as_view(), name="api-decision-list"),
    path(
        "decisions/<uuid:event_id>/executed",
        decisions.DecisionExecuted.as_view(),
        name="api-decision-executed",
    ),
    path("detections", detections.DetectionList.as_view(), name="api-detection-list"),
    path("detections/dismiss", detections.DetectionDismiss.as_view(), name="api-detection-dismiss"),
    path("detections/reopen", detections.DetectionReopen.as_view(), name="api-detection-reopen"),
    path("detections/<int:pk>", detections.DetectionDetail.as_view(), name="api-detection-detail"),
    path("listings/<path:external_id>", views.ListingDetail.as_view(), name="api-listing-detail"),
]
