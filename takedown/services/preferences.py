"""A signed-in user's own preferences: the time zone pages show times in."""

from takedown.errors import DomainError
from takedown.middleware import known_time_zones
from takedown.models import User


def user_preferences_update(*, actor: User, time_zone: str) -> User:
    """Store the zone the user's pages show times in; refuse a name that is not a zone."""
    time_zone = time_zone.strip()
    if time_zone not in known_time_zones():
        raise DomainError(
            f"“{time_zone}” is not a time zone; choose one from the list, such as "
            "Europe/Berlin or Asia/Shanghai.",
            field="time_zone",
        )
    actor.time_zone = time_zone
    actor.save(update_fields=["time_zone"])
    return actor
