"""Template context shared by every page."""

from django.http import HttpRequest

from takedown.access import access_for


def access(request: HttpRequest) -> dict[str, object]:
    return {"access": access_for(getattr(request, "user", None))}
