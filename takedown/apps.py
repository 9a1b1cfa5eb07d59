from django.apps import AppConfig


class TakedownConfig(AppConfig):
    name = "takedown"
    verbose_name = "Takedown workbench"

    def ready(self) -> None:
        # Connects the login hook that records a moderator's owed second factor.
        from takedown import second_factor  # noqa: F401
