from django import forms
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from accounts.forms import ContactFieldsMixin
from accounts.models import Member
from accounts.services import member_erased_contact_check
from campaigns.models import Delivery
from core.errors import ApplicationError, InvalidInput
from points.selectors import member_get_by_card
from rewards.models import IssuedReward, Reward
from rewards.selectors import unused_codes_for


class MemberAdminForm(ContactFieldsMixin, forms.ModelForm):
    """Normalises e-mail and phone before the unique checks, as the services do; refuses
    personal data for an erased member with a form error (the service refuses it too)."""

    class Meta:
        model = Member
        fields = "__all__"

    def clean(self):
        cleaned_data = super().clean()
        if self.instance.pk:
            try:
                member_erased_contact_check(member=self.instance, values=cleaned_data)
            except InvalidInput as error:
                self.add_error(error.field, str(error.message))
        return cleaned_data


class ReasonForm(forms.Form):
    """Every staff action that changes a member's money or points needs a reason."""

    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=500,
        help_text=_("Required. Recorded in the audit trail."),
    )

    def __init__(self, *args, member: Member | None = None, **kwargs) -> None:
        self.member = member  # the member the action is for; choices may depend on it
        super().__init__(*args, **kwargs)

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError(_("A reason is required."))
        return reason


class EraseForm(ReasonForm):
    """Erasure cannot be undone: staff confirm it by typing the card number."""

    card_number = forms.CharField(
        label=_("Card number, to confirm"),
        max_length=32,
        help_text=_(
            "Erasing removes the member's name, contact details, birth date, messages, survey "
            "comments and sign-in for good. Points history and purchases stay, anonymous."
        ),
    )
    field_order = ["card_number", "reason"]

    def clean_card_number(self) -> str:
        card_number = "".join(self.cleaned_data["card_number"].split())
        if self.member is None or card_number != self.member.card_number:
            raise forms.ValidationError(_("This is not the card number of this member."))
        return card_number


class MergeForm(ReasonForm):
    """Merging cannot be undone: staff name the member to keep, see both side by side (the
    form is shown again with them until the confirmation is typed) and confirm by typing the
    card number of this member, the duplicate."""

    survivor_card = forms.CharField(
        label=_("Card number of the member to keep"),
        max_length=32,
        help_text=_("This member's points, credit, codes and history move to that member."),
    )
    confirm_card = forms.CharField(
        label=_("Card number of this member, to confirm"),
        max_length=32,
        required=False,
        help_text=_(
            "After the merge this card finds the other member at the till; this member can "
            "no longer earn or redeem. It cannot be undone."
        ),
    )
    field_order = ["survivor_card", "reason", "confirm_card"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.survivor: Member | None = None

    def clean_survivor_card(self) -> str:
        number = self.cleaned_data["survivor_card"]
        try:
            survivor = member_get_by_card(number, field="survivor_card")
        except ApplicationError as error:
            raise forms.ValidationError(str(error.message)) from error
        if self.member is not None and survivor.pk == self.member.pk:
            raise forms.ValidationError(
                _("This is this member's own card; enter the card of the member to keep.")
            )
        self.survivor = survivor
        return number

    def clean_confirm_card(self) -> str:
        card_number = "".join(self.cleaned_data["confirm_card"].split())
        if not card_number:
            raise forms.ValidationError(
                _("Check both members above, then type this member's card number to confirm.")
            )
        if self.member is None or card_number != self.member.card_number:
            raise forms.ValidationError(_("This is not the card number of this member."))
        return card_number


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
        localize=True,  # Dutch staff type 7,50
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


class CodeRevokeForm(ReasonForm):
    code = forms.ModelChoiceField(label=_("Code"), queryset=IssuedReward.objects.none())
    field_order = ["code", "reason"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["code"].queryset = unused_codes_for(member=self.member)
        self.fields["code"].label_from_instance = lambda issued: (
            _("%(code)s – %(reward)s (valid until %(date)s)")
            % {
                "code": issued.display_code,
                "reward": issued.reward,
                "date": date_format(timezone.localtime(issued.expires_at), "SHORT_DATE_FORMAT"),
            }
        )


class DeliveryResendForm(ReasonForm):
    delivery = forms.ModelChoiceField(
        label=_("Message"),
        queryset=Delivery.objects.none(),
        help_text=_(
            "Messages that were sent cannot be sent twice; the member finds the reward on the "
            "portal and at the till."
        ),
    )
    field_order = ["delivery", "reason"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["delivery"].queryset = (
            Delivery.objects.filter(member=self.member)
            .exclude(status=Delivery.Status.SENT)
            .select_related("automation")
            .order_by("-created_at", "-pk")
        )
        self.fields["delivery"].label_from_instance = lambda delivery: (
            f"{delivery.automation} – {delivery.get_status_display()} "
            f"({date_format(timezone.localtime(delivery.created_at), 'SHORT_DATE_FORMAT')})"
        )
