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
    path(
        "console/platforms/<int:platform_pk>/webhooks/",
        views.console_webhooks,
        name="console-webhooks",
    ),
    path(
        "console/platforms/<int:platform_pk>/webhooks/add/",
        views.console_webhook_create,
        name="console-webhook-create",
    ),
    path(
        "console/webhooks/<int:pk>/rotate-secret/",
        views.console_webhook_rotate,
        name="console-webhook-rotate",
    ),
    path(
        "console/webhooks/<int:pk>/disable/",
        views.console_webhook_disable,
        name="console-webhook-disable",
    ),
    path(
        "console/webhooks/<int:pk>/test/", views.console_webhook_ping, name="console-webhook-ping"
    ),
    path(
        "console/deliveries/<int:pk>/retry/",
        views.console_webhook_delivery_retry,
        name="console-delivery-retry",
    ),
]
