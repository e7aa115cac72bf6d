from django.core.management.base import BaseCommand, CommandError

from accounts.models import Store
from accounts.services import store_create
from core.errors import ApplicationError


class Command(BaseCommand):
    help = 'Creates a store: create_store CODE "NAME" [--channel offline|online]'

    def add_arguments(self, parser) -> None:
        parser.add_argument("code")
        parser.add_argument("name")
        parser.add_argument(
            "--channel", choices=Store.Channel.values, default=Store.Channel.OFFLINE
        )

    def handle(self, *args, code: str, name: str, channel: str, **options) -> None:
        if Store.objects.filter(code=code).exists():
            raise CommandError(f"A store with code {code!r} already exists.")
        try:
            store = store_create(code=code, name=name, channel=channel)
        except ApplicationError as error:
            raise CommandError(str(error.message)) from error
        self.stdout.write(f"Created store {store.code} ({store.get_channel_display()}).")
