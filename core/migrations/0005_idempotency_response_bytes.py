# Replays return the bytes first sent: the record keeps them (and the headers) instead of a
# JSON value. Existing records keep their answer, written out as compact JSON.

import json

from django.db import migrations, models


def body_to_bytes(apps, schema_editor):
    IdempotencyRecord = apps.get_model("core", "IdempotencyRecord")
    for record in IdempotencyRecord.objects.exclude(response_body={}).iterator():
        record.response_content = json.dumps(record.response_body, separators=(",", ":")).encode()
        record.response_headers = {"Content-Type": "application/json"}
        record.save(update_fields=["response_content", "response_headers"])


class Migration(migrations.Migration):

    dependencies = [
        ("core", "0004_idempotency_record"),
    ]

    operations = [
        migrations.AddField(
            model_name="idempotencyrecord",
            name="response_content",
            field=models.BinaryField(default=b""),
        ),
        migrations.AddField(
            model_name="idempotencyrecord",
            name="response_headers",
            field=models.JSONField(default=dict),
        ),
        migrations.RunPython(body_to_bytes, migrations.RunPython.noop),
        migrations.RemoveField(
            model_name="idempotencyrecord",
            name="response_body",
        ),
    ]
