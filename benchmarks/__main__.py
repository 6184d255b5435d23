"""``python -m benchmarks``: the one benchmark entry point (see run.py)."""

import sys

from .run import main

sys.exit(main())
