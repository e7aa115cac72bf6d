"""Form pieces shared by every form that takes a member's contact details (portal, back office)."""

from django import forms

from core.errors import ApplicationError

from .normalise import normalise_email, normalise_phone


class ContactFieldsMixin:
    """Normalises e-mail and phone the way the services do, as form errors (so a ModelForm's
    unique checks compare the stored form of the value)."""

    def _normalised(self, field, normalise):
        try:
            return normalise(self.cleaned_data.get(field))
        except ApplicationError as error:
            raise forms.ValidationError(str(error.message)) from error

    def clean_email(self):
        return self._normalised("email", normalise_email)

    def clean_phone(self):
        return self._normalised("phone", normalise_phone)
