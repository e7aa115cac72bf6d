from django.urls import path

from . import views

app_name = "rewards"

urlpatterns = [
    path(
        "members/<str:card_number>/rewards/",
        views.MemberRewardsApi.as_view(),
        name="member-rewards",
    ),
    path(
        "members/<str:card_number>/redemptions/",
        views.RedemptionCreateApi.as_view(),
        name="redemption-create",
    ),
    path("checkout/validate/", views.CheckoutValidateApi.as_view(), name="checkout-validate"),
]
