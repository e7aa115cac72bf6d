from django.db import migrations

from accounts.append_only import ProtectAppendOnly


def install(apps, schema_editor):
    from loyalty_site.periodic import install_periodic_tasks

    install_periodic_tasks(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.RunPython(install, migrations.RunPython.noop),
        ProtectAppendOnly("campaigns_outboundmessage"),
    ]
