"""Personal data in campaigns: the messages sent to a member (address and text), their survey
comments, and send errors that may quote an address (see core.personal_data)."""

from core.personal_data import Subject, not_personal, register, scrub_rows

from .models import (
    Delivery,
    OutboundMessage,
    SatisfactionInvitation,
    SatisfactionResponse,
    SurveyResponse,
)


def _erase_messages(subject: Subject) -> None:
    # Append-only: the one update its trigger allows. The delivery (what was sent when, and
    # whether it converted) stays for the campaign's figures.
    OutboundMessage.objects.filter(delivery__member_id=subject.member_id).erase_personal(
        to="", subject="", body=""
    )


def _erase_survey_comments(subject: Subject) -> None:
    # The scores stay for the NPS figures, no longer tied to words that could identify.
    SurveyResponse.objects.filter(member_id=subject.member_id).exclude(comment="").update(
        comment=""
    )


def _erase_satisfaction_comments(subject: Subject) -> None:
    # The scores stay for the CSAT, no longer tied to words that could identify.
    SatisfactionResponse.objects.filter(member_id=subject.member_id).exclude(comment="").update(
        comment=""
    )


def _erase_satisfaction_send_errors(subject: Subject) -> None:
    invitations = SatisfactionInvitation.objects.filter(member_id=subject.member_id).exclude(
        last_error=""
    )
    scrub_rows(invitations, ["last_error"], subject)


def _erase_send_errors(subject: Subject) -> None:
    deliveries = Delivery.objects.filter(member_id=subject.member_id).exclude(last_error="")
    scrub_rows(deliveries, ["last_error"], subject)


register("campaigns.OutboundMessage", ["to", "subject", "body"], _erase_messages)
register("campaigns.SurveyResponse", ["comment"], _erase_survey_comments)
register("campaigns.Delivery", ["last_error"], _erase_send_errors)
register("campaigns.SatisfactionResponse", ["comment"], _erase_satisfaction_comments)
register("campaigns.SatisfactionInvitation", ["last_error"], _erase_satisfaction_send_errors)

_TEXT = "text staff write for a campaign, the same for every member"
not_personal(
    "campaigns.Automation",
    name=_TEXT,
    message_subject_nl=_TEXT,
    message_subject_en=_TEXT,
    message_body_nl=_TEXT,
    message_body_en=_TEXT,
    message_sms_nl=_TEXT,
    message_sms_en=_TEXT,
    message_whatsapp_nl=_TEXT,
    message_whatsapp_en=_TEXT,
)
not_personal("campaigns.Segment", name=_TEXT, description=_TEXT)
not_personal("campaigns.AutomationArm", name="the variant's name, written by marketing")
not_personal("campaigns.BonusCampaign", name_nl=_TEXT, name_en=_TEXT)
not_personal("campaigns.Delivery", skip_reason="a code: why a delivery was skipped")
not_personal("campaigns.EscalationSend", skip_reason="a code: why an escalation step was skipped")
