# The KPI summaries move to the insights app. Only the model state leaves campaigns here;
# insights 0001 takes the tables over (same rows, new names) and their content types.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("campaigns", "0005_delivery_lease"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="KpiRefresh"),
                migrations.DeleteModel(name="DailyCount"),
                migrations.DeleteModel(name="ActivitySpell"),
                migrations.DeleteModel(name="MemberMilestone"),
                migrations.DeleteModel(name="RfmCell"),
            ],
            database_operations=[],
        ),
    ]
