from django.urls import path

from . import views

app_name = "rightsholders"

urlpatterns = [
    path("", views.right_list, name="right-list"),
    path("new/", views.right_create, name="right-create"),
    path("verification/", views.verification_queue, name="verification-queue"),
    path("<int:pk>/", views.right_detail, name="right-detail"),
    path("<int:pk>/edit/", views.right_edit, name="right-edit"),
    path("<int:pk>/scanning/", views.right_scanning, name="right-scanning"),
    path("<int:pk>/sensitivity/", views.right_sensitivity, name="right-sensitivity"),
    path("<int:pk>/verify/", views.right_verify, name="right-verify"),
    path("<int:pk>/reject/", views.right_reject, name="right-reject"),
    path("<int:pk>/suspend/", views.right_suspend, name="right-suspend"),
    path("<int:pk>/reinstate/", views.right_reinstate, name="right-reinstate"),
    path("<int:pk>/images/<int:image_pk>/", views.right_image, name="right-image"),
    path(
        "<int:pk>/images/<int:image_pk>/remove/",
        views.right_image_remove,
        name="right-image-remove",
    ),
    path("<int:pk>/documents/<int:doc_pk>/", views.proof_document, name="proof-document"),
    path("authorisations/", views.authorisation_list, name="authorisation-list"),
    path("authorisations/new/", views.authorisation_create, name="authorisation-create"),
    path(
        "authorisations/<int:pk>/revoke/",
        views.authorisation_revoke,
        name="authorisation-revoke",
    ),
    path(
        "authorisations/<int:pk>/letter/",
        views.authorisation_letter,
        name="authorisation-letter",
    ),
    path("authorised-sellers/", views.authorised_seller_list, name="authorised-seller-list"),
    path(
        "authorised-sellers/<int:pk>/remove/",
        views.authorised_seller_remove,
        name="authorised-seller-remove",
    ),
]
