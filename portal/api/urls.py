from django.urls import path

from . import views

app_name = "member-api"

urlpatterns = [
    path("member-tokens/", views.MemberTokenCreateApi.as_view(), name="member-token-create"),
    path("me/", views.MeApi.as_view(), name="me"),
    path("me/ledger/", views.MeLedgerApi.as_view(), name="me-ledger"),
    path("me/rewards/", views.MeRewardsApi.as_view(), name="me-rewards"),
    path("me/codes/", views.MeCodesApi.as_view(), name="me-codes"),
    path("me/codes/<str:code_id>/", views.MeCodeDetailApi.as_view(), name="me-code-detail"),
    path("me/redemptions/", views.MeRedemptionCreateApi.as_view(), name="me-redemption-create"),
    path("me/quote/", views.MeQuoteApi.as_view(), name="me-quote"),
]
