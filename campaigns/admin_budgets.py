"""The euro budgets' spent amounts and a bonus campaign's forecast, as the automation and bonus
campaign forms show them."""

from django.utils.formats import date_format, number_format
from django.utils.html import format_html
from django.utils.timezone import localtime
from django.utils.translation import gettext as _

from core.money import money_display

from . import selectors
from .models.budgets import Budget
from .services.forecasts import bonus_campaign_forecast


def budget_spent_display(target) -> str:
    """ "€ 12,50 today, € 340,00 in total" (Dutch formats in Dutch); nothing before it is saved."""
    if target is None or target.pk is None:
        return "—"
    state = selectors.budget_state(Budget.of(target))
    return _("%(today)s today, %(total)s in total") % {
        "today": money_display(state.spent_today),
        "total": money_display(state.spent_total),
    }


def bonus_forecast_display(campaign) -> str:
    """The forecast cost of a saved campaign's window against its budgets, and how it was
    priced; a hint before it is saved."""
    if campaign is None or campaign.pk is None:
        return _("Shown once the campaign is saved: its window and scope are needed.")
    forecast = bonus_campaign_forecast(campaign)
    parts = [
        format_html(
            '<strong id="bonus-forecast-cost">{}</strong> {}',
            money_display(forecast.cost),
            _("for the whole window (%(points)s points).")
            % {"points": number_format(forecast.points, 0, force_grouping=True)},
        )
    ]
    if forecast.budget_total is not None:
        parts.append(
            _("Budget in total: %(budget)s (%(verdict)s).")
            % {
                "budget": money_display(forecast.budget_total),
                "verdict": _("the forecast passes it")
                if forecast.over_total
                else _("the forecast fits"),
            }
        )
    if forecast.budget_per_day is not None:
        parts.append(
            _("About %(per_day)s a day against a budget of %(budget)s a day (%(verdict)s).")
            % {
                "per_day": money_display(forecast.cost_per_day),
                "budget": money_display(forecast.budget_per_day),
                "verdict": _("the forecast passes it")
                if forecast.over_per_day
                else _("the forecast fits"),
            }
        )
    parts.append(
        _(
            "Priced from the last comparable period, %(start)s to %(end)s: %(purchases)s "
            "purchases by %(buyers)s of the %(members)s members it covers now, within its "
            "stores, channel, products and minimum spend, spent %(spend)s. The points it would "
            "have added to them (at %(rate)s base points per euro for a multiplier), at the "
            "point value; refunds left out."
        )
        % {
            "start": date_format(localtime(forecast.compared_from), "SHORT_DATE_FORMAT"),
            "end": date_format(localtime(forecast.compared_until), "SHORT_DATE_FORMAT"),
            "purchases": number_format(forecast.purchases, 0, force_grouping=True),
            "buyers": number_format(forecast.buyers, 0, force_grouping=True),
            "members": number_format(forecast.members, 0, force_grouping=True),
            "spend": money_display(forecast.qualifying_spend),
            "rate": number_format(forecast.base_rate, 2),
        }
    )
    if forecast.holdout_percent:
        parts.append(
            _("Less the %(percent)s %% held out, who get none of the campaign's points.")
            % {"percent": forecast.holdout_percent}
        )
    return format_html(" ".join(["{}"] * len(parts)), *parts)
