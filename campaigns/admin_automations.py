"""The automation's admin page: its form, the message preview, the test send and the dry run.

Apart from campaigns/admin.py because it is most of it: the page a marketer works on.
"""

from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.forms.models import BaseInlineFormSet
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from core.errors import ApplicationError
from core.money import money_display
from rewards.models import Reward

from . import messaging, services, templating
from .admin_budgets import budget_spent_display
from .forms import ArmFormSet, AutomationForm
from .models import Automation, AutomationArm, EscalationStep, Trigger
from .services.forecasts import REDEMPTION_MIN_CODES


def _pricing_note(automation: Automation, result: services.DryRun) -> str:
    """How the dry run priced the rewards, in words for the marketer."""
    reward = automation.reward
    notes = {
        "none": _("No reward is given, or nobody would get it."),
        "unpriced": _(
            "A free product of any price is not priced: set the reward's value (the most the "
            "product may cost) to include it."
        ),
    }
    if reward is None or result.pricing in notes:
        note = notes.get(result.pricing, notes["none"])
    elif result.pricing == "percentage":
        note = _(
            "A code for %(value)s off priced from each member's usual basket: their average "
            "purchase, at least the code's minimum spend (%(minimum)s)."
        ) % {
            "value": templating.reward_value(reward),
            "minimum": money_display(reward.minimum_spend),
        }
        if result.without_history:
            note += " " + _(
                "%(count)s members who never bought are priced at the average purchase of the "
                "last 365 days, %(average)s."
            ) % {
                "count": number_format(result.without_history, 0, force_grouping=True),
                "average": money_display(result.average_basket),
            }
    elif result.pricing == "free_product":
        note = _("A free product priced at the most it may cost, %(value)s each.") % {
            "value": money_display(reward.value)
        }
    else:
        note = _("Each reward priced at its value, %(value)s.") % {
            "value": money_display(reward.value)
        }
    return " ".join(
        str(text)
        for text in (
            note,
            _("Bonus points at their value in the programme settings."),
            _redemption_note(result),
        )
    )


def _redemption_note(result: services.DryRun) -> str:
    """How many of the codes are expected to be used, and from what history."""
    redemption = result.redemption
    if redemption is None:
        return str(_("Store credit is always used: its cost is its value."))
    if redemption.percent is None:
        return str(
            _(
                "No history of similar codes yet (fewer than %(minimum)s used or expired in the "
                "last 365 days): every code is assumed to be used."
            )
            % {"minimum": REDEMPTION_MIN_CODES}
        )
    whose = (
        _("this reward's codes given by automations")
        if redemption.source == "reward"
        else _("codes of this kind given by automations")
    )
    return str(
        _(
            "Expected cost: %(percent)s %% of the codes used, as of %(whose)s in the last 365 "
            "days (%(count)s codes used or expired)."
        )
        % {
            "percent": number_format(redemption.percent, 1),
            "whose": whose,
            "count": number_format(redemption.decided, 0, force_grouping=True),
        }
    )


def _dry_run_context(automation: Automation, result: services.DryRun) -> dict:
    return {
        "dry_run": result,
        "dry_run_money": {
            "reward_cost": money_display(result.reward_cost),
            "points_cost": money_display(result.points_cost),
            "total": money_display(result.reward_cost + result.points_cost),
            "expected_reward_cost": money_display(result.expected_reward_cost),
            "expected_total": money_display(result.expected_cost),
            "money_left": money_display(result.money_left),
        },
        "dry_run_pricing": _pricing_note(automation, result),
    }


class UpliftToDetectForm(forms.Form):
    """The dry run's question: how large an uplift should the holdout be able to show?"""

    uplift = forms.DecimalField(
        label=_("Uplift to detect (percentage points)"),
        min_value=Decimal("0.1"),
        max_value=Decimal("50"),
        decimal_places=1,
        initial=Decimal("5"),
    )


class AutomationArmInline(admin.TabularInline):
    model = AutomationArm
    formset = ArmFormSet
    extra = 0
    fields = ["name", "reward", "bonus_points", "split_percent"]
    verbose_name_plural = _(
        "Variants (optional): each member outside the holdout gets one, by these shares"
    )


class EscalationStepFormSet(BaseInlineFormSet):
    def clean(self) -> None:
        """Steps go in order: a later step waits longer after the first message."""
        super().clean()
        steps = sorted(
            (form.cleaned_data["position"], form.cleaned_data["after_days"])
            for form in self.forms
            if form.cleaned_data
            and not form.cleaned_data.get("DELETE")
            and form.cleaned_data.get("position")
            and form.cleaned_data.get("after_days")
        )
        for (_position, before), (position, after) in zip(steps, steps[1:], strict=False):
            if after <= before:
                raise ValidationError(
                    _(
                        "Step %(position)s must come more days after the first message than the "
                        "step before it."
                    )
                    % {"position": position}
                )


class EscalationStepInline(admin.TabularInline):
    """The offer again on the next consented channel (e-mail → WhatsApp → SMS)."""

    model = EscalationStep
    formset = EscalationStepFormSet
    extra = 0
    fields = ["position", "after_days", "condition"]
    verbose_name = _("escalation step")
    verbose_name_plural = _(
        "Escalation: the same offer again on the next consented channel (e-mail → WhatsApp → "
        "SMS) after N days, while it has not worked"
    )


@admin.register(Automation)
class AutomationAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "trigger",
        "segment",
        "reward",
        "bonus_points",
        "channel",
        "is_active",
        "sent",
        "converted",
    ]
    list_filter = ["trigger", "is_active", "channel"]
    search_fields = ["name"]
    form = AutomationForm
    inlines = [AutomationArmInline, EscalationStepInline]
    readonly_fields = ["budget_spent"]
    actions = ["dry_run", "run_now", "pause", "resume"]
    fieldsets = [
        (None, {"fields": ["name", "is_active", "starts_at", "ends_at"]}),
        (
            _("When"),
            {
                "fields": ["trigger", "days", "every_n", "category", "tier"],
                "description": _(
                    "Dormant, birthday and points-expiring automations run every hour; the "
                    "others react at once to enrolments, purchases and tier upgrades."
                ),
            },
        ),
        (_("Who"), {"fields": ["segment", "only_reachable"]}),
        (
            _("What they get"),
            {"fields": ["reward", "reward_validity_days", "bonus_points", "reward_newcomer"]},
        ),
        (
            _("Message"),
            {
                "fields": [
                    "channel",
                    "message_subject_nl",
                    "message_body_nl",
                    "message_sms_nl",
                    "message_whatsapp_nl",
                    "message_subject_en",
                    "message_body_en",
                    "message_sms_en",
                    "message_whatsapp_en",
                ],
                "description": _(
                    "Messages go only to members who consented to the channel. Members get "
                    "exactly what you write here, in their language, with only the legal footer "
                    "added to an e-mail. Placeholders are filled in per member; the preview "
                    "below shows the result."
                ),
            },
        ),
        (
            _("Limits"),
            {
                "fields": [
                    "cooldown_days",
                    "max_per_day",
                    "max_total",
                    "budget_per_day",
                    "budget_total",
                    "budget_spent",
                ],
                "description": _(
                    "Budgets in members count deliveries (the holdout included); budgets in "
                    "euros count what the rewards and bonus points given cost. Both apply; "
                    "the dry run below shows where they stop it."
                ),
            },
        ),
        (
            _("Measuring the effect"),
            {
                "fields": ["holdout_percent", "conversion_days"],
                "description": _(
                    "The uplift report on the KPI dashboard compares the members who got the "
                    "offer with the holdout, who got nothing. Variants, below, split the others "
                    "over several offers."
                ),
            },
        ),
    ]

    def get_changeform_initial_data(self, request):
        """A new automation starts with the standard texts (a code reward, reactivation), so
        the marketer edits a working example rather than a blank form."""
        initial = super().get_changeform_initial_data(request)
        example = Automation(trigger=Trigger.DORMANT, reward=Reward(kind="fixed_discount"))
        for language in ("nl", "en"):
            texts = templating.standard_texts(example, language)
            initial.setdefault(f"message_subject_{language}", texts["subject"])
            initial.setdefault(f"message_body_{language}", texts["body"])
            initial.setdefault(f"message_sms_{language}", texts["sms"])
        return initial

    def get_urls(self):
        return [
            path(
                "<int:object_id>/send-test/",
                self.admin_site.admin_view(self.send_test_view),
                name="campaigns_automation_send_test",
            ),
            *super().get_urls(),
        ]

    def send_test_view(self, request, object_id):
        automation = self.get_object(request, object_id)
        # A test send is the marketer's tool: those who may only read campaigns (cashiers) may not.
        if automation is None or not self.has_change_permission(request, automation):
            raise PermissionDenied
        change_url = reverse("admin:campaigns_automation_change", args=[automation.pk])
        if request.method != "POST":
            return redirect(change_url)
        try:
            address = services.automation_test_queue(
                automation=automation,
                actor=request.user,
                language=request.POST.get("language", ""),
            )
        except ApplicationError as error:
            self.message_user(request, error.message, messages.ERROR)
        else:
            self.message_user(
                request,
                _("A test message is on its way to %(address)s. It is not counted anywhere.")
                % {"address": address},
                messages.SUCCESS,
            )
        return redirect(change_url + "#automation-preview")

    def change_view(self, request, object_id, form_url="", extra_context=None):
        automation = self.get_object(request, object_id)
        if automation is not None:
            power_form = UpliftToDetectForm(request.GET or None)
            uplift = (
                power_form.cleaned_data["uplift"]
                if power_form.is_bound and power_form.is_valid()
                else services.DEFAULT_UPLIFT_POINTS
            )
            result = services.automation_dry_run(automation, uplift_points=uplift)
            member = services.sample_member(result.sample[0].pk if result.sample else None)
            extra_context = {
                **(extra_context or {}),
                "previews": messaging.previews(automation, member),
                "preview_member": member,
                **_dry_run_context(automation, result),
                "escalation_response": services.escalation_response(automation),
                "placeholders": templating.PLACEHOLDERS,
                "power_form": power_form,
                "send_test_url": reverse(
                    "admin:campaigns_automation_send_test", args=[automation.pk]
                )
                if self.has_change_permission(request, automation)
                else None,
            }
        else:
            extra_context = {**(extra_context or {}), "placeholders": templating.PLACEHOLDERS}
        return super().change_view(request, object_id, form_url, extra_context)

    def add_view(self, request, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "placeholders": templating.PLACEHOLDERS}
        return super().add_view(request, form_url, extra_context)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("segment", "reward")
            .annotate(
                sent_count=Count("deliveries", filter=Q(deliveries__status="sent")),
                converted_count=Count(
                    "deliveries", filter=Q(deliveries__converted_at__isnull=False)
                ),
            )
        )

    @admin.display(description=_("spent (€)"))
    def budget_spent(self, automation) -> str:
        return budget_spent_display(automation)

    @admin.display(description=_("sent"), ordering="sent_count")
    def sent(self, automation) -> int:
        return automation.sent_count

    @admin.display(description=_("converted"), ordering="converted_count")
    def converted(self, automation) -> int:
        return automation.converted_count

    @admin.action(description=_("Dry run: who would get it now, and the cost"))
    def dry_run(self, request, queryset):
        for automation in queryset:
            result = services.automation_dry_run(automation)
            self.message_user(
                request,
                _(
                    "%(name)s: %(would)s of %(members)s members would get it, %(message)s of "
                    "them with a message. Cost: %(value)s in rewards, %(points)s bonus points "
                    "(%(points_cost)s). Open the automation for who, and how it was estimated."
                )
                % {
                    "name": automation.name,
                    "members": number_format(result.members, 0, force_grouping=True),
                    "would": number_format(result.would_get, 0, force_grouping=True),
                    "message": number_format(result.with_message, 0, force_grouping=True),
                    "value": money_display(result.reward_cost),
                    "points": number_format(result.bonus_points, 0, force_grouping=True),
                    "points_cost": money_display(result.points_cost),
                },
                messages.INFO,
            )

    @admin.action(description=_("Run now (scheduled triggers)"), permissions=["change"])
    def run_now(self, request, queryset):
        for automation in queryset.filter(trigger__in=Trigger.scheduled(), is_active=True):
            run = services.automation_run(automation)
            self.message_user(
                request,
                _("%(name)s: %(count)s deliveries created.")
                % {"name": automation.name, "count": run.created},
                messages.SUCCESS,
            )

    @admin.action(description=_("Pause"), permissions=["change"])
    def pause(self, request, queryset):
        for automation in queryset:
            services.automation_set_active(
                automation=automation, is_active=False, actor=request.user
            )

    @admin.action(description=_("Resume"), permissions=["change"])
    def resume(self, request, queryset):
        for automation in queryset:
            services.automation_set_active(
                automation=automation, is_active=True, actor=request.user
            )
