# Takes over the KPI summary tables of the campaigns app (see campaigns 0006): same rows, new
# names. The content types move too, so the permission "view_kpis" keeps its row, and the
# groups and users who hold it keep the KPI dashboard (now insights.view_kpis).

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models

MODELS = ["kpirefresh", "dailycount", "activityspell", "membermilestone", "rfmcell"]


def _rename_tables(old_app, new_app):
    return [
        migrations.RunSQL(
            f"ALTER TABLE {old_app}_{model} RENAME TO {new_app}_{model}",
            reverse_sql=f"ALTER TABLE {new_app}_{model} RENAME TO {old_app}_{model}",
        )
        for model in MODELS
    ]


def _move_content_types(old_app, new_app):
    def move(apps, schema_editor):
        ContentType = apps.get_model("contenttypes", "ContentType")
        for model in MODELS:
            # A database where both exist (the new one made by an earlier partial run) keeps
            # the new one; the old one is left for `remove_stale_contenttypes`.
            if not ContentType.objects.filter(app_label=new_app, model=model).exists():
                ContentType.objects.filter(app_label=old_app, model=model).update(
                    app_label=new_app
                )

    return move


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("accounts", "0003_referral_and_channel"),
        ("campaigns", "0006_move_kpi_summaries"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=_rename_tables("campaigns", "insights"),
            state_operations=[
                migrations.CreateModel(
                    name="KpiRefresh",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("started_at", models.DateTimeField(default=django.utils.timezone.now, verbose_name="started at")),
                        ("finished_at", models.DateTimeField(blank=True, null=True, verbose_name="finished at")),
                        ("dormant_after_days", models.PositiveSmallIntegerField(verbose_name="dormant after (days)")),
                        ("members", models.PositiveIntegerField(default=0, verbose_name="members")),
                        ("seconds", models.FloatField(default=0, verbose_name="duration (s)")),
                    ],
                    options={
                        "verbose_name": "KPI dashboard",
                        "verbose_name_plural": "KPI dashboard",
                        "ordering": ["-started_at"],
                        "default_permissions": (),
                        "permissions": [("view_kpis", "Can see the KPI dashboard and export its figures")],
                    },
                ),
                migrations.CreateModel(
                    name="RfmCell",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("recency_score", models.PositiveSmallIntegerField()),
                        ("frequency_score", models.PositiveSmallIntegerField()),
                        ("members", models.PositiveIntegerField()),
                        ("monetary_score_total", models.PositiveIntegerField()),
                        ("store", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name="+", to="accounts.store")),
                    ],
                ),
                migrations.CreateModel(
                    name="ActivitySpell",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("started_on", models.DateField()),
                        ("last_purchase_on", models.DateField()),
                        ("dormant_on", models.DateField(db_index=True)),
                        ("purchases", models.PositiveIntegerField()),
                        ("member", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+", to="accounts.member")),
                        ("store", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name="+", to="accounts.store")),
                    ],
                    options={
                        "indexes": [models.Index(fields=["started_on"], name="activity_spell_started")],
                    },
                ),
                migrations.CreateModel(
                    name="DailyCount",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("day", models.DateField(db_index=True)),
                        ("key", models.CharField(max_length=40)),
                        ("value", models.BigIntegerField()),
                        ("store", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name="+", to="accounts.store")),
                    ],
                    options={
                        "indexes": [models.Index(fields=["key", "day"], name="daily_count_key_day")],
                    },
                ),
                migrations.CreateModel(
                    name="MemberMilestone",
                    fields=[
                        ("member", models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name="+", serialize=False, to="accounts.member")),
                        ("enrolled_on", models.DateField()),
                        ("first_purchase_on", models.DateField(blank=True, null=True)),
                        ("returning_on", models.DateField(blank=True, null=True)),
                        ("loyal_on", models.DateField(blank=True, null=True)),
                        ("ambassador_on", models.DateField(blank=True, null=True)),
                        ("upsell_on", models.DateField(blank=True, null=True)),
                        ("store", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name="+", to="accounts.store")),
                    ],
                    options={
                        "indexes": [
                            models.Index(fields=["enrolled_on"], name="milestone_enrolled"),
                            models.Index(fields=["returning_on"], name="milestone_returning"),
                            models.Index(fields=["loyal_on"], name="milestone_loyal"),
                            models.Index(fields=["ambassador_on"], name="milestone_ambassador"),
                        ],
                    },
                ),
            ],
        ),
        migrations.RunPython(
            _move_content_types("campaigns", "insights"),
            _move_content_types("insights", "campaigns"),
        ),
    ]
