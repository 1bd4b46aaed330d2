"""``python -m inforates.study``: the same as ``inforates study``."""

import sys

from ..cli import main


sys.exit(main(["study", *sys.argv[1:]]))
