"""WSGI entry point (gunicorn takedown.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "takedown.settings")

application = get_wsgi_application()
