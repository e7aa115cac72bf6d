from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.models import Erasure, Member
from accounts.services import member_erase
from core.errors import ApplicationError


class Command(BaseCommand):
    help = (
        "Erases a member's personal data everywhere (GDPR art. 17); the ledger, purchases and "
        "codes stay as anonymous bookkeeping. Audited; running it again changes nothing."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("card_number")
        parser.add_argument("--reason", required=True, help="Why, for the audit trail.")
        parser.add_argument(
            "--by", default="", help="User name of the staff member who asked (for the audit)."
        )

    def handle(self, *args, card_number: str, reason: str, by: str, **options) -> None:
        member = Member.objects.filter(card_number=card_number.strip()).first()
        if member is None:
            raise CommandError(f"No member with card number {card_number!r}.")
        actor = None
        if by:
            actor = get_user_model().objects.filter(username=by, is_staff=True).first()
            if actor is None:
                raise CommandError(f"No staff user {by!r}.")
        already = Erasure.objects.filter(member=member).first()
        try:
            with transaction.atomic(durable=True):
                erasure = member_erase(
                    member=member, actor=actor, reason=reason, via=Erasure.Via.COMMAND
                )
        except ApplicationError as error:
            raise CommandError(str(error.message)) from error
        if already is not None:
            self.stdout.write(
                f"Member {card_number} was already erased on {erasure.erased_at:%Y-%m-%d}; "
                "nothing left to erase."
            )
        else:
            self.stdout.write(f"Member {card_number} erased.")
