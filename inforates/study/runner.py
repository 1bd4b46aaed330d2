"""Running a study's models: train (reused when finished, resumed when interrupted) then evaluate, one model after
another in this process, or ``parallel`` at once, each in its own subprocesses with its own devices.

    slots = device_slots(2, gpus=["0", "1", "2", "3"])      # [{'CUDA_VISIBLE_DEVICES': '0,1'}, {... '2,3'}]
    outcome = run_model(model, slots[0], options)           # ModelOutcome: each stage done, reused or failed

A failed stage is reported by its error line; the other models go on.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InforatesError, RecipeError
from ..files import redacted
from .plan import StudyModel


STAGES = ("train", "evaluate")
_PRINT = threading.Lock()


def say(name: str, text: str) -> None:
    with _PRINT:
        print(f"[{name}] {text}", flush=True)


@dataclass
class Options:
    """How models run: ``fresh`` retrains and re-evaluates; ``accelerate_config`` launches training with
    ``accelerate launch --config_file``; ``logs``: the folder of the subprocess logs."""

    logs: Path
    fresh: bool = False
    accelerate_config: str | None = None


@dataclass
class Slot:
    """A share of the machine for one model at a time: environment variables, extra recipe arguments, GPUs, and
    the port of its ``accelerate launch`` (launches side by side on one machine need their own)."""

    env: dict[str, str] = field(default_factory=dict)
    args: list[str] = field(default_factory=list)
    gpus: int = 0
    port: int | None = None


@dataclass
class ModelOutcome:
    name: str
    stages: dict[str, str] = field(default_factory=dict)  # stage -> done | reused | failed
    seconds: dict[str, float] = field(default_factory=dict)
    error: str | None = None  # "<stage>: <its error line>"
    log: Path | None = None

    @property
    def finished(self) -> bool:
        return all(self.stages.get(stage) in ("done", "reused") for stage in STAGES)


class StageError(Exception):
    """A stage run as a subprocess failed; the message is its error line."""


def visible_gpus() -> list[str]:
    import torch

    count = torch.cuda.device_count()
    listed = [d.strip() for d in os.environ.get("CUDA_VISIBLE_DEVICES", "").split(",") if d.strip()]
    return listed[:count] if len(listed) >= count else [str(i) for i in range(count)]


def cpu_cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def device_slots(parallel: int, gpus: list[str] | None = None, cores: int | None = None) -> list[Slot]:
    """``parallel`` slots: the visible GPUs split evenly (``CUDA_VISIBLE_DEVICES``; any remainder left idle), or
    without GPUs (``gpus=[]``: none, or CPU recipes) the CPU cores (``OMP_NUM_THREADS``, no DataLoader workers)."""
    gpus = visible_gpus() if gpus is None else gpus
    cores = cpu_cores() if cores is None else cores
    if parallel < 1:
        raise RecipeError(f"--parallel {parallel}: run at least 1 model at a time")
    if gpus:
        if parallel > len(gpus):
            raise RecipeError(f"--parallel {parallel}: this machine shows {len(gpus)} GPU(s); run at most that many "
                              "models at once (each gets its own GPUs)")  # fmt: skip
        per = len(gpus) // parallel
        return [
            Slot({"CUDA_VISIBLE_DEVICES": ",".join(gpus[i * per : (i + 1) * per])}, gpus=per, port=29500 + i)
            for i in range(parallel)
        ]
    if parallel > cores:
        raise RecipeError(f"--parallel {parallel}: the models run on the CPU, which has {cores} core(s); run at most "
                          f"{cores} models at once")  # fmt: skip
    threads = str(cores // parallel)
    env = {"OMP_NUM_THREADS": threads, "MKL_NUM_THREADS": threads}
    return [Slot(dict(env), ["--dataloader_num_workers", "0"]) for _ in range(parallel)]


def _error_line(lines: list[str]) -> str:
    """The one-line ``error: ...`` of ``inforates``, else the last line (a traceback's exception)."""
    lines = [line.strip() for line in lines if line.strip()]
    errors = [line for line in lines if line.startswith("error: ")]
    return (errors[-1].removeprefix("error: ") if errors else lines[-1] if lines else "no output").strip()


def run_logged(command: list[str], env: dict[str, str], log: Path, echo: bool) -> None:
    """Run ``command``, its output appended to ``log`` (and echoed when ``echo``); ``StageError`` on failure."""
    log.parent.mkdir(parents=True, exist_ok=True)
    tail: list[str] = []
    with open(log, "a") as f:
        f.write(f"$ {' '.join(redacted(command))}\n")
        f.flush()
        env = {**os.environ, "PYTHONUNBUFFERED": "1", **env}
        with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env) as proc:
            for line in proc.stdout:
                f.write(line)
                tail = (tail + [line])[-50:]
                if echo:
                    sys.stdout.write(line)
                    sys.stdout.flush()
    if proc.returncode != 0:
        raise StageError(f"{_error_line(tail)} (exit status {proc.returncode}; log: {log})")


def stage_command(stage: str, argv: list[str], options: Options, slot: Slot | None) -> list[str]:
    if stage == "train" and options.accelerate_config:
        launch = [sys.executable, "-m", "accelerate.commands.launch", "--config_file", options.accelerate_config]
        gpus = slot.gpus if slot is not None else len(visible_gpus())
        launch += ["--num_processes", str(gpus)] if gpus else []
        launch += ["--main_process_port", str(slot.port)] if slot is not None and slot.port else []
        return [*launch, "-m", "inforates.train", *argv]
    return [sys.executable, "-m", "inforates.cli", stage, *argv]


def _eval_stamp(folder: Path) -> str | None:
    """When the finished evaluation in ``folder`` finished (None: none there)."""
    try:
        run = json.loads((folder / "run.json").read_text())
    except (OSError, ValueError):
        return None
    return str(run.get("timings", {}).get("finished")) if run.get("status") == "complete" else None


def _stage(model: StudyModel, stage: str, slot: Slot | None, options: Options, trained: bool) -> str:
    """Run one stage of ``model``; returns ``done`` or ``reused``."""
    from ..training.run_dir import is_finished

    before = None
    if stage == "train":
        if not options.fresh and is_finished(model.recipe):
            say(model.name, f"train: reusing the finished run in {model.output_dir}")
            return "reused"
        changes = {"overwrite_output_dir": True} if options.fresh else {}
    else:  # a model trained just now replaces the evaluation of its earlier weights
        before = _eval_stamp(model.eval_dir)
        changes = {"overwrite": True} if options.fresh or trained else {}
    say(model.name, f"{stage}: -> {model.output_dir if stage == 'train' else model.eval_dir}")
    if slot is not None or (stage == "train" and options.accelerate_config):  # in subprocesses of their own
        argv = [*model.argv, *(w for key in changes for w in (f"--{key}", "true")), *(slot.args if slot else [])]
        log = options.logs / f"{model.name}.log"
        run_logged(stage_command(stage, argv, options, slot), slot.env if slot else {}, log, echo=slot is None)
    elif stage == "train":
        from ..training.run import train

        train(model.recipe.replace(**changes))
    else:
        from ..analysis.tracking import evaluation_logger
        from ..evaluation.run import evaluate

        recipe = model.recipe.replace(**changes)
        evaluate(recipe, command=model.argv, on_evaluated=evaluation_logger(recipe))
    if stage == "evaluate" and before is not None and _eval_stamp(model.eval_dir) == before:
        say(model.name, f"evaluate: reusing the complete evaluation in {model.eval_dir}")
        return "reused"
    return "done"


def run_model(model: StudyModel, slot: Slot | None, options: Options) -> ModelOutcome:
    """Train then evaluate ``model`` (in this process when ``slot`` is None); a failure is recorded, not raised."""
    outcome = ModelOutcome(model.name)
    for stage in STAGES:
        tic = time.perf_counter()
        try:
            outcome.stages[stage] = _stage(model, stage, slot, options, outcome.stages.get("train") == "done")
        except (InforatesError, StageError) as err:
            outcome.error = f"{stage}: {err}"
        except Exception as err:  # a bug, or the machine: the traceback for the record, the other models go on
            traceback.print_exc()
            outcome.error = f"{stage}: {type(err).__name__}: {str(err).strip().splitlines()[0] if str(err) else ''}"
        outcome.seconds[stage] = time.perf_counter() - tic
        if outcome.error:
            outcome.stages[stage] = "failed"
            say(model.name, f"{stage} FAILED: {outcome.error.split(': ', 1)[1]}")
            break
        say(model.name, f"{stage}: {outcome.stages[stage]} ({outcome.seconds[stage]:.0f} s)")
    if slot is not None or options.accelerate_config:
        outcome.log = options.logs / f"{model.name}.log"
    return outcome


def run_models(models: list[StudyModel], parallel: int, options: Options) -> list[ModelOutcome]:
    """Every model: one after another in this process (``parallel`` 1), else up to ``parallel`` at once, each
    in subprocesses on its own devices (:func:`device_slots`), logging to ``<logs>/<name>.log``."""
    if parallel == 1:
        outcomes = []
        for i, model in enumerate(models, 1):
            print(f"\n=== {model.name} ({i}/{len(models)}): train, evaluate ===", flush=True)
            outcomes.append(run_model(model, None, options))
        return outcomes
    on_cpu = all(m.recipe.training.use_cpu for m in models)  # CPU recipes on a GPU machine share out its cores
    slots = device_slots(parallel, gpus=[] if on_cpu else None)
    free: queue.Queue[Slot] = queue.Queue()
    for slot in slots:
        free.put(slot)
    what = f"{slots[0].gpus} GPU(s)" if slots[0].gpus else f"{slots[0].env.get('OMP_NUM_THREADS')} CPU thread(s)"
    print(
        f"\n=== train, evaluate: {len(models)} models, {parallel} at a time, {what} each; logs in {options.logs}/ ==="
    )

    def work(model: StudyModel) -> ModelOutcome:
        slot = free.get()
        try:
            where = slot.env.get("CUDA_VISIBLE_DEVICES")
            say(
                model.name,
                f"started{f' on GPU {where}' if where else ''}; log: {options.logs / (model.name + '.log')}",
            )
            return run_model(model, slot, options)
        finally:
            free.put(slot)

    with ThreadPoolExecutor(max_workers=parallel) as pool:
        return list(pool.map(work, models))
