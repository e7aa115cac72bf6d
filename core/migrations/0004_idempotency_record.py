# Takes over the table of accounts.IdempotencyRecord (see accounts 0007): same rows, new name.
# The unique constraint and the index keep their names; they need none in core's.

import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("core", "0003_outbox_failures"),
        ("accounts", "0007_move_idempotency_record"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    "ALTER TABLE accounts_idempotencyrecord RENAME TO core_idempotencyrecord",
                    reverse_sql=(
                        "ALTER TABLE core_idempotencyrecord RENAME TO accounts_idempotencyrecord"
                    ),
                ),
            ],
            state_operations=[
                migrations.CreateModel(
                    name="IdempotencyRecord",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("client", models.CharField(max_length=64)),
                        ("key", models.CharField(max_length=255)),
                        ("scope", models.CharField(max_length=64)),
                        ("request_hash", models.CharField(max_length=64)),
                        ("response_status", models.PositiveSmallIntegerField(default=0)),
                        ("response_body", models.JSONField(default=dict)),
                        (
                            "created_at",
                            models.DateTimeField(
                                db_index=True, default=django.utils.timezone.now
                            ),
                        ),
                    ],
                    options={
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("client", "key"),
                                name="idempotency_key_unique_per_client",
                            )
                        ],
                    },
                ),
            ],
        ),
    ]
