"""Videos that could not be read, written to ``skipped.csv`` (``path,stage,reason``).

    >>> log = SkipLog()
    >>> log.record("data/a.avi", "open", "Invalid data found when processing input")
    >>> len(log), log.rows[0]["stage"]
    (1, 'open')

``log.write("outputs/run/skipped.csv")`` writes them.

A video is listed once however many times it is skipped (e.g. once per epoch). DataLoader workers are separate
processes, so records made there never reach the main process's log; give the log a ``spool`` file and every
record is also appended to it at once (one ``write`` per row, safe from several processes), and ``rows`` reads it.
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

from ..files import atomic_write
from ..schema import SKIPPED_COLUMNS


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


class SkipLog:
    """Rows of ``(path, stage, reason)``, deduplicated, in the order first seen."""

    def __init__(self, spool: str | os.PathLike | None = None):
        self.spool = os.fspath(spool) if spool is not None else None
        self._rows: dict[tuple[str, str, str], None] = {}

    def record(self, path, stage: str, reason: str) -> None:
        row = (str(path), str(stage), _one_line(reason))
        if row in self._rows:
            return
        self._rows[row] = None
        if self.spool is not None:
            buffer = io.StringIO()
            csv.writer(buffer, lineterminator="\n").writerow(row)
            Path(self.spool).parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.spool, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(fd, buffer.getvalue().encode())
            finally:
                os.close(fd)

    def _all(self) -> list[tuple[str, str, str]]:
        rows = dict(self._rows)
        if self.spool is not None and os.path.exists(self.spool):
            with open(self.spool, newline="") as f:
                rows.update({tuple(r): None for r in csv.reader(f) if len(r) == len(SKIPPED_COLUMNS)})
        return list(rows)

    @property
    def rows(self) -> list[dict[str, str]]:
        return [dict(zip(SKIPPED_COLUMNS, row)) for row in self._all()]

    def __len__(self) -> int:
        return len(self._all())

    def write(self, csv_path: str | os.PathLike) -> Path:
        """Write ``path,stage,reason`` (header included, even when empty) atomically: a temp file, then a rename."""
        csv_path = Path(csv_path)
        csv_path.parent.mkdir(parents=True, exist_ok=True)

        def write(tmp: str) -> None:
            with open(tmp, "w", newline="") as f:
                writer = csv.writer(f, lineterminator="\n")
                writer.writerow(SKIPPED_COLUMNS)
                writer.writerows(self._all())

        atomic_write(csv_path, write)
        return csv_path

    def __repr__(self) -> str:
        return f"SkipLog({len(self)} rows{f', spool={self.spool!r}' if self.spool else ''})"
