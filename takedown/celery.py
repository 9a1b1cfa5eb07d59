"""The Celery application, configured from Django settings (``CELERY_`` namespace).

With no broker URL the settings make every task run eagerly in-process, so the
embedded default needs no Redis and no worker.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "takedown.settings")

app = Celery("takedown")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
