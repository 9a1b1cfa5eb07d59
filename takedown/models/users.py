"""People who log in. Organisations and memberships live in ``rightsholders``."""

from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    """A person who logs in: rights holder staff, agent, platform engineer or moderator.

    Sellers never log in; they answer through signed links.
    """

    time_zone = models.CharField(max_length=64, default="UTC")

    def __str__(self) -> str:
        return self.get_full_name() or self.username
