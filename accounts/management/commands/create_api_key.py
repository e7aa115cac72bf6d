from django.core.management.base import BaseCommand, CommandError

from accounts.models import Store
from accounts.services import api_key_create


class Command(BaseCommand):
    help = (
        "Creates a POS API key for a store and prints it once; the key is alone on the last line."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("store_code")
        parser.add_argument("--name", default="Till", help="What the key is for, e.g. 'Till 3'.")

    def handle(self, *args, store_code: str, name: str, **options) -> None:
        store = Store.objects.filter(code=store_code).first()
        if store is None:
            raise CommandError(f"No store with code {store_code!r}.")
        if not store.is_active:
            raise CommandError(f"Store {store_code!r} is not active.")
        new_key = api_key_create(store=store, name=name)
        self.stdout.write(
            f"API key {new_key.api_key.prefix}… for {store.code}. It is shown only now; "
            "store it in the till's configuration:"
        )
        self.stdout.write(new_key.raw_key)
