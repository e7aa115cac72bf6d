from django.dispatch import receiver

from accounts.signals import member_enrolled

from .models import PointAccount


@receiver(member_enrolled, dispatch_uid="points.open_account")
def open_point_account(sender, member, **kwargs) -> None:
    PointAccount.objects.get_or_create(member=member)
