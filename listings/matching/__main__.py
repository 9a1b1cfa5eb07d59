"""Entry point of ``python -m listings.matching`` (see listings.matching.cli)."""

import os
import sys

# One BLAS thread per process (--workers forks one per core): set before numpy loads.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from .cli import main  # noqa: E402

sys.exit(main())
