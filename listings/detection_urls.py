from django.urls import path

from . import detection_views as views

app_name = "detections"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("act/", views.detections_act, name="act"),
    path("complaint-draft/", views.complaint_draft, name="complaint-draft"),
    path("<int:pk>/", views.detection_detail, name="detail"),
    path("<int:pk>/images/<int:image_pk>/", views.detection_listing_image, name="listing-image"),
]
