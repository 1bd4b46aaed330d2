"""Files inforates writes: atomic writes, a lock per output folder, and output folders that keep the user's files.

    write_json("out/run.json", {"status": "complete"})          # a temp file, then one rename
    with FolderLock("outputs/eval/videomae"):                     # OutputError if another process holds it
        ...
    with OwnedOutputs("outputs/compare", overwrite=False) as staging:   # write into `staging`; on success the
        (staging / "report.md").write_text("...")                       # files move into place

The rule for every output folder: a folder holding files inforates did not write is refused unless ``--overwrite``,
and even then only inforates' own files are replaced; the user's files are never deleted or replaced.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import signal
import socket
import sys
import tempfile
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .errors import OutputError, ensure_writable


LOCK_NAME = ".inforates.lock"
CRASH_AT = "INFORATES_CRASH_AT"  # fault injection for the tests: the process kills itself at the named point
OUTPUTS_MANIFEST = ".inforates-outputs.json"  # the files an OwnedOutputs folder holds that inforates wrote


def redacted(argv: list[str]) -> list[str]:
    """``argv`` with the value of every ``--*token`` option hidden, for records written to disk.

    >>> redacted(["--hub_token", "hf_abc", "--seed=1", "--hub_token=hf_abc"])
    ['--hub_token', '<redacted>', '--seed=1', '--hub_token=<redacted>']
    """
    out, hide = [], False
    for arg in argv:
        name = arg.split("=", 1)[0]
        if hide:
            out.append("<redacted>")
        elif arg.startswith("--") and name.endswith("token") and "=" in arg:
            out.append(f"{name}=<redacted>")
        else:
            out.append(arg)
        hide = not hide and arg.startswith("--") and name.endswith("token") and "=" not in arg
    return out


_CRASH_COUNTS: dict[str, int] = {}


def crash_point(name: str) -> None:
    """Where a kill is most harmful (between two writes that must both land), the process dies with ``SIGKILL`` if
    ``INFORATES_CRASH_AT`` names this point (``name``, or ``name:N`` for its N-th passage): how the tests prove
    that a rerun after such a kill trusts only whole files. A no-op otherwise."""
    wanted = os.environ.get(CRASH_AT)
    if not wanted or wanted.split(":")[0] != name:
        return
    _CRASH_COUNTS[name] = _CRASH_COUNTS.get(name, 0) + 1
    if _CRASH_COUNTS[name] == int(wanted.split(":")[1] if ":" in wanted else 1):
        os.kill(os.getpid(), signal.SIGKILL)


def atomic_write(path: str | os.PathLike, write: Callable[[str], Any], suffix: str = ".tmp") -> None:
    """Call ``write(tmp_path)``, flush it to disk, and move the result onto ``path`` in one step (same folder,
    ``os.replace``): an interrupted run, or a full disk, never leaves a half-written file under the real name.
    ``suffix`` ends the temporary name (an encoder that picks its format by extension needs e.g. ``".tmp.mp4"``)."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=suffix)
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; result files are read like any other file
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as err:
        if err.filename in (tmp, str(tmp)):  # say which file it was, not its temporary name
            err.filename = str(path)
        raise
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_json(path: str | os.PathLike, data: dict) -> None:
    text = json.dumps(data, indent=2, default=str) + "\n"
    atomic_write(path, lambda tmp: Path(tmp).write_text(text))


def write_text(path: str | os.PathLike, text: str) -> None:
    """``path`` with ``text``, whole or not at all (:func:`atomic_write`)."""
    atomic_write(path, lambda tmp: Path(tmp).write_text(text))


def file_record(path: str | os.PathLike) -> dict:
    """What proves later that ``path`` is the file written now: its size and sha256."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return {"bytes": os.path.getsize(path), "sha256": digest.hexdigest()}


def file_problem(path: str | os.PathLike, record: dict) -> str | None:
    """Why ``path`` is not the file :func:`file_record` described (None: it is)."""
    path = Path(path)
    if not path.is_file():
        return f"{path.name} is missing"
    if path.stat().st_size != record.get("bytes") or file_record(path)["sha256"] != record.get("sha256"):
        return f"{path.name} is damaged (not the file that was written)"
    return None


def read_json(path: str | os.PathLike) -> dict | None:
    """The JSON object in ``path``, or None when it is missing or unreadable."""
    try:
        with open(path) as f:
            data = json.load(f)
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


class FolderLock:
    """An exclusive lock on an output folder for one process, held in ``<folder>/.inforates.lock``.

    The operating system releases the lock when its process ends, however it ends, so a lock left by a killed run
    is stale by construction; the file records host, pid, start time and command for the message a second process
    gets: ``OutputError("<folder>: in use by pid 4242 on host-a since ... (inforates evaluate ...)")``.
    """

    def __init__(self, folder: str | os.PathLike, key: str = "output folder"):
        self.folder, self.key = Path(folder), key
        self.path = self.folder / LOCK_NAME
        self._fd: int | None = None

    def acquire(self) -> FolderLock:
        ensure_writable(self.folder, self.key)
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                raise OutputError(f"{self.folder}: {self._holder()}; wait for it to finish or stop it") from None
            try:
                same_file = os.fstat(fd).st_ino == os.stat(self.path).st_ino
            except FileNotFoundError:  # released and removed between our open and our lock: take the new file
                same_file = False
            if same_file:
                break
            os.close(fd)
        holder = {
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "since": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "command": " ".join(["inforates", *redacted(sys.argv[1:])]) if sys.argv else "",
        }
        os.ftruncate(fd, 0)
        os.write(fd, (json.dumps(holder) + "\n").encode())
        self._fd = fd
        return self

    def _holder(self) -> str:
        holder = read_json(self.path) or {}
        if not holder:
            return "in use by another inforates process"
        return (
            f"in use by pid {holder.get('pid')} on {holder.get('host')} since {holder.get('since')} "
            f"({holder.get('command') or 'inforates'})"
        )

    def release(self) -> None:
        if self._fd is None:
            return
        self.path.unlink(missing_ok=True)  # before unlocking, so that no one locks a file that is going away
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)
        self._fd = None

    def __enter__(self) -> FolderLock:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()


def _files_under(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file() or p.is_symlink()}


class OwnedOutputs:
    """An output folder written as a whole: outputs go to a staging folder, then move into place.

    On entry the folder is checked: files inforates did not write (not in its ``.inforates-outputs.json``) make it
    refused unless ``overwrite``. On a clean exit the staged files replace inforates' own files of the last run
    (files of that run not written again are removed); a staged file whose name a user's file already has is
    refused, with nothing changed. On an error the staging folder is removed and the folder is left as it was.
    """

    IGNORED = {OUTPUTS_MANIFEST, LOCK_NAME}

    def __init__(
        self, folder: str | os.PathLike, overwrite: bool = False, flag: str = "--overwrite", others: tuple = ()
    ):
        """``others``: top-level names in ``folder`` that other inforates stages own (e.g. the demo's model
        folders beside its report); they are neither foreign nor replaced."""
        self.folder, self.overwrite, self.flag = Path(folder), overwrite, flag
        self.others = set(others)
        self.staging: Path | None = None

    def _ours(self) -> set[str]:
        manifest = read_json(self.folder / OUTPUTS_MANIFEST) or {}
        return set(manifest.get("files", []))

    def _foreign(self) -> list[str]:
        if not self.folder.is_dir():
            return []
        ours = self._ours()
        skip = lambda f: f.startswith(".staging-") or f.split("/", 1)[0] in self.others  # noqa: E731
        return sorted(f for f in _files_under(self.folder) - ours - self.IGNORED if not skip(f))

    def __enter__(self) -> Path:
        if self.folder.exists() and not self.folder.is_dir():
            raise OutputError(f"{self.folder}: exists and is not a folder; choose another output folder")
        foreign = self._foreign()
        if foreign and not self.overwrite:
            raise OutputError(
                f"{self.folder}: holds files inforates did not write ({', '.join(foreign[:3])}"
                f"{', ...' if len(foreign) > 3 else ''}); choose another output folder, or pass {self.flag} to write "
                "there (inforates replaces only its own files)"
            )
        self.folder.mkdir(parents=True, exist_ok=True)
        self.staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=self.folder))
        return self.staging

    def __exit__(self, exc_type, exc, tb) -> None:
        staging, self.staging = self.staging, None
        try:
            if exc_type is None:
                self._publish(staging)
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def _publish(self, staging: Path) -> None:
        new = _files_under(staging)
        clashes = sorted(new & set(self._foreign()))
        if clashes:
            raise OutputError(
                f"{self.folder}: {', '.join(clashes[:3])} would replace a file inforates did not write; move it away "
                "or choose another output folder (nothing was changed)"
            )
        ours = self._ours()
        write_json(self.folder / OUTPUTS_MANIFEST, {"files": sorted(ours | new)})  # a kill mid-way leaves it ours
        emptied = set()
        for stale in sorted(ours - new):
            (self.folder / stale).unlink(missing_ok=True)
            emptied.update(p for p in (self.folder / stale).parents if self.folder in p.parents)
        for name in sorted(new):
            target = self.folder / name
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staging / name, target)
        write_json(self.folder / OUTPUTS_MANIFEST, {"files": sorted(new)})
        for folder in sorted(emptied, key=lambda p: len(p.parts), reverse=True):
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()  # a folder only our stale files were in (e.g. the figures of a model not compared now)
