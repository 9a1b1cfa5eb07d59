"""The takedown workbench project package and its complaint -> case domain."""

from takedown.celery import app as celery_app

__all__ = ["celery_app"]
