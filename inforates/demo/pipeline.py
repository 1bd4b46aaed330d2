"""The demo: the whole pipeline on the synthetic aliasing benchmark, sized for a 2-core CPU.

    status = run_demo("outputs/demo")
    status = run_demo("outputs/demo_videomae", models=["videomae"], max_eval_videos=60)

The steps of a study of the demo recipes (:mod:`inforates.study.run`, as ``inforates study --study
recipes/studies/demo.yaml`` runs them) plus the benchmark's checks: the benchmark in the recipes' ``dataset_dir``
(reused when present) -> fine-tune each ``recipes/demo/<model>.yaml`` from its pretrained checkpoint (``demo-<model>``,
``inforates/checkpoints/demo/<model>``, made by ``inforates pretrain-demo`` on another synthetic task) -> evaluate
each over the recipe's designs (spacings 1-12 x 8 frames, and coverage x stride) on the test split, read once ->
**each at the densest cell on the validation split** (who sees the rotation at all) -> every video's temporal
bandwidth, estimated (``bandwidth.csv``) -> compare -> a short summary.
The exit status is 1 when the report's Nyquist check fails: within each video, direction accuracy must be high below
the Nyquist limit and collapse past it, as sampling theory predicts (docs/synthetic.md). A model whose direction
accuracy on the validation split at the densest cell is under 75 % (a threshold fixed in advance) is left out of the
check, by name, since a model that guesses cannot show the reversal.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

from ..bandwidth.run import BANDWIDTH_FILE, RECORD_FILE, measure_bandwidth
from ..errors import RecipeError
from ..model_registry import MODEL_REGISTRY
from ..study.plan import StudyModel, plan_study
from ..study.run import StudyResult, banner, compare_study, finish, print_plan, train_and_evaluate
from .summary import DENSEST, SUMMARY_FILE, print_summary


# package data (the repository's recipes/ links to inforates/recipes)
RECIPES_DIR = Path(__file__).resolve().parents[1] / "recipes" / "demo"
MODELS = ("timesformer", "videomae", "vivit")
SEES_DIRECTION = 0.75  # validation direction accuracy (densest variant) from which a model joins the Nyquist check
VALIDATION_DIR = "validation"


def checkpoint_dir(model: str) -> Path:
    """The pretrained checkpoint a demo recipe fine-tunes (registry name ``demo-<model>``)."""
    return Path(MODEL_REGISTRY[f"demo-{model}"].checkpoint)


def validate(models: Sequence[StudyModel], out: Path, fresh: bool = False) -> dict[str, float]:
    """Each model at the densest cell on its validation split (``out/validation/<model>/``): its direction
    accuracy, which decides whether it joins the Nyquist check (judged here, never on the test split)."""
    from ..analysis.inputs import load_runs
    from ..analysis.nyquist import direction_accuracy
    from ..evaluation.run import evaluate

    banner("validation: does each model see the rotation?")
    for model in models:
        recipe = model.recipe.replace(
            eval_split=model.recipe.data.validation_split,
            eval_output_dir=str(out / VALIDATION_DIR),
            eval_samplers=["spacing_budget"],
            spacings=[1],
            budgets=[8],
            overwrite=fresh,
        )
        evaluate(recipe)
    runs = load_runs([out / VALIDATION_DIR / m.name for m in models])
    return {run.name: float(direction_accuracy(run.predictions).get(run.name, float("nan"))) for run in runs}


def nyquist_exclusions(validation: dict[str, float]) -> dict[str, str]:
    """Models to leave out of the pooled Nyquist check, with the reason: those whose direction accuracy on the
    validation split is under ``SEES_DIRECTION`` (judged on validation, never on the test split it is checked on)."""
    return {
        model: f"direction accuracy {accuracy:.3f} on the validation split at {DENSEST} (under {SEES_DIRECTION}): "
        "it does not see the rotation, so it cannot show the reversal"
        for model, accuracy in validation.items()
        if not accuracy >= SEES_DIRECTION
    }


def run_demo(
    out: str | Path = "outputs/demo",
    data: str | None = None,
    models: Sequence[str] = MODELS,
    fresh: bool = False,
    max_eval_videos: int | None = None,
) -> int:
    """Benchmark, fine-tuning, evaluation, validation pass, comparison (each reused when finished) and the summary;
    returns the exit status (1 when the Nyquist check fails or no model finished)."""
    from ..analysis.compare import with_bandwidth
    from ..analysis.inputs import load_runs
    from ..analysis.registry import analyse

    began, out = time.perf_counter(), Path(out)
    missing = [m for m in models if not (checkpoint_dir(m) / "config.json").is_file()]
    if missing:
        raise RecipeError(
            f"{checkpoint_dir(missing[0]).parent}: no pretrained checkpoint of {', '.join(missing)}; "
            f"make them with `inforates pretrain-demo --models {' '.join(missing)}`"
        )
    overrides = ["--dataset_dir", data] if data else []
    overrides += ["--max_eval_videos", str(max_eval_videos)] if max_eval_videos else []
    study = plan_study([str(RECIPES_DIR / f"{m}.yaml") for m in models], out, overrides=overrides)
    print_plan(study)
    result = StudyResult(study)
    train_and_evaluate(result, fresh=fresh)
    for outcome in result.outcomes.values():
        if not outcome.finished:  # e.g. its folder holds a run of an older demo recipe
            print(
                f"{outcome.name} FAILED: {outcome.error} (for the demo: inforates demo --fresh retrains every model)",
                flush=True,
            )
    finished = result.finished()
    if not finished:
        return 1
    validation = validate(finished, out, fresh)
    exclude = nyquist_exclusions(validation)
    banner("temporal bandwidth: every video's motion frequency, estimated")
    bandwidth = measure_bandwidth(finished[0].recipe.replace(output_dir=str(out)))
    owned = (VALIDATION_DIR, SUMMARY_FILE, BANDWIDTH_FILE, RECORD_FILE)
    statistical, multimodel = compare_study(
        result, "both", overwrite=fresh, others=owned, nyquist_exclude=exclude, bandwidth=bandwidth
    )
    finish(result, statistical, multimodel, began)
    analysis = result.analysis
    if analysis.extras.get("reused"):  # the comparison was already there: its analysis again, for the summary
        runs = with_bandwidth(load_runs([m.eval_dir for m in finished]), bandwidth)
        analysis = analyse(runs, "both", nyquist_exclude=exclude)
    status = print_summary(analysis, validation, out, result.timings, write=not result.unchanged())
    return max(result.exit_status, status)
