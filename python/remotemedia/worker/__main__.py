"""``python -m remotemedia.worker``: see :func:`remotemedia.worker.main.main`."""

import sys

from .main import main

sys.exit(main())
