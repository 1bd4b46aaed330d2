"""Experiment trackers for the stages after training: evaluation, comparison and the study log where training does.

    run = TrackerRun(["wandb"], project="inforates", name="videomae", job_type="evaluate", config={...},
                     folder=Path("outputs/eval"))
    run.log_table("results", results)               # a pandas DataFrame
    run.log_image("figures/accuracy_heatmap", png)  # a file written by the plots
    run.log_file("report", Path("report.md"))
    run.finish()

``report_to`` takes the Trainer's names: ``wandb``, ``trackio``, ``tensorboard`` (others, and ``none``, log nothing
here). The project and the run name default to the training run's (:func:`tracking_names`), so a model's training
curves and its sampling grid sit in one project under one name; the ``job_type`` (wandb) or a name suffix (trackio,
tensorboard) tells the runs apart. A study sets ``INFORATES_RUN_GROUP`` (and wandb's ``WANDB_RUN_GROUP``) to its
name: every run it starts is in that group. Offline modes work without an account: ``WANDB_MODE=offline`` writes a
run folder under ``<folder>/wandb``, trackio writes its local SQLite store (``TRACKIO_DIR``), tensorboard writes
event files under ``<folder>/runs``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd


logger = logging.getLogger(__name__)

TRACKERS = ("wandb", "trackio", "tensorboard")
DEFAULT_PROJECT = "huggingface"  # the Trainer's: TrainingArguments.project, WANDB_PROJECT
GROUP_ENV = "INFORATES_RUN_GROUP"
TRACKER_FOLDERS = ("wandb", "runs")  # what wandb and tensorboard write into a stage's folder


def requested_trackers(report_to: str | Iterable[str] | None) -> list[str]:
    """The trackers of ``report_to`` this module logs to, in its order.

    >>> requested_trackers(["tensorboard", "wandb", "codecarbon"]), requested_trackers("none")
    (['wandb', 'tensorboard'], [])
    """
    names = [report_to] if isinstance(report_to, str) else list(report_to or [])
    if "all" in names:
        names = list(TRACKERS)
    return [t for t in TRACKERS if t in names]


def tracking_names(training_args, fallback: str) -> tuple[str, str]:
    """(project, run name) of a training run: the recipe's ``project`` when set, else wandb's ``WANDB_PROJECT``, else
    the Trainer's default; the recipe's ``run_name``, else ``fallback`` (the model's name). Training and the later
    stages use the same pair."""
    project = getattr(training_args, "project", None)
    return default_project(None if project == DEFAULT_PROJECT else project), training_args.run_name or fallback


def default_project(project: str | None = None) -> str:
    """``project`` if given, else wandb's ``WANDB_PROJECT``, else the Trainer's default."""
    return project or os.environ.get("WANDB_PROJECT") or DEFAULT_PROJECT


def current_group() -> str | None:
    """The group a study put this run in, if any."""
    return os.environ.get(GROUP_ENV) or os.environ.get("WANDB_RUN_GROUP") or None


@contextlib.contextmanager
def study_group(name: str):
    """Within it, every run this process or its subprocesses start is in the group ``name`` (unless a group is set
    already: a study inside a sweep keeps the sweep's)."""
    saved = {key: os.environ.get(key) for key in (GROUP_ENV, "WANDB_RUN_GROUP")}
    group = current_group() or name
    os.environ.update({GROUP_ENV: group, "WANDB_RUN_GROUP": group})
    try:
        yield group
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _json_safe(config: Mapping) -> dict:
    """Config values trackers can store: numbers, strings, lists and dicts of those, the rest as strings."""

    def safe(value):
        if isinstance(value, Mapping):
            return {str(k): safe(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [safe(v) for v in value]
        if value is None or isinstance(value, (bool, int, float, str)):
            return value
        return str(value)

    return safe(dict(config))


class TrackerRun:
    """One run in each requested tracker, logging tables, images, scalars and files. A tracker that is not installed
    is named in one warning and skipped: the stage's own files are what counts."""

    def __init__(
        self,
        report_to,
        *,
        project: str,
        name: str,
        job_type: str,
        config: Mapping,
        folder: str | Path,
        group: str | None = None,
    ):
        self.folder, self.name, self.job_type = Path(folder), name, job_type
        group = group or current_group()
        config = _json_safe(config)
        self._wandb = self._trackio = self._tensorboard = None
        for tracker in requested_trackers(report_to):
            try:
                getattr(self, f"_open_{tracker}")(project, group, config)
            except ImportError:
                logger.warning("report_to %s: the package is not installed; pip install %s", tracker, tracker)

    def _open_wandb(self, project, group, config):
        import wandb

        self.folder.mkdir(parents=True, exist_ok=True)
        self._wandb = wandb.init(
            project=project, name=self.name, group=group, job_type=self.job_type, config=config,
            dir=str(self.folder), reinit="create_new",
        )  # fmt: skip

    def _open_trackio(self, project, group, config):
        import trackio

        self._trackio = trackio.init(project=project, name=f"{self.name}-{self.job_type}", group=group, config=config)

    def _open_tensorboard(self, project, group, config):
        from torch.utils.tensorboard import SummaryWriter

        self._tensorboard = SummaryWriter(str(self.folder / "runs" / f"{self.name}-{self.job_type}"))
        self._tensorboard.add_text("config", f"```\n{pd.Series(config).to_string()}\n```")

    def log_scalars(self, values: Mapping[str, float]) -> None:
        values = {k: float(v) for k, v in values.items() if v is not None and pd.notna(v)}
        if self._wandb is not None:
            self._wandb.summary.update(values)
            self._wandb.log(values)
        if self._trackio is not None:
            self._trackio.log(values)
        if self._tensorboard is not None:
            for key, value in values.items():
                self._tensorboard.add_scalar(key, value)

    def log_table(self, key: str, table: pd.DataFrame) -> None:
        table = table.reset_index(drop=True)
        table = table.astype({c: str for c in table.columns if table[c].dtype == object})
        if self._wandb is not None:
            import wandb

            self._wandb.log({key: wandb.Table(dataframe=table)})
        if self._trackio is not None:
            import trackio

            self._trackio.log({key: trackio.Table(dataframe=table)})
        if self._tensorboard is not None:
            self._tensorboard.add_text(key, f"```\n{table.to_string(index=False)}\n```")

    def log_image(self, key: str, path: str | Path) -> None:
        if self._wandb is not None:
            import wandb

            self._wandb.log({key: wandb.Image(str(path))})
        if self._trackio is not None:
            import trackio

            self._trackio.log({key: trackio.Image(str(path))})
        if self._tensorboard is not None:
            import matplotlib.image

            self._tensorboard.add_image(key, matplotlib.image.imread(str(path))[..., :3], dataformats="HWC")

    def log_file(self, key: str, path: str | Path) -> None:
        """A text file (a report): a file of the wandb run, Markdown in trackio, text in tensorboard."""
        path = Path(path)
        if self._wandb is not None:  # a copy in the run's folder, uploaded with it (a link would follow later edits)
            shutil.copyfile(path, Path(self._wandb.dir) / path.name)
        if self._trackio is not None:
            import trackio

            self._trackio.log({key: trackio.Markdown(path.read_text())})
        if self._tensorboard is not None:
            self._tensorboard.add_text(key, path.read_text())

    def finish(self) -> None:
        if self._wandb is not None:
            self._wandb.finish()
        if self._trackio is not None:
            self._trackio.finish()
        if self._tensorboard is not None:
            self._tensorboard.close()
        self._wandb = self._trackio = self._tensorboard = None
