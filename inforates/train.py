"""``python -m inforates.train`` (and ``accelerate launch ... -m inforates.train``): the same as ``inforates train``.

The command lives in :mod:`inforates.commands.train`; this module only keeps the ``-m`` entry point.
"""

import sys

from .cli import main


if __name__ == "__main__":
    sys.exit(main(["train", *sys.argv[1:]]))
