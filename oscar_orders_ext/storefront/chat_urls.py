"""The customer's conversation pages; a shop mounts them on its storefront with
``path("", include("oscar_orders_ext.storefront.chat_urls"))`` (before Oscar's own URLs)."""

from django.urls import path

from .chat_views import (AccountAttachmentView, AccountConversationView, AccountQuotePdfView,
                         GuestAttachmentView, GuestConversationView, GuestQuotePdfView)

app_name = "oscar_orders_ext_chat"

urlpatterns = [
    path("accounts/orders/<str:number>/messages/", AccountConversationView.as_view(),
         name="account-chat"),
    path("accounts/orders/<str:number>/messages/<int:pk>/attachment/",
         AccountAttachmentView.as_view(), name="account-chat-attachment"),
    path("accounts/orders/<str:number>/messages/quotes/<int:pk>/pdf/",
         AccountQuotePdfView.as_view(), name="account-quote-pdf"),
    path("orders/chat/<str:token>/", GuestConversationView.as_view(), name="guest-chat"),
    path("orders/chat/<str:token>/<int:pk>/attachment/", GuestAttachmentView.as_view(),
         name="guest-chat-attachment"),
    path("orders/chat/<str:token>/quotes/<int:pk>/pdf/", GuestQuotePdfView.as_view(),
         name="guest-quote-pdf"),
]
