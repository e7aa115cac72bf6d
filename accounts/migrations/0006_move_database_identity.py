# DatabaseIdentity moves to core (the shared kernel, with the configuration cache that reads it).
# Only the model state leaves accounts here; core 0002 takes the table over and renames it.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0005_database_identity"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="DatabaseIdentity")],
            database_operations=[],
        ),
    ]
