from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from accounts.forms import ContactFieldsMixin


class NativeDateInput(forms.DateInput):
    """The browser's date picker. It only takes ISO dates (2026-03-07), whatever the page's
    language: a Dutch "07-03-1960" would show as empty and be saved as no date at all."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class EmailForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"), max_length=254)


class PasswordLoginForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"), max_length=254)
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput, max_length=200)


class SignupForm(ContactFieldsMixin, forms.Form):
    email = forms.EmailField(label=_("E-mail address"), max_length=254)
    first_name = forms.CharField(label=_("First name"), max_length=100)
    last_name = forms.CharField(label=_("Last name"), max_length=100, required=False)
    birth_date = forms.DateField(
        label=_("Birth date"),
        required=False,
        help_text=_("For a birthday surprise. Optional."),
        widget=NativeDateInput(),
    )
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    referral_code = forms.CharField(
        label=_("Referral code of a friend"),
        max_length=20,
        required=False,
        help_text=_("Optional: a friend who is a member gave you this code."),
    )
    consent_email = forms.BooleanField(
        label=_("Yes, send me offers and news by e-mail"), required=False
    )


class ProfileForm(ContactFieldsMixin, forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=100)
    last_name = forms.CharField(label=_("Last name"), max_length=100, required=False)
    email = forms.EmailField(label=_("E-mail address"), max_length=254)
    phone = forms.CharField(
        label=_("Mobile number"),
        max_length=32,
        required=False,
        help_text=_("For SMS or WhatsApp, if you want them."),
    )
    birth_date = forms.DateField(label=_("Birth date"), required=False, widget=NativeDateInput())
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    preferred_channel = forms.ChoiceField(
        label=_("Preferred channel"),
        required=False,
        choices=[
            ("", _("No preference")),
            ("email", _("E-mail")),
            ("sms", _("SMS")),
            ("whatsapp", _("WhatsApp")),
        ],
    )


class ConsentForm(forms.Form):
    email = forms.BooleanField(label=_("Offers and news by e-mail"), required=False)
    sms = forms.BooleanField(label=_("Offers by SMS"), required=False)
    whatsapp = forms.BooleanField(label=_("Offers by WhatsApp"), required=False)


class HistoryFilterForm(forms.Form):
    KINDS = [
        ("", _("Everything")),
        ("earned", _("Earned")),
        ("spent", _("Spent")),
        ("expired", _("Expired")),
        ("corrections", _("Refunds and corrections")),
    ]
    kind = forms.ChoiceField(label=_("Show"), choices=KINDS, required=False)
    date_from = forms.DateField(label=_("From"), required=False, widget=NativeDateInput())
    date_to = forms.DateField(label=_("Until"), required=False, widget=NativeDateInput())


class RedeemForm(forms.Form):
    idempotency_key = forms.UUIDField(widget=forms.HiddenInput)


SCORES = [(score, str(score)) for score in range(11)]


class SurveyForm(forms.Form):
    recommend_score = forms.TypedChoiceField(
        label=_("How likely is it that you would recommend us to a friend?"),
        choices=SCORES,
        coerce=int,
        widget=forms.RadioSelect,
        help_text=_("0 = not at all likely, 10 = extremely likely"),
    )
    repurchase_score = forms.TypedChoiceField(
        label=_("How likely are you to buy from us again?"),
        choices=SCORES[1:],
        coerce=int,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
        help_text=_("1 = not likely, 10 = certainly. Optional."),
    )
    try_new_score = forms.TypedChoiceField(
        label=_("How likely are you to try our other products?"),
        choices=SCORES[1:],
        coerce=int,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
        help_text=_("1 = not likely, 10 = certainly. Optional."),
    )
    comment = forms.CharField(
        label=_("Anything you want to tell us?"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class SatisfactionForm(forms.Form):
    """The satisfaction question (CSAT, seed 004); its label names the purchase."""

    purchase_id = forms.IntegerField(widget=forms.HiddenInput)
    via = forms.ChoiceField(
        choices=[
            ("portal", "portal"),
            ("email", "email"),
            ("sms", "sms"),
            ("whatsapp", "whatsapp"),
        ],
        widget=forms.HiddenInput,
        initial="portal",
    )
    score = forms.TypedChoiceField(
        label=_("Are you satisfied with your purchase?"),
        choices=SCORES[1:],
        coerce=int,
        widget=forms.RadioSelect,
        help_text=_("1 = very dissatisfied, 10 = very satisfied"),
    )
    comment = forms.CharField(
        label=_("Anything else you would like to tell us?"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ClosureForm(forms.Form):
    reason = forms.CharField(
        label=_("Why are you leaving? (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    confirm = forms.BooleanField(
        label=_("I understand that my points, codes and store credit will be lost."),
    )
