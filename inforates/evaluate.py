"""``python -m inforates.evaluate`` (and ``accelerate launch ... -m inforates.evaluate``): the same as ``inforates evaluate``.

The command lives in :mod:`inforates.commands.evaluate`; this module only keeps the ``-m`` entry point.
"""

import sys

from .cli import main


if __name__ == "__main__":
    sys.exit(main(["evaluate", *sys.argv[1:]]))
