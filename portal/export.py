"""Everything the programme holds about a member, for 'download my data' (GDPR art. 15/20)."""

from accounts.models import Member
from accounts.selectors import consent_proof_for
from campaigns.models import Delivery, SurveyResponse
from points.models import Activity, PointsEntry, Purchase
from rewards.models import IssuedReward, StoreCreditEntry


def member_data(member: Member) -> dict:
    member = Member.objects.select_related("point_account__tier", "enrolled_store").get(
        pk=member.pk
    )
    account = getattr(member, "point_account", None)
    return {
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
            "consents": {
                "email": member.email_consent_at,
                "sms": member.sms_consent_at,
                "whatsapp": member.whatsapp_consent_at,
            },
        },
        "consent_history": consent_proof_for(member=member),
        "points": {
            "balance": account.balance if account else 0,
            "tier": str(account.tier) if account and account.tier else None,
            "tier_valid_until": account.tier_valid_until if account else None,
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
            .prefetch_related("lines")
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
        "messages": list(
            Delivery.objects.filter(member=member).values(
                "automation__name", "status", "channel", "created_at", "sent_at"
            )
        ),
        "survey_answers": list(
            SurveyResponse.objects.filter(member=member).values(
                "recommend_score", "repurchase_score", "try_new_score", "comment", "created_at"
            )
        ),
    }
