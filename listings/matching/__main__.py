"""Entry point of ``python -m listings.matching`` (see listings.matching.cli)."""

import sys

from .cli import main

sys.exit(main())
