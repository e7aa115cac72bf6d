"""Staff users in admin: managers add them and give them a role, without climbing above it.

A superuser sees Django's own user admin. Anyone else who may manage users (a manager) sees only
staff users who are not superusers, no member accounts (those belong to the portal), gives rights
only through the three roles (no single permissions, no superuser switch), and deactivates rather
than deletes (the audit trail points at the user).
"""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import Group, User

from .roles import ROLE_PERMISSIONS

ABOVE_A_ROLE = ("is_superuser", "user_permissions")


class StaffUserAdmin(UserAdmin):
    def get_queryset(self, request):
        users = super().get_queryset(request)
        if request.user.is_superuser:
            return users
        return users.filter(is_superuser=False, member__isnull=True)

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if request.user.is_superuser:
            return fieldsets
        return [
            (name, {**options, "fields": [f for f in options["fields"] if f not in ABOVE_A_ROLE]})
            for name, options in fieldsets
        ]

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "groups" and not request.user.is_superuser:
            kwargs["queryset"] = Group.objects.filter(name__in=ROLE_PERMISSIONS)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser and super().has_delete_permission(request, obj)


admin.site.unregister(User)
admin.site.register(User, StaffUserAdmin)
