"""``python -m sklearn_palsy``: the ``sklearn-palsy`` command."""

import sys

from .cli import main

sys.exit(main())
