"""Settings kept in one database row (programme settings, combining rules), read on every till
call through the configuration cache."""

from typing import Self

from django.db import models

from core.config_cache import cached_config, forget_config


class CachedSingleton(models.Model):
    """Always primary key 1; saving clears the cached copy (other processes within seconds)."""

    CACHE_KEY: str

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        self.pk = 1
        super().save(*args, **kwargs)
        forget_config(self.CACHE_KEY)

    @classmethod
    def current(cls) -> Self:
        return cached_config(cls.CACHE_KEY, lambda: cls.objects.get_or_create(pk=1)[0])
