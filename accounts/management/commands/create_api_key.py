from django.core.management.base import BaseCommand, CommandError

from accounts.models import TILL_SCOPES, ApiScope, Store
from accounts.services import api_key_create
from core.errors import ApplicationError


class Command(BaseCommand):
    help = (
        "Creates a POS API key for a store and prints it once; the key is alone on the last line."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("store_code")
        parser.add_argument("--name", default="Till", help="What the key is for, e.g. 'Till 3'.")
        parser.add_argument(
            "--scopes",
            nargs="+",
            metavar="SCOPE",
            help=(
                "What the key may do (space- or comma-separated). Known: "
                + ", ".join(ApiScope.values)
                + ". Default, what a till needs: "
                + ", ".join(TILL_SCOPES)
                + "."
            ),
        )

    def handle(self, *args, store_code: str, name: str, scopes, **options) -> None:
        store = Store.objects.filter(code=store_code).first()
        if store is None:
            raise CommandError(f"No store with code {store_code!r}.")
        if not store.is_active:
            raise CommandError(f"Store {store_code!r} is not active.")
        wanted = (
            TILL_SCOPES
            if scopes is None
            else [part for value in scopes for part in value.split(",") if part.strip()]
        )
        try:
            new_key = api_key_create(store=store, name=name, scopes=[s.strip() for s in wanted])
        except ApplicationError as error:
            raise CommandError(str(error.message)) from error
        self.stdout.write(
            f"API key {new_key.api_key.prefix}… for {store.code} "
            f"({', '.join(new_key.api_key.scopes) or 'no scopes'}). It is shown only now; "
            "store it in the till's configuration:"
        )
        self.stdout.write(new_key.raw_key)
