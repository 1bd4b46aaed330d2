"""A study as one call, and the steps it is made of (which ``inforates demo`` composes with checks of its own).

    recipes = ["recipes/videomae/ucf101.yaml", "recipes/vivit/ucf101.yaml"]
    result = run_study(recipes, "outputs/study/two")
    result.summary["models"]["videomae"]["accuracy"]

Steps, in order: :func:`~inforates.study.plan.plan_study` (every check, before any work) -> :func:`check_options` ->
:func:`train_and_evaluate` (each model trained, reused or resumed, then evaluated) -> :func:`compare_study` (one
comparison of every finished model, after checking they saw the same test videos and cells; left as it is when
it compared these very runs) -> :func:`finish` (``study_summary.json``, not rewritten when nothing changed).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import RecipeError
from ..trackers import study_group
from .plan import SUMMARY_FILE, Study, StudyModel, plan_study
from .runner import ModelOutcome, Options, device_slots, run_models
from .summary import check_same_inputs, eval_complete, study_summary


@dataclass
class StudyResult:
    study: Study
    outcomes: dict[str, ModelOutcome] = field(default_factory=dict)
    analysis: Any = None  # the comparison (inforates.analysis.entry.Analysis), None when none ran
    summary: dict = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    exit_status: int = 0

    def finished(self) -> list[StudyModel]:
        """The models whose training and evaluation finished (every model after ``--compare-only``)."""
        return [m for m in self.study.models if m.name not in self.outcomes or self.outcomes[m.name].finished]

    def unchanged(self) -> bool:
        """Whether this run only found finished work: every model's stages reused and the comparison too."""
        reused = all(stage == "reused" for o in self.outcomes.values() for stage in o.stages.values())
        return reused and self.analysis is not None and bool(self.analysis.extras.get("reused"))


def banner(text: str) -> None:
    print(f"\n=== {text} ===", flush=True)


def check_options(study: Study, parallel: int = 1, only: int | None = None, accelerate_config: str | None = None):
    """The launch options, checked against the planned study before any work (``RecipeError``)."""
    if only is not None and not 0 <= only < len(study.models):
        raise RecipeError(
            f"--only {only}: the study has {len(study.models)} models, numbered 0-{len(study.models) - 1}"
        )
    if only is not None and parallel != 1:
        raise RecipeError("--only runs one model; leave --parallel out")
    if parallel != 1:  # more models at once than the machine has devices for: refused before any work
        device_slots(parallel, gpus=[] if all(m.recipe.training.use_cpu for m in study.models) else None)
    if accelerate_config and not Path(accelerate_config).is_file():
        raise RecipeError(f"--accelerate_config {accelerate_config}: no such file")


def print_plan(study: Study) -> None:
    banner(f"study: {len(study.models)} models -> {study.out}/")
    for i, model in enumerate(study.models):
        print(f"  {i}  {model.name:<18} {model.recipe_path} -> {model.output_dir}/, {model.eval_dir}/")


def prepare_data(study: Study) -> None:
    """The synthetic benchmark is generated once, here, before models that share it start (in parallel)."""
    from ..data.synthetic import ensure_synthetic

    synthetic = {
        m.recipe.data.dataset_dir: m.recipe.data for m in study.models if m.recipe.data.dataset_source == "synthetic"
    }
    for data_args in synthetic.values():
        print(f"synthetic benchmark: {ensure_synthetic(data_args)}", flush=True)


def train_and_evaluate(
    result: StudyResult,
    parallel: int = 1,
    fresh: bool = False,
    accelerate_config: str | None = None,
    only: int | None = None,
) -> None:
    """Train then evaluate every model (``only``: the ``only``-th alone) into ``result.outcomes``."""
    study, tic = result.study, time.perf_counter()
    prepare_data(study)
    selected = study.models if only is None else [study.models[only]]
    options = Options(study.out / "logs", fresh, accelerate_config)
    for outcome in run_models(selected, parallel, options):
        result.outcomes[outcome.name] = outcome
        result.timings.update({f"{stage} {outcome.name}": s for stage, s in outcome.seconds.items()})
    result.timings["train + evaluate"] = time.perf_counter() - tic


def compare_study(
    result: StudyResult,
    protocol: str = "both",
    n_boot: int = 1000,
    overwrite: bool = False,
    allow_mixed: bool = False,
    others: tuple[str, ...] = (),
    **options,
) -> tuple[dict, dict]:
    """Compare the finished models into the study's folder; returns its ``(statistical, multimodel)`` JSON.

    The same comparison of unchanged runs with the same ``options`` (``compare``'s keywords, e.g.
    ``nyquist_exclude``) is left as it is (:func:`~inforates.analysis.compare.compare`). ``others``: more of the
    caller's own files beside the report (kept, never replaced)."""
    from ..analysis.compare import compare
    from ..analysis.inputs import load_runs

    study, done, tic = result.study, result.finished(), time.perf_counter()
    if not done:
        return {}, {}
    study.mixed = check_same_inputs({m.name: m.eval_dir for m in done}, allow_mixed) or study.mixed
    banner(f"compare {len(done)} model(s) -> {study.out}/report.md")
    owned = (*(m.name for m in study.models), "eval", "logs", SUMMARY_FILE, *others)  # beside the report
    result.analysis = compare(load_runs([m.eval_dir for m in done]), study.out, protocol=protocol, n_boot=n_boot,
                              overwrite=overwrite, flag="--overwrite", others=owned, **options)  # fmt: skip
    result.timings["compare"] = time.perf_counter() - tic
    if not result.analysis.extras.get("reused"):
        log_study_comparison(study, done)
    return result.analysis.statistical, result.analysis.multimodel


def log_study_comparison(study: Study, done: list[StudyModel]) -> None:
    """The comparison to every tracker a model's recipe reports to, in the first model's project, named and grouped
    after the study's folder."""
    from ..analysis.tracking import log_comparison
    from ..trackers import requested_trackers, tracking_names

    trackers = sorted({t for m in done for t in requested_trackers(m.recipe.training.report_to)})
    project, _ = tracking_names(done[0].recipe.training, done[0].name)
    if log_comparison(study.out, trackers, project, study.out.name):
        print(f"comparison logged to {', '.join(trackers)}", flush=True)


def finish(result: StudyResult, statistical: dict, multimodel: dict, began: float) -> StudyResult:
    """The summary (``study_summary.json``) and the exit status: 0 only when every model finished."""
    from ..analysis.outputs import to_jsonable
    from ..files import write_json

    study, done = result.study, result.finished()
    result.timings["total"] = time.perf_counter() - began
    result.summary = study_summary(study, result.outcomes, done, statistical, multimodel, study.mixed, result.timings)
    result.exit_status = 0 if len(done) == len(study.models) else 1
    result.summary.update(exit_status=result.exit_status)
    if result.unchanged() and (study.out / SUMMARY_FILE).is_file():
        print(f"{study.out}: the study is already finished (unchanged)", flush=True)
        return result
    study.out.mkdir(parents=True, exist_ok=True)
    write_json(study.out / SUMMARY_FILE, to_jsonable(result.summary))
    return result


def run_study(
    recipes: list[str],
    out: str | Path,
    shared: dict | None = None,
    parallel: int = 1,
    overrides: list[str] = (),
    accelerate_config: str | None = None,
    only: int | None = None,
    compare_only: bool = False,
    allow_mixed: bool = False,
    fresh: bool = False,
    overwrite: bool = False,
    protocol: str = "both",
    n_boot: int = 1000,
) -> StudyResult:
    """Plan (every check, before any work), train + evaluate each model (``only``: the ``only``-th alone;
    ``compare_only``: none), compare, summarise. Bad input raises ``RecipeError``; a failed model does not."""
    began = time.perf_counter()
    study = plan_study(recipes, out, shared, overrides, allow_mixed)
    check_options(study, parallel, only, accelerate_config)
    with study_group(study.out.name):
        return _run_study(study, began, parallel, accelerate_config, only, compare_only, allow_mixed, fresh,
                          overwrite, protocol, n_boot)  # fmt: skip


def _run_study(study, began, parallel, accelerate_config, only, compare_only, allow_mixed, fresh, overwrite, protocol,
               n_boot) -> StudyResult:  # fmt: skip
    print_plan(study)
    result = StudyResult(study)
    if compare_only:
        missing = [m.name for m in study.models if not eval_complete(m.eval_dir)]
        if missing:
            raise RecipeError(
                f"--compare-only: no complete evaluation of {', '.join(missing)} in {study.out}/eval/; "
                "run them first (the same command without --compare-only, or with --only I)"
            )
    else:
        train_and_evaluate(result, parallel, fresh, accelerate_config, only)
        if only is not None:
            outcome = result.outcomes[study.models[only].name]
            print(
                f"{outcome.name}: {'finished' if outcome.finished else 'FAILED: ' + str(outcome.error)}; compare "
                "once every model is done: the same command with --compare-only instead of --only"
            )
            result.exit_status = 0 if outcome.finished else 1
            return result
    statistical, multimodel = compare_study(result, protocol, n_boot, overwrite, allow_mixed)
    return finish(result, statistical, multimodel, began)
