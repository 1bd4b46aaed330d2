"""``python -m inforates <command> ...``: the same as ``inforates <command> ...``."""

import sys

from .cli import main


sys.exit(main())
