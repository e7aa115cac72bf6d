from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.errors import ApplicationError
from accounts.models import Member
from accounts.normalise import normalise_email, normalise_phone
from rewards.models import Reward


class MemberAdminForm(forms.ModelForm):
    """Normalises e-mail and phone before the unique checks, as the services do."""

    class Meta:
        model = Member
        fields = "__all__"

    def _normalised(self, field: str, normalise):
        try:
            return normalise(self.cleaned_data.get(field))
        except ApplicationError as error:
            raise forms.ValidationError(str(error.message)) from error

    def clean_email(self):
        return self._normalised("email", normalise_email)

    def clean_phone(self):
        return self._normalised("phone", normalise_phone)


class ReasonForm(forms.Form):
    """Every staff action that changes a member's money or points needs a reason."""

    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=500,
        help_text=_("Required. Recorded in the audit trail."),
    )

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError(_("A reason is required."))
        return reason


class PointsAdjustmentForm(ReasonForm):
    points = forms.IntegerField(
        label=_("Points"),
        help_text=_("Positive to add, negative to take away."),
        min_value=-1_000_000,
        max_value=1_000_000,
    )
    counts_for_tier = forms.BooleanField(
        label=_("Counts towards the tier"),
        required=False,
        help_text=_("Tick only when the points replace points the member should have earned."),
    )
    field_order = ["points", "counts_for_tier", "reason"]

    def clean_points(self) -> int:
        points = self.cleaned_data["points"]
        if points == 0:
            raise forms.ValidationError(_("Enter a non-zero number of points."))
        return points


class StoreCreditAdjustmentForm(ReasonForm):
    amount = forms.DecimalField(
        label=_("Amount (€)"),
        max_digits=12,
        decimal_places=2,
        help_text=_("Positive to give credit, negative to take it back."),
    )
    field_order = ["amount", "reason"]

    def clean_amount(self):
        amount = self.cleaned_data["amount"]
        if amount == 0:
            raise forms.ValidationError(_("Enter a non-zero amount."))
        return amount


class RewardGrantForm(ReasonForm):
    reward = forms.ModelChoiceField(
        label=_("Reward"), queryset=Reward.objects.filter(is_active=True).order_by("name_nl")
    )
    field_order = ["reward", "reason"]
