from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.cards import normalise_card_number
from accounts.models import Member
from campaigns.services.merge import member_merge
from core.errors import ApplicationError
from core.money import money_str
from points.selectors import member_get_by_card


class Command(BaseCommand):
    help = (
        "Merges the member of DUPLICATE_CARD into the member of SURVIVOR_CARD: points, store "
        "credit, codes, purchases, messages, survey answers, referrals and consents move; the "
        "duplicate's card keeps finding the survivor at the till. Audited; cannot be undone."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("duplicate_card")
        parser.add_argument("survivor_card")
        parser.add_argument("--reason", required=True, help="Why, for the audit trail.")
        parser.add_argument(
            "--by",
            required=True,
            help="User name of the staff member who asked (the audit trail records them).",
        )

    def handle(self, *args, duplicate_card, survivor_card, reason, by, **options) -> None:
        actor = get_user_model().objects.filter(username=by, is_staff=True).first()
        if actor is None:
            raise CommandError(f"No staff user {by!r}.")
        try:
            # The duplicate by its own number, even when merged (the check then says so);
            # a legacy card kept on import finds its member like at the till.
            duplicate = Member.objects.filter(
                card_number=normalise_card_number(duplicate_card)
            ).first() or member_get_by_card(duplicate_card, field="duplicate_card")
            survivor = member_get_by_card(survivor_card, field="survivor_card")
            with transaction.atomic(durable=True):
                result = member_merge(
                    duplicate=duplicate, survivor=survivor, reason=reason, actor=actor
                )
        except ApplicationError as error:
            raise CommandError(
                f"{error.field or 'error'}: {error.message} ({error.code})"
            ) from error
        self.stdout.write(
            f"Merged {result.duplicate.card_number} into {result.survivor.card_number}: "
            f"{result.points} points, {money_str(result.store_credit)} store credit, "
            f"{result.counts['codes']} codes, {result.counts['purchases']} purchases, "
            f"{result.counts['deliveries']} messages moved."
        )
