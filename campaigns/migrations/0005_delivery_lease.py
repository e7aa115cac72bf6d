# Sending moves onto the transactional outbox (core.outbox): a lease instead of a claim time,
# the provider's reference on the delivery, and a job for every delivery left unfinished by the
# old after-commit tasks (a broker outage or a killed worker could strand them for good).

import django.utils.timezone
from django.db import migrations, models

from accounts.append_only import ProtectAppendOnly

UNFINISHED = ("pending", "sending")
# A failed delivery was either given up ("gave up: …", visible; staff resend it) or waiting for
# a Celery retry of `campaigns.delivery_send`, a task the new workers no longer know.
GAVE_UP = "gave up:"


def copy_provider_references(apps, schema_editor):
    """One set-based UPDATE (a large message table would take long row by row)."""
    schema_editor.execute(
        "UPDATE campaigns_delivery SET provider_reference = ("
        " SELECT m.provider_reference FROM campaigns_outboundmessage m"
        " WHERE m.delivery_id = campaigns_delivery.id)"
        " WHERE id IN (SELECT delivery_id FROM campaigns_outboundmessage"
        " WHERE provider_reference <> '')"
    )


def queue_unfinished_deliveries(apps, schema_editor):
    """One outbox job per delivery that never finished; the handler fulfils and sends it."""
    Delivery = apps.get_model("campaigns", "Delivery")
    OutboxJob = apps.get_model("core", "OutboxJob")
    ids = Delivery.objects.filter(
        models.Q(status__in=UNFINISHED)
        | (models.Q(status="failed") & ~models.Q(last_error__startswith=GAVE_UP))
    ).values_list("pk", flat=True)
    batch = []
    for delivery_id in ids.iterator():
        batch.append(
            OutboxJob(
                kind="campaigns.delivery",
                dedup_key=f"delivery:{delivery_id}:upgrade",
                payload={"delivery": delivery_id},
            )
        )
        if len(batch) == 1000:
            OutboxJob.objects.bulk_create(batch, ignore_conflicts=True)
            batch = []
    OutboxJob.objects.bulk_create(batch, ignore_conflicts=True)


class Migration(migrations.Migration):

    dependencies = [
        ("campaigns", "0004_kpi_summaries"),
        ("core", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="delivery",
            name="lease_until",
            field=models.DateTimeField(blank=True, null=True, verbose_name="sending until"),
        ),
        migrations.AddField(
            model_name="delivery",
            name="provider_reference",
            field=models.CharField(blank=True, max_length=200, verbose_name="provider reference"),
        ),
        migrations.RunPython(copy_provider_references, migrations.RunPython.noop),
        migrations.RemoveField(
            model_name="delivery",
            name="claimed_at",
        ),
        migrations.RemoveField(
            model_name="outboundmessage",
            name="provider_reference",
        ),
        migrations.AlterField(
            model_name="outboundmessage",
            name="sent_at",
            field=models.DateTimeField(
                default=django.utils.timezone.now, verbose_name="recorded at"
            ),
        ),
        # SQLite rebuilds the table to drop a column, and its trigger with it.
        ProtectAppendOnly("campaigns_outboundmessage"),
        migrations.RunPython(queue_unfinished_deliveries, migrations.RunPython.noop),
    ]
