from django.urls import path

from .inbound import InboundMessageApi

app_name = "accounts"

urlpatterns = [
    path("inbound/messages/", InboundMessageApi.as_view(), name="inbound-message"),
]
