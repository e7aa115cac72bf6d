from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from .models import Member


@shared_task(
    name="accounts.login_link_send",
    acks_late=True,
    max_retries=3,
    autoretry_for=(OSError,),
    retry_backoff=10,
)
def login_link_send_task(member_id: int, link: str) -> None:
    member = Member.objects.filter(pk=member_id).first()
    if member is None or not member.email:
        return
    with translation.override(member.language or settings.LANGUAGE_CODE):
        context = {"member": member, "link": link}
        email = EmailMultiAlternatives(
            subject=_("Your sign-in link"),
            body=render_to_string("accounts/email/login_link.txt", context),
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[member.email],
        )
        email.attach_alternative(
            render_to_string("accounts/email/login_link.html", context), "text/html"
        )
    email.send()
