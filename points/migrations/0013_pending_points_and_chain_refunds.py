# Pending points (#18): return windows per channel, pending points in the ledger and the
# accounts; refunds at any store of the chain record the refunding store (existing refunds were
# all recorded by the purchase's own store).

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.models import OuterRef, Subquery

from accounts.append_only import ProtectAppendOnly


def refunds_by_their_purchase_store(apps, schema_editor):
    Refund = apps.get_model("points", "Refund")
    Purchase = apps.get_model("points", "Purchase")
    Refund.objects.filter(store__isnull=True).update(
        store_id=Subquery(Purchase.objects.filter(pk=OuterRef("purchase_id")).values("store_id"))
    )


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0015_consent_sources'),
        ('points', '0012_margin_percent'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='pointsentry',
            name='points_entry_not_zero',
        ),
        migrations.RemoveConstraint(
            model_name='refund',
            name='refund_id_unique_per_purchase',
        ),
        migrations.AddField(
            model_name='loyaltyprogram',
            name='return_window_days_offline',
            field=models.PositiveSmallIntegerField(default=0, help_text='Points earned in a shop stay pending for this many days: shown, but not spendable until the return period is over. 0 = spendable at once.', verbose_name='return window in shops (days)'),
        ),
        migrations.AddField(
            model_name='loyaltyprogram',
            name='return_window_days_online',
            field=models.PositiveSmallIntegerField(default=0, help_text='Points earned online stay pending for this many days (e.g. 14, the legal withdrawal period). 0 = spendable at once.', verbose_name='return window online (days)'),
        ),
        migrations.AddField(
            model_name='loyaltyprogram',
            name='tiers_count_pending_points',
            field=models.BooleanField(default=False, help_text='On: pending points count towards tiers at once (and stop counting if the purchase is returned). Off: they count once released.', verbose_name='tiers count pending points'),
        ),
        migrations.AddField(
            model_name='pointaccount',
            name='pending_balance',
            field=models.BigIntegerField(default=0, verbose_name='pending points'),
        ),
        migrations.AddField(
            model_name='pointsentry',
            name='pending_points',
            field=models.BigIntegerField(default=0, verbose_name='pending points'),
        ),
        migrations.AddField(
            model_name='pointsentry',
            name='pending_until',
            field=models.DateTimeField(blank=True, help_text='When the return window of these pending points ends.', null=True, verbose_name='pending until'),
        ),
        migrations.AddField(
            model_name='refund',
            name='store',
            field=models.ForeignKey(db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='refunds', to='accounts.store', verbose_name='refunding store'),
        ),
        migrations.RunPython(refunds_by_their_purchase_store, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='refund',
            name='store',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='refunds', to='accounts.store', verbose_name='refunding store'),
        ),
        migrations.AlterField(
            model_name='pointsentry',
            name='kind',
            field=models.CharField(choices=[('earn', 'Purchase'), ('activity', 'Activity'), ('bonus', 'Bonus'), ('adjustment', 'Staff correction'), ('refund_reversal', 'Refund'), ('redemption', 'Reward redeemed'), ('redemption_reversal', 'Redemption undone'), ('expiry', 'Points expired'), ('opening', 'Opening balance'), ('release', 'Pending points released'), ('pending_cancel', 'Pending points cancelled (returned)')], max_length=24, verbose_name='kind'),
        ),
        migrations.AddIndex(
            model_name='pointsentry',
            index=models.Index(condition=models.Q(('pending_until__isnull', False)), fields=['pending_until'], name='points_entry_pending_due'),
        ),
        migrations.AddConstraint(
            model_name='pointaccount',
            constraint=models.CheckConstraint(condition=models.Q(('pending_balance__gte', 0)), name='pending_points_never_negative'),
        ),
        migrations.AddConstraint(
            model_name='pointsentry',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('points', 0), _negated=True), models.Q(('pending_points', 0), _negated=True), _connector='OR'), name='points_entry_not_zero'),
        ),
        migrations.AddConstraint(
            model_name='pointsentry',
            constraint=models.UniqueConstraint(condition=models.Q(('kind', 'release')), fields=('corrects',), name='pending_points_released_once'),
        ),
        migrations.AddConstraint(
            model_name='pointsentry',
            constraint=models.CheckConstraint(condition=models.Q(('pending_points__lte', 0), ('pending_until__isnull', False), _connector='OR'), name='pending_points_have_a_release_date'),
        ),
        migrations.AddConstraint(
            model_name='refund',
            constraint=models.UniqueConstraint(fields=('purchase', 'store', 'refund_id'), name='refund_id_unique_per_store'),
        ),
        # SQLite rebuilt the ledger table above, dropping its trigger: install it again.
        ProtectAppendOnly("points_pointsentry"),
    ]
