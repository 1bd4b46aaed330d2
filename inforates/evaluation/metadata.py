"""What run.json records about the software: package versions and the git revision of this checkout."""

from __future__ import annotations

import platform
import subprocess
from importlib import metadata
from pathlib import Path


PACKAGES = ("inforates", "torch", "torchcodec", "transformers", "accelerate", "datasets", "numpy", "pandas")


def package_versions(packages=PACKAGES) -> dict[str, str | None]:
    versions: dict[str, str | None] = {"python": platform.python_version()}
    for name in packages:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def git_revision(path: str | Path | None = None) -> dict[str, str | bool | None]:
    """``{"commit", "dirty"}`` of the git checkout holding ``path`` (this package by default); None outside git."""
    where = str(path or Path(__file__).resolve().parent)
    try:
        commit = subprocess.run(
            ["git", "-C", where, "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()
        status = subprocess.run(
            ["git", "-C", where, "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}
    return {"commit": commit, "dirty": bool(status.strip())}
