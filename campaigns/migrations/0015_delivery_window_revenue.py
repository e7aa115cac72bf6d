"""Each delivery keeps what the member spent in its offer window (#19), filled in here for the
deliveries that converted already; from now on campaigns.services.conversions keeps it."""

from decimal import Decimal

from django.db import migrations, models
from django.db.models import DecimalField, F, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce


def backfill(apps, schema_editor):
    """One set-based UPDATE: the converted deliveries get the sum of the member's purchases
    (after refunds) from the conversion to the end of the offer window."""
    Delivery = apps.get_model("campaigns", "Delivery")
    Purchase = apps.get_model("points", "Purchase")
    money = DecimalField(max_digits=12, decimal_places=2)
    spent = (
        Purchase.objects.filter(
            member_id=OuterRef("member_id"),
            occurred_at__gte=OuterRef("converted_at"),
            occurred_at__lte=OuterRef("offer_expires_at"),
        )
        .order_by()
        .values("member_id")
        .annotate(total=Sum(F("amount") - F("refunded_amount"), output_field=money))
        .values("total")
    )
    Delivery.objects.filter(converted_at__isnull=False).update(
        window_revenue=Coalesce(Subquery(spent, output_field=money), Value(Decimal("0")))
    )


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0014_satisfaction_attitude_escalation"),
        ("points", "0016_loyaltyprogram_satisfaction_interval_days"),
    ]

    operations = [
        migrations.AddField(
            model_name="delivery",
            name="window_revenue",
            field=models.DecimalField(
                db_default=Decimal("0"),
                decimal_places=2,
                default=Decimal("0"),
                max_digits=12,
                verbose_name="revenue in the offer window",
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True),
    ]
