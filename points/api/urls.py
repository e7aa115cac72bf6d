from django.urls import path

from . import views

app_name = "points"

urlpatterns = [
    path("members/", views.MemberEnrolApi.as_view(), name="member-enrol"),
    path("members/lookup/", views.MemberLookupApi.as_view(), name="member-lookup"),
    path("members/<str:card_number>/", views.MemberDetailApi.as_view(), name="member-detail"),
    path(
        "members/<str:card_number>/ledger/", views.MemberLedgerApi.as_view(), name="member-ledger"
    ),
    path("purchases/", views.PurchaseCreateApi.as_view(), name="purchase-create"),
    path("purchases/quote/", views.PurchaseQuoteApi.as_view(), name="purchase-quote"),
    path(
        "purchases/<str:transaction_id>/refunds/",
        views.RefundCreateApi.as_view(),
        name="refund-create",
    ),
    path("activities/", views.ActivityCreateApi.as_view(), name="activity-create"),
]
