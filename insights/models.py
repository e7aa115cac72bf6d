"""KPI summaries.

Rebuilt set-based by `services.kpi_summaries_refresh()` (nightly, and `manage.py refresh_kpis`),
so the dashboard reads a few thousand pre-aggregated rows instead of millions of purchases and
ledger entries. Days are the programme's local calendar days. See docs/kpis.md.
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Member, Store


class KpiRefresh(models.Model):
    """One rebuild of the KPI summaries; the latest tells the dashboard how fresh they are.

    Also carries the permission to see the KPI dashboard.
    """

    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    dormant_after_days = models.PositiveSmallIntegerField(_("dormant after (days)"))
    members = models.PositiveIntegerField(_("members"), default=0)
    seconds = models.FloatField(_("duration (s)"), default=0)

    class Meta:
        verbose_name = _("KPI dashboard")
        verbose_name_plural = _("KPI dashboard")
        ordering = ["-started_at"]
        default_permissions = ()  # a record of rebuilds, never edited
        permissions = [("view_kpis", _("Can see the KPI dashboard and export its figures"))]


class DailyCount(models.Model):
    """How a figure changed on one day for the members of one (home) store.

    Member states are deltas: +1 when a member enters a state (a tier, a ladder stage, active),
    -1 when they leave it, so the count on day d is the sum of all deltas up to d. Points are the
    day's movements by kind (`points:<kind>:+` / `points:<kind>:-`), whose running sum is the
    outstanding balance.
    """

    day = models.DateField(db_index=True)
    # NULL: members enrolled without a store (by staff).
    store = models.ForeignKey(
        Store, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    key = models.CharField(max_length=40)
    value = models.BigIntegerField()

    class Meta:
        indexes = [models.Index(fields=["key", "day"], name="daily_count_key_day")]


class ActivitySpell(models.Model):
    """A run of purchases by one member with no gap longer than the dormant threshold.

    The member is active from the first purchase day until `dormant_on` (last purchase day +
    threshold), when they cross the dormant threshold unless a later spell starts.
    """

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+")
    store = models.ForeignKey(
        Store, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    started_on = models.DateField()
    last_purchase_on = models.DateField()
    dormant_on = models.DateField(db_index=True)
    purchases = models.PositiveIntegerField()

    class Meta:
        indexes = [models.Index(fields=["started_on"], name="activity_spell_started")]


class MemberMilestone(models.Model):
    """The days a member reached each rung of the loyalty ladder, and first bought something new."""

    member = models.OneToOneField(
        Member, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    store = models.ForeignKey(
        Store, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    enrolled_on = models.DateField()
    first_purchase_on = models.DateField(null=True, blank=True)
    returning_on = models.DateField(null=True, blank=True)  # the 2nd purchase
    loyal_on = models.DateField(null=True, blank=True)  # the 5th purchase
    ambassador_on = models.DateField(null=True, blank=True)  # the first referred member enrolled
    upsell_on = models.DateField(null=True, blank=True)  # a category new to them, after the 1st

    class Meta:
        indexes = [
            models.Index(fields=["enrolled_on"], name="milestone_enrolled"),
            models.Index(fields=["returning_on"], name="milestone_returning"),
            models.Index(fields=["loyal_on"], name="milestone_loyal"),
            models.Index(fields=["ambassador_on"], name="milestone_ambassador"),
        ]


class RfmCell(models.Model):
    """Members per recency × frequency score (and their monetary scores), per home store."""

    store = models.ForeignKey(
        Store, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    recency_score = models.PositiveSmallIntegerField()
    frequency_score = models.PositiveSmallIntegerField()
    members = models.PositiveIntegerField()
    monetary_score_total = models.PositiveIntegerField()
