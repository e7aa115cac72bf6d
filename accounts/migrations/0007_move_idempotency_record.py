# IdempotencyRecord moves to core (with the API base view and replay_or_run that use it).
# Only the model state leaves accounts here; core 0003 takes the table over and renames it.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0006_move_database_identity"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="IdempotencyRecord")],
            database_operations=[],
        ),
    ]
