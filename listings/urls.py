from django.urls import path

from . import views

app_name = "listings"

urlpatterns = [
    path("", views.listing_list, name="listing-list"),
    path("<int:pk>/", views.listing_detail, name="listing-detail"),
    path("console/", views.console, name="console"),
    path(
        "console/platforms/<int:platform_pk>/tokens/",
        views.console_token_create,
        name="console-token-create",
    ),
    path(
        "console/tokens/<int:pk>/revoke/", views.console_token_revoke, name="console-token-revoke"
    ),
    path("console/feeds/<int:pk>/", views.console_feed_detail, name="console-feed-detail"),
    path("console/feeds/<int:pk>/row/", views.console_feed_row, name="console-feed-row"),
]
