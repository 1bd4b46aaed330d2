"""``inforates study``: the whole study in one command: train every model, evaluate each over the grid, compare.

    inforates study --study recipes/studies/ucf101.yaml --out outputs/study/ucf101
    inforates study --recipes recipes/videomae/ucf101.yaml recipes/vivit/ucf101.yaml --out outputs/study/two
    inforates study --study recipes/studies/ucf101.yaml --out outputs/study/ucf101 --parallel 3   # 3 models at once
    inforates study --study recipes/studies/ucf101.yaml --out outputs/study/ucf101 --only 1       # one model (SLURM)
    inforates study --study recipes/studies/ucf101.yaml --out outputs/study/ucf101 --compare-only
    inforates study --study recipes/studies/demo.yaml --out outputs/study/demo --num_train_epochs 2  # + overrides

For each recipe: train into ``<out>/<name>/`` (a finished run of the same recipe is reused, an interrupted one
resumed), evaluate into ``<out>/eval/<name>/`` (a complete evaluation is reused); then one ``inforates compare``
over all of them into ``<out>/`` (after checking that every run saw the same test videos and cells) and a summary
(``study_summary.json``). A study file (YAML) lists ``recipes:`` and ``shared:`` recipe keys set for every model;
words after the flags (``--key value``) override every recipe too. A failed model is reported and the others go on;
the exit status is 0 only when every model finished. docs/study.md has the details and a SLURM array job.

Python: ``run_study(recipes, out, shared, parallel, ...) -> StudyResult`` and ``print_summary(result.summary)``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import RecipeError
from .plan import SUMMARY_FILE, Study, StudyModel, load_study_file, model_names, plan_study
from .runner import ModelOutcome, Options, device_slots, run_models
from .summary import DENSEST_RULE, check_same_inputs, eval_complete, print_summary, study_summary


__all__ = [
    "DENSEST_RULE", "ModelOutcome", "Study", "StudyModel", "StudyResult", "check_same_inputs",
    "load_study_file", "main", "make_parser", "model_names", "plan_study", "print_summary", "run_study",
]  # fmt: skip


DESCRIPTION = "Train every recipe, evaluate each over its grid, compare them all (docs/study.md)."


@dataclass
class StudyResult:
    study: Study
    outcomes: dict[str, ModelOutcome] = field(default_factory=dict)
    analysis: Any = None  # the comparison (inforates.analysis.entry.Analysis), None when none ran
    summary: dict = field(default_factory=dict)
    exit_status: int = 0


def _banner(text: str) -> None:
    print(f"\n=== {text} ===", flush=True)


def _prepare_data(study: Study) -> None:
    """The synthetic benchmark is generated once, here, before models that share it start (in parallel)."""
    from ..data.synthetic import ensure_synthetic

    synthetic = {
        m.recipe.data.dataset_dir: m.recipe.data for m in study.models if m.recipe.data.dataset_source == "synthetic"
    }
    for data_args in synthetic.values():
        print(f"synthetic benchmark: {ensure_synthetic(data_args)}", flush=True)


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
    per_model: dict[str, list[str]] | None = None,
    before_compare: Callable[[Study, list[StudyModel]], dict] | None = None,
    others: tuple[str, ...] = (),
) -> StudyResult:
    """Plan (every check, before any work), train + evaluate each model (``only``: the ``only``-th alone;
    ``compare_only``: none), compare, summarise. Bad input raises ``RecipeError``; a failed model does not.

    For a pipeline built on the study (``inforates demo``): ``per_model`` overrides of one model each,
    ``before_compare(study, finished models)`` runs after the evaluations and returns more ``run_compare`` keywords
    (e.g. ``nyquist_exclude``), which also key the comparison's reuse; ``others`` names more of the pipeline's own
    files and folders beside the report."""
    start, timings = time.perf_counter(), {}
    study = plan_study(recipes, out, shared, overrides, allow_mixed, per_model)
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
    _banner(f"study: {len(study.models)} models -> {study.out}/")
    for i, model in enumerate(study.models):
        print(f"  {i}  {model.name:<18} {model.recipe_path} -> {model.output_dir}/, {model.eval_dir}/")
    result = StudyResult(study)
    if not compare_only:
        tic = time.perf_counter()
        _prepare_data(study)
        selected = study.models if only is None else [study.models[only]]
        options = Options(study.out / "logs", fresh, accelerate_config)
        for outcome in run_models(selected, parallel, options):
            result.outcomes[outcome.name] = outcome
            timings.update({f"{stage} {outcome.name}": s for stage, s in outcome.seconds.items()})
        timings["train + evaluate"] = time.perf_counter() - tic
        if only is not None:
            outcome = result.outcomes[study.models[only].name]
            print(f"{outcome.name}: {'finished' if outcome.finished else 'FAILED: ' + str(outcome.error)}; compare "
                  "once every model is done: the same command with --compare-only instead of --only")  # fmt: skip
            result.exit_status = 0 if outcome.finished else 1
            return result
    else:
        missing = [m.name for m in study.models if not eval_complete(m.eval_dir)]
        if missing:
            raise RecipeError(f"--compare-only: no complete evaluation of {', '.join(missing)} in {study.out}/eval/; "
                              "run them first (the same command without --compare-only, or with --only I)")  # fmt: skip

    done = [m for m in study.models if compare_only or result.outcomes[m.name].finished]
    statistical, multimodel, key = {}, {}, None
    if done:
        tic = time.perf_counter()
        mixed = check_same_inputs({m.name: m.eval_dir for m in done}, allow_mixed)
        study.mixed = mixed or study.mixed
        extra = before_compare(study, done) if before_compare is not None else {}
        key = {**compare_key(done, protocol, n_boot), **({"extra": _jsonable(extra)} if extra else {})}
        statistical, multimodel = _reused_comparison(study.out, key) if not fresh else ({}, {})
        if statistical:
            print(f"\ncompare: reusing the comparison in {study.out}/ (the same runs; --fresh to redo it)")
            timings["compare"] = time.perf_counter() - tic
        else:
            result.analysis = _compare(study, done, protocol, n_boot, overwrite, extra, others)
            statistical, multimodel = result.analysis.statistical, result.analysis.multimodel
            timings["compare"] = time.perf_counter() - tic
    timings["total"] = time.perf_counter() - start
    result.summary = study_summary(study, result.outcomes, done, statistical, multimodel, study.mixed, timings)
    result.exit_status = 0 if len(done) == len(study.models) else 1
    result.summary.update(exit_status=result.exit_status, compare_inputs=key)
    study.out.mkdir(parents=True, exist_ok=True)
    (study.out / SUMMARY_FILE).write_text(json.dumps(_jsonable(result.summary), indent=2) + "\n")
    return result


def compare_key(models: list[StudyModel], protocol: str, n_boot: int) -> dict:
    """What a comparison depends on: each run's ``run.json`` (its sha256), the protocol and the resamples."""
    runs = {m.name: hashlib.sha256((m.eval_dir / "run.json").read_bytes()).hexdigest() for m in models}
    return {"runs": runs, "protocol": protocol, "n_boot": n_boot}


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


def _compare(study, done, protocol: str, n_boot: int, overwrite: bool, extra: dict, others: tuple[str, ...]):
    from ..analysis.inputs import load_runs
    from ..compare import run_compare

    _banner(f"compare {len(done)} model(s) -> {study.out}/report.md")
    runs = load_runs([m.eval_dir for m in done])
    others = (*(m.name for m in study.models), "eval", "logs", SUMMARY_FILE, *others)  # beside the report
    return run_compare(runs, study.out, protocol=protocol, n_boot=n_boot, overwrite=overwrite, flag="--overwrite",
                       others=others, **extra)  # fmt: skip


def _jsonable(value):
    from ..analysis.outputs import to_jsonable

    return to_jsonable(value)


def make_parser() -> argparse.ArgumentParser:
    from ..analysis.entry import PROTOCOLS

    parser = argparse.ArgumentParser(prog="inforates study", allow_abbrev=False, description=DESCRIPTION,
                                     epilog="Other --key value words override every recipe (after shared:).")  # fmt: skip
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--recipes", nargs="+", metavar="RECIPE", help="recipe files, one model each")
    which.add_argument("--study", metavar="FILE", help="a study file: recipes: and shared: (recipes/studies/)")
    parser.add_argument("--out", default="outputs/study", help="the study's folder (default: outputs/study)")
    parser.add_argument("--parallel", type=int, default=1, metavar="N",
                        help="models at once, each in its own subprocesses with its share of the GPUs (or cores)")  # fmt: skip
    parser.add_argument("--accelerate_config", "--accelerate-config", metavar="FILE",
                        help="train each model with `accelerate launch --config_file FILE -m inforates.train`")  # fmt: skip
    step = parser.add_mutually_exclusive_group()
    step.add_argument("--only", type=int, metavar="I", help="train and evaluate only the I-th model (0-based)")
    step.add_argument("--compare-only", "--compare_only", action="store_true",
                      help="compare the complete evaluations there (every model's), nothing else")  # fmt: skip
    parser.add_argument("--allow-mixed", "--allow_mixed", action="store_true",
                        help="compare runs that saw different test videos or cells (the summary says so)")  # fmt: skip
    parser.add_argument("--fresh", action="store_true", help="retrain and re-evaluate instead of reusing results")
    parser.add_argument("--overwrite", action="store_true", help="compare into a folder that holds other files")
    parser.add_argument("--protocol", default="both", choices=PROTOCOLS, help="compare's protocol (default: both)")
    parser.add_argument("--n-boot", "--n_boot", type=int, default=1000, help="bootstrap resamples (default 1000)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args, overrides = make_parser().parse_known_args(sys.argv[1:] if argv is None else argv)
    recipes, shared = load_study_file(args.study) if args.study else (args.recipes, {})
    result = run_study(
        recipes, args.out, shared, args.parallel, overrides, args.accelerate_config, args.only, args.compare_only,
        args.allow_mixed, args.fresh, args.overwrite, args.protocol, args.n_boot,
    )  # fmt: skip
    if result.summary:
        print_summary(result.summary)
    return result.exit_status
