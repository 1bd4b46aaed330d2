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
status 2. Ctrl-C (SIGINT) and SIGTERM stop a command with one line and exit status 130 / 143: every file it
finished (checkpoints, evaluation shards) is whole and kept, and the same command resumes from them.
"""

from __future__ import annotations

import errno
import importlib
import signal
import sys
import threading

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
    in_main_thread = threading.current_thread() is threading.main_thread()  # only there can signals be handled
    previous = signal.signal(signal.SIGTERM, _stop_on_sigterm) if in_main_thread else None
    try:
        return int(module.main(rest) or 0)
    except KeyboardInterrupt as stop:
        code = 143 if isinstance(stop, Terminated) else 130
        print(f"\ninforates {name}: stopped ({'SIGTERM' if code == 143 else 'Ctrl-C'}); what it finished is kept, "
              "and the same command resumes from there", file=sys.stderr)  # fmt: skip
        return code
    except InforatesError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except OSError as err:  # an unwritable folder, a full disk: the user's to fix, named in one line
        if err.errno not in USER_OS_ERRORS:
            raise
        if err.errno in (errno.ENOSPC, errno.EDQUOT):
            fix = "free space in that folder and run the same command again: what it finished is kept"
        else:
            fix = "check the folder's permissions and free space"
        print(f"error: {describe_os_error(err)}; {fix}", file=sys.stderr)
        return 2
    finally:
        if in_main_thread:
            signal.signal(signal.SIGTERM, previous)


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the program is, so that it stops as it does on Ctrl-C."""


def _stop_on_sigterm(signum, frame) -> None:
    raise Terminated()


if __name__ == "__main__":
    sys.exit(main())
