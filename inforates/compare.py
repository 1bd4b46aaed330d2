"""``python -m inforates.compare`` (and ``accelerate launch ... -m inforates.compare``): the same as ``inforates compare``.

The command lives in :mod:`inforates.commands.compare`; this module only keeps the ``-m`` entry point.
"""

import sys

from .cli import main


if __name__ == "__main__":
    sys.exit(main(["compare", *sys.argv[1:]]))
