"""Celery tasks of the listings app, one module per topic (autodiscovered through here)."""

from . import feeds, images, scanning

__all__ = ["feeds", "images", "scanning"]
