"""Errors shown to users as one line (no traceback, exit status 2) by the ``inforates`` command.

raise RecipeError("seed=[1]: expects an integer, got a list")
ensure_writable("outputs/run", "output_dir")   # OutputError when the folder cannot be written
"""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path


class InforatesError(ValueError):
    """A mistake the user can fix; the message is one line saying what, where, and what to do."""


class RecipeError(InforatesError):
    """A recipe or command-line value is wrong."""


class OutputError(InforatesError):
    """An output folder cannot be used: not writable, holding someone else's files, or in use by another run."""


# OSErrors that are the user's environment, not a bug: reported as one line naming the file.
USER_OS_ERRORS = {errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOSPC, errno.EDQUOT, errno.ENOTDIR, errno.EISDIR}


def describe_os_error(err: OSError) -> str:
    """``PermissionError(13, ..., 'out/x')`` -> ``"out/x: permission denied"``."""
    where = err.filename or "a file"
    reason = (err.strerror or str(err)).lower()
    return f"{where}: {reason}"


def ensure_writable(folder: str | os.PathLike, key: str) -> Path:
    """Create ``folder`` if needed and prove a file can be written in it; ``OutputError`` naming ``key`` if not."""
    path = Path(folder)
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".inforates-write-test."):
            pass
    except OSError as err:
        if err.errno not in USER_OS_ERRORS and not isinstance(err, FileExistsError):
            raise
        raise OutputError(
            f"{key}={str(folder)!r}: cannot write there ({describe_os_error(err)}); choose a folder you can write "
            "or fix its permissions"
        ) from None
    return path
