"""The automation form (message templates checked on save) and its variants' formset (splits
adding up to 100)."""

from django import forms
from django.utils.translation import gettext as _

from . import templating
from .models import Automation

TEXT_FIELDS = [
    f"message_{part}_{language}"
    for part in ("subject", "body", "sms", "whatsapp")
    for language in ("nl", "en")
]
# Texts a member reads the reward in (a subject is too short to carry a code).
CODE_FIELDS = [name for name in TEXT_FIELDS if not name.startswith("message_subject")]


class AutomationForm(forms.ModelForm):
    class Meta:
        model = Automation
        fields = "__all__"  # noqa: DJ007 - the admin's fieldsets choose what is shown
        widgets = {
            name: forms.Textarea(attrs={"rows": 3 if "sms" in name or "whatsapp" in name else 8})
            for name in CODE_FIELDS
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        automation = self.instance
        if automation.pk is None or automation.channel == "none":
            return
        # Texts left empty (an automation made in code, such as the demo's) send the standard
        # text: the form shows it, so what is saved is what members already get.
        for language in ("nl", "en"):
            standard = templating.standard_texts(automation, language)
            for part in ("subject", "body", "sms"):
                if not automation.message_text(part, language):
                    self.initial[f"message_{part}_{language}"] = standard[part]

    def clean(self):
        cleaned = super().clean()
        for name in TEXT_FIELDS:
            text = cleaned.get(name) or ""
            for problem in templating.problems(text):
                self.add_error(name, str(problem))
        self._require_texts(cleaned)
        self._check_code(cleaned)
        return cleaned

    def _require_texts(self, cleaned) -> None:
        """The Dutch text of every channel the automation may send on (WhatsApp falls back to
        the SMS text)."""
        channel = cleaned.get("channel")
        required = []
        if channel in ("preferred", "email"):
            required += ["message_subject_nl", "message_body_nl"]
        if channel in ("preferred", "sms"):
            required.append("message_sms_nl")
        if channel == "whatsapp" and not cleaned.get("message_sms_nl"):
            required.append("message_whatsapp_nl")
        for name in required:
            if not (cleaned.get(name) or "").strip() and name not in self.errors:
                self.add_error(
                    name, _("Write the text members get on this channel (Dutch is required).")
                )

    def _check_code(self, cleaned) -> None:
        """A code nobody reads is a code nobody uses; {code} without one writes nothing."""
        reward = cleaned.get("reward")
        gives_code = reward is not None and reward.gives_code
        for name in CODE_FIELDS:
            text = cleaned.get(name) or ""
            if not text.strip() or name in self.errors:
                continue
            has_code = "code" in templating.placeholders_in(text)
            if gives_code and not has_code:
                self.add_error(
                    name,
                    _("Add {code}: the reward gives a code, and members need it to use it."),
                )
            elif has_code and not gives_code:
                self.add_error(name, _("Remove {code}: this automation's reward gives no code."))


class ArmFormSet(forms.BaseInlineFormSet):
    """An automation's variants: if it has any, their splits add up to 100 %."""

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        splits = [
            form.cleaned_data.get("split_percent") or 0
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        if splits and sum(splits) != 100:
            raise forms.ValidationError(
                _("The variants' shares add up to %(total)s %%; make them add up to 100 %%.")
                % {"total": sum(splits)}
            )
