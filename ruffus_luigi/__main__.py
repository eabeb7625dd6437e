"""``python -m ruffus_luigi``: the same as the ``ruffus-luigi`` command."""

import sys

from .cli import main

sys.exit(main())
