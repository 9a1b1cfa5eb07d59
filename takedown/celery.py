"""The Celery application, configured from Django settings (``CELERY_`` namespace).

With no broker URL the settings make every task run eagerly in-process, so the
embedded default needs no Redis and no worker.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "takedown.settings")
# One BLAS thread per worker process: the image hashing's matrix products are
# small, and BLAS threads of two worker processes fighting over two cores made
# hashing three times slower (docs/benchmarks.md). Set before numpy is imported.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

app = Celery("takedown")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
