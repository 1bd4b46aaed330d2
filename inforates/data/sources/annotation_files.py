"""Reading the files that list a dataset's videos: every fault is one error naming the file and the line.

    lines = read_lines(Path("ucfTrainTestlist/trainlist01.txt"), FIX)   # [(1, "ApplyEyeMakeup/v_..avi 1"), ...]
    rows = read_table(Path("videos.csv"))                               # [(2, {"path": ..., "label": ...}), ...]
    path = inside(root, "Walk/v_Walk_g01_c01.avi", "trainlist01.txt:3")  # absolute; never outside root

Text is UTF-8 (a byte-order mark is fine), or UTF-16 with its byte-order mark; anything else is refused with the
line of the first byte that is not UTF-8. A path from a list is resolved (``..`` and symlinks followed) and must
stay inside its root: a list never makes the toolkit open a file elsewhere.
"""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

from .common import DatasetError


def read_text(path: Path, fix: str) -> str:
    """The text of ``path`` (see the module's docstring); a missing or undecodable file is a ``DatasetError``."""
    if not path.is_file():
        raise DatasetError(f"{path}: not found; {fix}")
    data = path.read_bytes()
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise DatasetError(f"{path}: starts as UTF-16 but is not; save it as UTF-8") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise DatasetError(f"{path}:{line}: not UTF-8 text (byte 0x{data[err.start]:02x}); save the file as "
                           "UTF-8") from None  # fmt: skip


def read_lines(path: Path, fix: str) -> list[tuple[int, str]]:
    """``(line number, stripped line)`` of every non-blank line."""
    return [(n, line.strip()) for n, line in enumerate(read_text(path, fix).splitlines(), 1) if line.strip()]


def read_table(path: Path, fix: str = "list one video per row") -> list[tuple[int, dict]]:
    """``(line number, row)`` of a CSV (header line) or JSONL (one object per line) file, values as strings; a row
    with more fields than the header, or a line that is not a JSON object, is a ``DatasetError`` naming its line."""
    text = read_text(path, fix)
    rows = []
    if path.suffix.lower() in (".jsonl", ".json", ".ndjson"):
        for n, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as err:
                raise DatasetError(f"{path}:{n}: not a JSON object ({err.msg}); write one object per line") from None
            if not isinstance(row, dict):
                raise DatasetError(f"{path}:{n}: expected a JSON object per line, got {type(row).__name__}")
            rows.append((n, {k: "" if v is None else str(v) for k, v in row.items()}))
        return rows
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = reader.fieldnames or []
    for row in reader:
        if None in row:
            raise DatasetError(f"{path}:{reader.line_num}: {len(header) + len(row[None])} fields, but the header has "
                               f"{len(header)} ({','.join(header)}); quote values that hold commas")  # fmt: skip
        rows.append((reader.line_num, {(k or "").strip(): (v or "").strip() for k, v in row.items()}))
    return rows


def read_json(path: Path, fix: str):
    """The parsed JSON file at ``path``; a missing or malformed file is one ``DatasetError`` ending in ``fix``."""
    text = read_text(path, fix)
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise DatasetError(f"{path}:{err.lineno}: not valid JSON ({err.msg}); {fix}") from None


def inside(root: Path, listed: str | Path, where: str) -> Path:
    """``root / listed`` as an absolute path (an absolute ``listed`` as it is); a ``DatasetError`` naming ``where``
    (the file and line that listed it) when it lies outside ``root`` once ``..`` and links are resolved."""
    path = Path(os.path.abspath(root / listed))
    if not path.resolve().is_relative_to(root.resolve()):
        raise DatasetError(f"{where}: {str(listed)!r} lies outside {root} (after resolving '..' and links); list "
                           "only videos inside it, or set dataset_dir to a folder that holds them all")  # fmt: skip
    return path
