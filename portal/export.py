"""Everything the programme holds about a member, for 'download my data' (GDPR art. 15/20).

One JSON document; docs/privacy.md describes it section by section and field by field, and
tests/privacy/test_data_download.py checks that every section it lists is here.
"""

from django.utils import timezone

from accounts.models import Member
from accounts.selectors import consent_proof_for
from campaigns.models import Delivery, MemberStats, SurveyResponse
from points.models import Activity, PointsEntry, Purchase, TierChange
from rewards.models import IssuedReward, StoreCreditEntry

FORMAT_VERSION = 2


def member_data(member: Member) -> dict:
    member = Member.objects.select_related("point_account__tier", "enrolled_store").get(
        pk=member.pk
    )
    account = getattr(member, "point_account", None)
    user = member.user
    stats = MemberStats.objects.filter(member=member).first()
    return {
        "format_version": FORMAT_VERSION,
        "generated_at": timezone.now(),
        "member": {
            # model_to_dict leaves out fields that are not editable (the card number).
            **{
                field: getattr(member, field)
                for field in (
                    "card_number",
                    "email",
                    "phone",
                    "first_name",
                    "last_name",
                    "birth_date",
                    "language",
                    "preferred_channel",
                    "status",
                    "referral_code",
                )
            },
            "enrolled_at": member.enrolled_at,
            "enrolled_store": member.enrolled_store.name if member.enrolled_store else None,
            "referred_by_card_number": (
                member.referred_by.card_number if member.referred_by else None
            ),
            "members_referred": member.referrals.count(),
            "consents": {
                "email": member.email_consent_at,
                "sms": member.sms_consent_at,
                "whatsapp": member.whatsapp_consent_at,
            },
        },
        "consent_history": consent_proof_for(member=member),
        "portal_account": {
            "username": user.username,
            "email": user.email,
            "date_joined": user.date_joined,
            "last_login": user.last_login,
            "has_password": user.has_usable_password(),
        }
        if user
        else None,
        "sign_in_links": list(
            member.login_tokens.order_by("created_at").values("created_at", "expires_at", "used_at")
        ),
        "points": {
            "balance": account.balance if account else 0,
            "tier": str(account.tier) if account and account.tier else None,
            "tier_valid_until": account.tier_valid_until if account else None,
            "tier_changes": [
                {
                    "from": str(change.from_tier) if change.from_tier else None,
                    "to": str(change.to_tier) if change.to_tier else None,
                    "why": change.reason,
                    "qualifying_points": change.qualifying_points,
                    "at": change.created_at,
                }
                for change in TierChange.objects.filter(account__member=member)
                .select_related("from_tier", "to_tier")
                .order_by("created_at")
            ],
            "ledger": list(
                PointsEntry.objects.filter(account__member=member)
                .order_by("id")
                .values(
                    "kind", "points", "balance_after", "created_at", "expires_at", "reason", "note"
                )
            ),
        },
        "purchases": [
            {
                "store": purchase.store.name,
                "transaction_id": purchase.transaction_id,
                "occurred_at": purchase.occurred_at,
                "amount": purchase.amount,
                "discounts": purchase.discount_total,
                "points_earned": purchase.points_earned,
                "refunded": purchase.refunded_amount,
                "refunds": [
                    {
                        "refund_id": refund.refund_id,
                        "amount": refund.amount,
                        "at": refund.created_at,
                    }
                    for refund in purchase.refunds.all()
                ],
                "lines": [
                    {
                        "sku": line.sku,
                        "category": line.category,
                        "quantity": line.quantity,
                        "amount": line.amount,
                    }
                    for line in purchase.lines.all()
                ],
            }
            for purchase in Purchase.objects.filter(member=member)
            .select_related("store")
            .prefetch_related("lines", "refunds")
        ],
        "activities": list(
            Activity.objects.filter(member=member).values(
                "activity_type__code", "reference", "points", "occurred_at"
            )
        ),
        "rewards": list(
            IssuedReward.objects.filter(member=member).values(
                "reward__name_nl",
                "code",
                "status",
                "source",
                "points_spent",
                "issued_at",
                "expires_at",
                "used_at",
            )
        ),
        "store_credit": list(
            StoreCreditEntry.objects.filter(account__member=member)
            .order_by("id")
            .values("kind", "amount", "balance_after", "created_at", "reason")
        ),
        "messages": [
            {
                "campaign": delivery.automation.name,
                "status": delivery.status,
                "channel": delivery.channel,
                "created_at": delivery.created_at,
                "sent_at": delivery.sent_at,
                # The text as sent, until the retention period removes it.
                "to": message.to if message else None,
                "subject": message.subject if message else None,
                "body": message.body if message else None,
            }
            for delivery in Delivery.objects.filter(member=member)
            .select_related("automation", "message")
            .order_by("created_at")
            for message in [getattr(delivery, "message", None)]
        ],
        "survey_answers": list(
            SurveyResponse.objects.filter(member=member).values(
                "recommend_score", "repurchase_score", "try_new_score", "comment", "created_at"
            )
        ),
        "figures": {
            "first_purchase_at": stats.first_purchase_at,
            "last_purchase_at": stats.last_purchase_at,
            "purchase_count": stats.purchase_count,
            "total_spend": stats.total_spend,
            "recency_score": stats.recency_score,
            "frequency_score": stats.frequency_score,
            "monetary_score": stats.monetary_score,
        }
        if stats
        else None,
        "closure_requests": list(
            member.closure_requests.order_by("requested_at").values(
                "requested_at", "reason", "handled_at"
            )
        ),
        "staff_actions": list(
            member.staff_actions.order_by("created_at").values("action", "reason", "created_at")
        ),
    }
