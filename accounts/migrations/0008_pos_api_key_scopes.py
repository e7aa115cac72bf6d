# Keys get scopes (#13). Keys that exist keep everything they could do, except reading other
# members' codes in full, which no key should have had without asking: staff give `codes:read`
# to the keys that need it.

from django.db import migrations, models

# Frozen here: every scope at the time of this migration, less codes:read.
EXISTING_KEY_SCOPES = [
    "members:read",
    "members:enrol",
    "purchases:write",
    "refunds:write",
    "activities:write",
    "rewards:redeem",
    "codes:validate",
]


def give_existing_keys_their_scopes(apps, schema_editor):
    PosApiKey = apps.get_model("accounts", "PosApiKey")
    PosApiKey.objects.update(scopes=EXISTING_KEY_SCOPES)


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0007_move_idempotency_record"),
    ]

    operations = [
        migrations.AddField(
            model_name="posapikey",
            name="scopes",
            field=models.JSONField(blank=True, default=list, verbose_name="scopes"),
        ),
        migrations.RunPython(give_existing_keys_their_scopes, migrations.RunPython.noop),
    ]
