# Takes over the table of accounts.DatabaseIdentity (see accounts 0006): same rows, new name.

import uuid

import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("core", "0001_initial"),
        ("accounts", "0006_move_database_identity"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    "ALTER TABLE accounts_databaseidentity RENAME TO core_databaseidentity",
                    reverse_sql="ALTER TABLE core_databaseidentity RENAME TO accounts_databaseidentity",
                ),
            ],
            state_operations=[
                migrations.CreateModel(
                    name="DatabaseIdentity",
                    fields=[
                        (
                            "id",
                            models.PositiveSmallIntegerField(
                                default=1, primary_key=True, serialize=False
                            ),
                        ),
                        ("uuid", models.UUIDField(default=uuid.uuid4, editable=False)),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                    ],
                    options={
                        "verbose_name": "database identity",
                        "constraints": [
                            models.CheckConstraint(
                                condition=models.Q(("id", 1)), name="database_identity_one_row"
                            )
                        ],
                    },
                ),
            ],
        ),
    ]
