"""An evaluation's output folder: atomic files, results shards, resume, and the final result files.

Layout while running: ``progress.json`` (what is being evaluated + the shards done) and ``shards/NNNNN.parquet``
(predictions of one block of videos) + ``shards/NNNNN.skipped.csv`` (+ ``shards/NNNNN.views.parquet`` with several
views per cell). A shard is written (tmp + fsync + ``os.replace``) before the progress record names it with the
size and sha256 of each of its files, so a run killed at any moment restarts after its last recorded shard, and a
recorded shard whose files changed is computed again. When every shard is in, the result files are written,
``run.json`` last (``"status": "complete"`` and the size and sha256 of every result file), then the shards are
removed. A finished run of the same configuration is left as it is while its files are whole; a damaged one is
evaluated again. Nothing is replaced without ``overwrite``, and even then only inforates' own result files (those
``run.json`` or ``progress.json`` lists): a file of the same name it did not write stops the run.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import OutputError
from ..files import LOCK_NAME, atomic_write, crash_point, file_problem, file_record, read_json, write_json


RESULT_FILES = ("predictions.parquet", "views.parquet", "results.csv", "per_class.csv", "skipped.csv", "run.json")
# Fingerprint keys newer than some finished folders: a record without them had these values.
FINGERPRINT_DEFAULTS = {"test_clips": 1, "test_crops": 1, "bandwidth_sha256": None}
WORK_FILES = ("progress.json", "shards")


def write_csv(path: str | os.PathLike, table: pd.DataFrame) -> None:
    atomic_write(path, lambda tmp: table.to_csv(tmp, index=False))


def write_parquet(path: str | os.PathLike, table: pd.DataFrame) -> None:
    atomic_write(path, lambda tmp: table.to_parquet(tmp, index=False))


def _normalise(data: dict) -> dict:
    return json.loads(json.dumps(data, default=str))


class RunStore:
    """The output folder of one model's evaluation. ``fingerprint`` is everything the results depend on."""

    def __init__(self, path: str | os.PathLike, fingerprint: dict):
        self.path = Path(path)
        self.fingerprint = _normalise(fingerprint)
        self.shard_dir = self.path / "shards"
        self.progress_path = self.path / "progress.json"
        self.run_path = self.path / "run.json"
        self.problems: list[str] = []  # damaged files found by state() and done_shards(), for the main process to say

    def _differences(self, recorded: dict | None) -> list[str]:
        recorded = recorded or {}
        keys = sorted(set(recorded) | set(self.fingerprint))
        recorded = {**{k: v for k, v in FINGERPRINT_DEFAULTS.items() if k in self.fingerprint}, **recorded}
        return [k for k in keys if recorded.get(k) != self.fingerprint.get(k)]

    def state(self, overwrite: bool = False) -> str:
        """``"new"``, ``"resume"`` or ``"complete"`` (same configuration, finished); raises ``OutputError``
        when the folder holds something else and ``overwrite`` is not set (``overwrite`` -> ``"new"``)."""
        if not self.path.exists():
            return "new"
        if not self.path.is_dir():
            raise OutputError(f"{self.path}: exists and is not a folder")
        entries = [entry.name for entry in self.path.iterdir()]
        entries = [name for name in entries if name != LOCK_NAME]
        if all(name in WORK_FILES or (name.startswith(".") and name.endswith(".tmp")) for name in entries):
            if not (self.progress_path.is_file() and read_json(self.progress_path)):
                return "new"  # empty, or the leftovers of a run killed before its first progress record
        if overwrite:
            self._refuse_foreign("--overwrite")
            return "new"
        run = read_json(self.run_path)
        if run is not None and run.get("status") == "complete":
            diff = self._differences(run.get("fingerprint"))
            if not diff:
                problem = self._damage(run)
                if problem is None:
                    return "complete"
                self.problems.append(f"{self.path}: the finished evaluation's {problem}: evaluating again")
                self._refuse_foreign("a new evaluation")
                return "new"
            raise OutputError(
                f"{self.path}: holds a finished evaluation of a different configuration (differs in {', '.join(diff)}); "
                "pass --overwrite to replace it or choose another --eval_output_dir"
            )
        progress = read_json(self.progress_path)
        if progress is not None:
            diff = self._differences(progress.get("fingerprint"))
            if not diff:
                return "resume"
            raise OutputError(
                f"{self.path}: holds an unfinished evaluation of a different configuration (differs in "
                f"{', '.join(diff)}); rerun that command to finish it, or pass --overwrite to start over"
            )
        raise OutputError(
            f"{self.path}: exists and is not an inforates evaluation folder; pass --overwrite to write into it "
            "(only inforates' own result files are replaced) or choose another --eval_output_dir"
        )

    def _damage(self, run: dict) -> str | None:
        """Why a finished run's result files are not those it wrote (records without file sizes: not checked)."""
        for name, record in (run.get("files") or {}).items():
            if (problem := file_problem(self.path / name, record)) is not None:
                return problem
        return None

    def _ours(self) -> set[str]:
        """The result files inforates wrote here: those the finished run lists (every result file, for a record
        from before the lists), and those an unfinished run was writing when it stopped."""
        ours = set((read_json(self.progress_path) or {}).get("writing", []))
        run = read_json(self.run_path)
        if run is not None and run.get("status") == "complete":
            ours |= {"run.json", *(run.get("files") or RESULT_FILES)}
        return ours

    def _refuse_foreign(self, why: str) -> None:
        """``OutputError`` when a result file's name is taken by a file inforates did not write here."""
        ours = self._ours()
        foreign = [name for name in RESULT_FILES if (self.path / name).exists() and name not in ours]
        if foreign:
            them = "it" if len(foreign) == 1 else "them"
            raise OutputError(f"{self.path}: {', '.join(foreign)} would be replaced by {why}, but inforates did not "
                              f"write {them}; move {them} away or choose another --eval_output_dir")  # fmt: skip

    def start(self, state: str) -> dict:
        """Make the folder ready for ``state`` (removing our own files for a new run); return the progress."""
        if state == "new":
            self.clear()
            self.path.mkdir(parents=True, exist_ok=True)
            progress = {"fingerprint": self.fingerprint, "shards": {}, "sessions": 0}
        else:
            progress = read_json(self.progress_path) or {}
        progress["sessions"] = int(progress.get("sessions", 0)) + 1
        write_json(self.progress_path, progress)
        self.shard_dir.mkdir(exist_ok=True)
        return progress

    def clear(self) -> None:
        """Remove inforates' own files (result files, progress, shards, stale temporaries); nothing else."""
        if not self.path.is_dir():
            return
        for name in sorted(self._ours()) + ["progress.json"]:
            (self.path / name).unlink(missing_ok=True)
        shutil.rmtree(self.shard_dir, ignore_errors=True)
        for tmp in self.path.glob(".*.tmp"):
            tmp.unlink(missing_ok=True)

    def read_progress(self) -> dict:
        progress = read_json(self.progress_path)
        if progress is None:
            raise RuntimeError(f"{self.progress_path}: missing or unreadable")
        return progress

    def clear_work_files(self) -> None:
        """Remove what a finished run no longer needs (left behind when killed right after finishing)."""
        self.progress_path.unlink(missing_ok=True)
        shutil.rmtree(self.shard_dir, ignore_errors=True)

    def done_shards(self, progress: dict) -> set[int]:
        """Shards recorded as done whose files are those written (a damaged one is named in ``problems``)."""
        done = set()
        for key, info in progress.get("shards", {}).items():
            problem = self._shard_problem(int(key), info)
            if problem is None:
                done.add(int(key))
            else:
                self.problems.append(f"{self.shard_dir}: shard {key}: {problem}: computing it again")
        return done

    def _shard_problem(self, index: int, info: dict) -> str | None:
        if "files" not in info:  # recorded before shards had file records: readable is all that can be asked
            try:
                pq.read_metadata(self._shard_path(index))
            except (OSError, pa.ArrowException) as err:
                return f"{self._shard_path(index).name} is unreadable ({err})"
            return None
        for name, record in info["files"].items():
            if (problem := file_problem(self.shard_dir / name, record)) is not None:
                return problem
        return None

    def _shard_path(self, index: int) -> Path:
        return self.shard_dir / f"{index:05d}.parquet"

    def write_shard(
        self,
        progress: dict,
        index: int,
        predictions: pd.DataFrame,
        skipped: pd.DataFrame,
        info: dict,
        views: pd.DataFrame | None = None,
    ):
        """Write one shard's predictions, skips and per-view rows (several views only), then record it (the order
        that makes a kill harmless)."""
        names = [f"{index:05d}.skipped.csv", self._shard_path(index).name]
        write_csv(self.shard_dir / names[0], skipped)
        if views is not None:
            names.append(f"{index:05d}.views.parquet")
            write_parquet(self.shard_dir / names[-1], views)
        write_parquet(self._shard_path(index), predictions)
        crash_point("shard-before-record")
        files = {name: file_record(self.shard_dir / name) for name in names}
        progress.setdefault("shards", {})[str(index)] = {**info, "files": files}
        write_json(self.progress_path, progress)

    def read_shards(self, progress: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
        """All recorded shards' predictions and skips, in shard order."""
        order = sorted(int(k) for k in progress.get("shards", {}))
        parts = [pd.read_parquet(self._shard_path(i)) for i in order]
        predictions = pd.concat([p for p in parts if len(p)] or parts[:1], ignore_index=True)
        skipped = pd.concat(
            [pd.read_csv(self.shard_dir / f"{i:05d}.skipped.csv", keep_default_na=False) for i in order],
            ignore_index=True,
        )
        return predictions, skipped

    def read_view_shards(self, progress: dict) -> pd.DataFrame:
        """All recorded shards' per-view rows, in shard order (several views per cell)."""
        order = sorted(int(k) for k in progress.get("shards", {}))
        parts = [pd.read_parquet(self.shard_dir / f"{i:05d}.views.parquet") for i in order]
        return pd.concat([p for p in parts if len(p)] or parts[:1], ignore_index=True)

    def finish(self, progress: dict, tables: dict[str, pd.DataFrame], run: dict) -> None:
        """Write the result files (named in the progress record first: they are ours even if a kill stops this
        half-way), ``run.json`` last with their sizes and hashes, then drop the work files."""
        write_json(self.progress_path, {**progress, "writing": [*tables, "run.json"]})
        for name, table in tables.items():
            (write_parquet if name.endswith(".parquet") else write_csv)(self.path / name, table)
        crash_point("finish-before-record")
        files = {name: file_record(self.path / name) for name in tables}
        write_json(self.run_path, {**run, "status": "complete", "fingerprint": self.fingerprint, "files": files})
        self.clear_work_files()
