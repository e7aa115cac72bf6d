"""`manage.py create_webhook URL --events a,b`: adds a webhook endpoint; prints its secret last."""

from django.core.management.base import BaseCommand, CommandError

from core import webhooks
from core.errors import InvalidInput


class Command(BaseCommand):
    help = (
        "Adds a webhook endpoint that receives the given events (all when --events is left "
        "out) and prints its signing secret on the last line. Events: " + ", ".join(webhooks.EVENTS)
    )

    def add_arguments(self, parser):
        parser.add_argument("url", help="http(s) address that receives the POSTs")
        parser.add_argument("--events", default="", help="comma-separated event names")
        parser.add_argument("--inactive", action="store_true", help="add it switched off")

    def handle(self, *args, url, events, inactive=False, **options):
        try:
            endpoint = webhooks.endpoint_create(url=url, events=events, active=not inactive)
        except InvalidInput as error:
            raise CommandError(str(error.message)) from error
        self.stdout.write(
            f"Endpoint {endpoint.pk}: {endpoint.url} "
            f"({', '.join(endpoint.events) or 'every event'})"
        )
        self.stdout.write(endpoint.secret)
