"""The SMS and WhatsApp provider's callback for replies: STOP withdraws consent."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from core.api import ApiView
from core.errors import Forbidden

from .. import unsubscribe


class InboundMessageInput(serializers.Serializer):
    channel = serializers.ChoiceField(choices=["sms", "whatsapp"])
    sender = serializers.CharField(max_length=32)
    text = serializers.CharField(max_length=1600, allow_blank=True)


class InboundMessageOutput(serializers.Serializer):
    withdrawn = serializers.BooleanField()


class InboundMessageApi(ApiView):
    """A reply from a member, signed by the provider with the shared secret (no API key)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    # A provider's callback, not part of the tills' API: left out of the POS schema (and its
    # contract test and fuzzing); docs/privacy.md documents it.
    @extend_schema(exclude=True)
    def post(self, request):
        if not unsubscribe.inbound_signature_valid(
            body=request.body, signature=request.headers.get("X-Loyalty-Signature", "")
        ):
            raise Forbidden(
                _("The signature of this callback is missing or wrong."),
                code="invalid_signature",
                field="X-Loyalty-Signature",
            )
        data = self.parse(InboundMessageInput)
        withdrawn = unsubscribe.consent_withdraw_by_reply(
            channel=data["channel"], sender=data["sender"], text=data["text"]
        )
        return Response(InboundMessageOutput({"withdrawn": withdrawn}).data)
