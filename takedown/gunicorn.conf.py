"""gunicorn's settings for the workbench's web tier.

    gunicorn -c takedown/gunicorn.conf.py takedown.wsgi --bind 0.0.0.0:8000

Command-line options override these (``--workers 8``), as does
``GUNICORN_CMD_ARGS``. ``WEB_CONCURRENCY`` sets the worker processes and
``GUNICORN_THREADS`` the threads each. The figures behind each value are in
docs/reliability.md, "Load".
"""

import os

# gthread: a worker process runs ``threads`` requests at once. A moderator's
# request spends much of its time waiting for PostgreSQL; a sync worker sits
# idle through that wait while the next request queues for a free worker.
# Threads of one process share one core at a time (the GIL; most likely a
# request waits for it after each of its queries while a neighbour runs),
# so many threads a process lengthen the tail on a quiet machine (pages p95 on
# 2 cores, 50 moderators, 350 listings/s: 2 x 8 threads 500-529 ms, 4 x 4
# 500, 4 x 2 347-375, sync x5 374) while more requests at once shorten it when
# other jobs take the cores (sync x5 1.6-2.4 s, 2 x 8 0.6-0.9 s). Two
# processes a core of two threads each: docs/reliability.md, "Load".
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", 2 * (os.cpu_count() or 1)))
threads = int(os.environ.get("GUNICORN_THREADS", 2))
# Long enough for a page's own follow-ups (the page a form redirects to, its
# static files), shorter than any moderator's reading: a connection the
# server closes while the client may be sending races that request (5 s,
# inside 2.5-7.5 s of reading, failed 1-2 decisions a minute), and a kept
# connection stays tied to one worker process, busy or not.
keepalive = 2
# Recycle a worker after this many requests (jitter: not all at once), so
# that memory a long-lived process accumulates is given back. Not much more
# often: a new process renders its first pages with cold caches and cold
# database connections, which showed in the p95 (5 min at 0.5-1.5 s reading:
# 318 ms recycling every 2,000 requests, 260 ms every 20,000; the master and
# four workers stayed at ~617 MB RSS in all either way).
max_requests = 20000
max_requests_jitter = 2000
# Import Django once in the master: a recycled worker is forked ready instead
# of importing the project again (1.5 s of CPU on the development VM), and the workers
# share the imported code's memory. A code change needs a restart, not a HUP.
preload_app = True
# gthread's heartbeat is its event loop, so a slow request does not count
# against it; a feed push streams up to TAKEDOWN_FEED_MAX_BYTES to storage.
timeout = 60
graceful_timeout = 30
