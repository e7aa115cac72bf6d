# Erasing a member blanks their messages' address, subject and text: the append-only trigger
# lets exactly that update through, and still refuses every other.

from django.db import migrations

from accounts.append_only import ProtectAppendOnly


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0008_field_labels"),
    ]

    operations = [
        ProtectAppendOnly("campaigns_outboundmessage", erasable=["to", "subject", "body"]),
    ]
