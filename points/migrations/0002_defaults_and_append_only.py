from decimal import Decimal

from django.db import migrations

from accounts.append_only import ProtectAppendOnly


def create_defaults(apps, schema_editor):
    apps.get_model("points", "LoyaltyProgram").objects.get_or_create(pk=1)
    EarningRule = apps.get_model("points", "EarningRule")
    if not EarningRule.objects.exists():
        EarningRule.objects.create(
            name_nl="1 punt per hele euro",
            name_en="1 point per whole euro",
            kind="base_rate",
            points_per_unit=Decimal("1.00"),
            priority=0,
        )


class Migration(migrations.Migration):
    dependencies = [("points", "0001_initial")]

    operations = [
        migrations.RunPython(create_defaults, migrations.RunPython.noop),
        ProtectAppendOnly("points_pointsentry"),
    ]
