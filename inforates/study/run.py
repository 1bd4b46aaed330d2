"""A study as one call, and the steps it is made of (which ``inforates demo`` composes with checks of its own).

    recipes = ["recipes/videomae/ucf101.yaml", "recipes/vivit/ucf101.yaml"]
    result = run_study(recipes, "outputs/study/two")
    result.summary["models"]["videomae"]["accuracy"]

Steps, in order: :func:`~inforates.study.plan.plan_study` (every check, before any work) -> :func:`check_options` ->
:func:`train_and_evaluate` (each model trained, reused or resumed, then evaluated) -> :func:`compare_study` (one
comparison of every finished model, after checking they saw the same test videos and cells; reused when it
compared these very runs) -> :func:`finish` (``study_summary.json``).
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import RecipeError
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
    compare_inputs: dict | None = None  # what the comparison compared (its reuse key)
    exit_status: int = 0

    def finished(self) -> list[StudyModel]:
        """The models whose training and evaluation finished (every model after ``--compare-only``)."""
        return [m for m in self.study.models if m.name not in self.outcomes or self.outcomes[m.name].finished]


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


def analysis_digest() -> str:
    """A hash of the analysis code (``inforates/analysis/*.py``): another version of it compares anew."""
    digest = hashlib.sha256()
    for path in sorted((Path(__file__).resolve().parents[1] / "analysis").glob("*.py")):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:16]


def compare_key(models: list[StudyModel], protocol: str, n_boot: int) -> dict:
    """What a comparison depends on: each run's ``run.json`` (its sha256), the protocol, the resamples and the
    analysis code."""
    runs = {m.name: hashlib.sha256((m.eval_dir / "run.json").read_bytes()).hexdigest() for m in models}
    return {"runs": runs, "protocol": protocol, "n_boot": n_boot, "analysis": analysis_digest()}


def _reused_comparison(out: Path, key: dict) -> tuple[dict, dict]:
    """The statistics and the multi-model analysis of the comparison in ``out``, when it compared these very runs."""
    names = ("statistical_results.json", "multimodel_analysis.json")
    try:
        earlier = json.loads((out / SUMMARY_FILE).read_text()).get("compare_inputs")
        if earlier != key or not (out / "report.md").is_file():
            return {}, {}
        statistical, multimodel = (json.loads((out / name).read_text()) for name in names)
    except (OSError, ValueError):
        return {}, {}
    return statistical, multimodel


def compare_study(
    result: StudyResult,
    protocol: str = "both",
    n_boot: int = 1000,
    fresh: bool = False,
    overwrite: bool = False,
    allow_mixed: bool = False,
    others: tuple[str, ...] = (),
    **options,
) -> tuple[dict, dict]:
    """Compare the finished models into the study's folder; returns its ``(statistical, multimodel)`` JSON.

    A comparison of these very runs with the same ``options`` (``compare``'s keywords, e.g. ``nyquist_exclude``)
    is reused unless ``fresh``. ``others``: more of the caller's own files beside the report (kept, never
    replaced)."""
    from ..analysis.compare import compare
    from ..analysis.inputs import load_runs
    from ..analysis.outputs import to_jsonable

    study, done, tic = result.study, result.finished(), time.perf_counter()
    if not done:
        return {}, {}
    study.mixed = check_same_inputs({m.name: m.eval_dir for m in done}, allow_mixed) or study.mixed
    result.compare_inputs = {
        **compare_key(done, protocol, n_boot),
        **({"extra": to_jsonable(options)} if options else {}),
    }
    statistical, multimodel = _reused_comparison(study.out, result.compare_inputs) if not fresh else ({}, {})
    if statistical:
        print(f"\ncompare: reusing the comparison in {study.out}/ (the same runs; --fresh to redo it)")
    else:
        banner(f"compare {len(done)} model(s) -> {study.out}/report.md")
        runs = load_runs([m.eval_dir for m in done])
        owned = (*(m.name for m in study.models), "eval", "logs", SUMMARY_FILE, *others)  # beside the report
        result.analysis = compare(
            runs,
            study.out,
            protocol=protocol,
            n_boot=n_boot,
            overwrite=overwrite,
            flag="--overwrite",
            others=owned,
            **options,
        )
        statistical, multimodel = result.analysis.statistical, result.analysis.multimodel
    result.timings["compare"] = time.perf_counter() - tic
    return statistical, multimodel


def finish(result: StudyResult, statistical: dict, multimodel: dict, began: float) -> StudyResult:
    """The summary (``study_summary.json``) and the exit status: 0 only when every model finished."""
    from ..analysis.outputs import to_jsonable
    from ..files import write_json

    study, done = result.study, result.finished()
    result.timings["total"] = time.perf_counter() - began
    result.summary = study_summary(study, result.outcomes, done, statistical, multimodel, study.mixed, result.timings)
    result.exit_status = 0 if len(done) == len(study.models) else 1
    result.summary.update(exit_status=result.exit_status, compare_inputs=result.compare_inputs)
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
    statistical, multimodel = compare_study(result, protocol, n_boot, fresh, overwrite, allow_mixed)
    return finish(result, statistical, multimodel, began)
