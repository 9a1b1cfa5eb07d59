"""Domain errors raised by services; views and the API turn them into responses."""


class DomainError(Exception):
    """A request the domain refuses; the message is shown to the user as is."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class TransitionNotAllowed(DomainError):
    """A status change that the transition map does not allow from the current status."""


class NotPermitted(DomainError):
    """The acting user may not do this to this object."""
