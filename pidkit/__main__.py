"""``python -m pidkit``: same as the ``pidkit`` command."""

import sys

from .cli import main

sys.exit(main())
