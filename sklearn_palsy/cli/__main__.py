"""``python -m sklearn_palsy.cli``: the ``sklearn-palsy`` command."""

import sys

from . import main

sys.exit(main())
