"""The ``inforates`` command: dispatch to one subcommand per stage (:data:`inforates.commands.COMMANDS`).

    inforates sample --frames 50 --coverage 25 --stride 2 --clip-len 8 --fps 25
    inforates synth --out data/synthetic
    inforates train --config recipes/demo/videomae.yaml
    inforates evaluate --config recipes/demo/videomae.yaml
    inforates compare --runs outputs/demo/eval --out outputs/demo/compare
    inforates demo
    inforates doctor --config recipes/videomae/ucf101.yaml

Subcommands are imported lazily, so that ``inforates sample`` does not import torch. A user's mistake
(:class:`~inforates.errors.InforatesError`, or a folder that cannot be written) is one ``error: ...`` line and exit
status 2.
"""

from __future__ import annotations

import importlib
import sys

from .commands import COMMANDS
from .errors import USER_OS_ERRORS, InforatesError, describe_os_error


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or argv[0] in ("-h", "--help"):
        lines = [f"  {name:<13} {help_}" for name, (_, help_) in COMMANDS.items()]
        print("usage: inforates <command> [options]   (inforates <command> --help for its options)\n")
        print("commands:\n" + "\n".join(lines))
        return 0 if argv else 2
    name, rest = argv[0], argv[1:]
    if name not in COMMANDS:
        print(f"inforates: unknown command {name!r}; commands: {', '.join(COMMANDS)}", file=sys.stderr)
        return 2
    module = importlib.import_module(COMMANDS[name][0])
    try:
        return int(module.main(rest) or 0)
    except InforatesError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except OSError as err:  # an unwritable folder, a full disk: the user's to fix, named in one line
        if err.errno not in USER_OS_ERRORS:
            raise
        print(f"error: {describe_os_error(err)}; check the folder's permissions and free space", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
