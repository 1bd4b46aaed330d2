"""``inforates demo``: the whole pipeline on the synthetic aliasing benchmark, sized for a 2-core CPU.

    inforates demo                         # outputs/demo/report.md; a rerun reuses finished stages
    inforates demo --fresh                 # retrain and re-evaluate every model
    inforates demo --models videomae --out outputs/demo_videomae --max_eval_videos 60

The demo is the study of the demo recipes (:func:`inforates.study.run_study`, as ``inforates study --study
recipes/studies/demo.yaml`` runs it) plus the benchmark's checks: ``inforates synth`` (the benchmark in the recipes'
``dataset_dir``, reused when present) -> fine-tune each ``recipes/demo/<model>.yaml`` from its pretrained checkpoint
(``inforates/checkpoints/demo/<model>``, made by ``inforates pretrain-demo`` on another synthetic task) -> evaluate
each over the recipe's designs (spacings 1-12 x 8 frames, and coverage x stride) on the test split, read once ->
(the demo's hook) each at the densest cell on the validation split -> ``inforates compare`` -> a short summary. The exit status is 1 when the report's Nyquist check fails: within each
video, direction accuracy must be high below the Nyquist limit and collapse past it, as sampling theory predicts
(docs/synthetic.md). A model whose direction accuracy on the validation split at the densest cell is under 75 % (a
threshold fixed in advance) is left out of the check, by name, since a model that guesses cannot show the reversal.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

from .analysis.inputs import load_runs
from .analysis.outputs import to_jsonable
from .errors import RecipeError


RECIPES_DIR = Path(__file__).resolve().parent / "recipes" / "demo"  # package data; recipes/demo links here
CHECKPOINTS_DIR = Path(__file__).resolve().parent / "checkpoints" / "demo"  # made by inforates pretrain-demo
MODELS = ("timesformer", "videomae", "vivit")
DENSEST = "d1_k8"  # the cell the accuracy target refers to: 8 consecutive frames
TARGET_ACCURACY = 0.90
SEES_DIRECTION = 0.75  # validation direction accuracy (densest variant) from which a model joins the Nyquist check
SUMMARY_FILE = "demo_summary.json"
NYQUIST_KEYS = ("below_nyquist_accuracy", "below_nyquist_n", "above_nyquist_accuracy", "above_nyquist_n")


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="inforates demo",
        description="Synthetic benchmark -> train 3 tiny models -> evaluate over the sampling grid -> compare.",
    )
    parser.add_argument("--out", default="outputs/demo", help="output folder (default: outputs/demo)")
    parser.add_argument("--data", default=None, help="benchmark folder (default: the recipes' dataset_dir)")
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=MODELS, help="models to run")
    parser.add_argument("--fresh", action="store_true", help="retrain and re-evaluate instead of reusing results")
    parser.add_argument("--max_eval_videos", type=int, default=None, help="evaluate a stratified test subset")
    return parser


def _recipe_args(args: argparse.Namespace, model: str, eval_dir: str = "eval") -> list[str]:
    """The recipe of ``model`` with the demo's folders (and evaluation subset) as command-line overrides."""
    out = Path(args.out)
    argv = ["--config", str(RECIPES_DIR / f"{model}.yaml"), "--output_dir", str(out / model)]
    argv += ["--model_name_or_path", str(CHECKPOINTS_DIR / model)]  # wherever the demo runs from
    argv += ["--eval_output_dir", str(out / eval_dir)]
    if args.data:
        argv += ["--dataset_dir", args.data]
    if args.max_eval_videos:
        argv += ["--max_eval_videos", str(args.max_eval_videos)]
    return argv


def _validation_args(args: argparse.Namespace, model: str, split: str) -> list[str]:
    """``model``'s evaluation at the densest cell on the validation split: does it see the rotation at all?"""
    argv = _recipe_args(args, model, eval_dir="validation") + ["--eval_split", split]
    return argv + ["--eval_samplers", "spacing_budget", "--spacings", "1", "--budgets", "8"]


def validation_direction(validation_runs) -> dict[str, float]:
    """Each model's direction accuracy on the validation split at the densest variant."""
    from .analysis.nyquist import direction_accuracy

    return {
        run.name: float(direction_accuracy(run.predictions).get(run.name, float("nan"))) for run in validation_runs
    }


def nyquist_exclusions(validation: dict[str, float]) -> dict[str, str]:
    """Models to leave out of the pooled Nyquist check, with the reason: those whose direction accuracy on the
    validation split is under ``SEES_DIRECTION`` (judged on validation, never on the test split it is checked on)."""
    return {
        model: f"direction accuracy {accuracy:.3f} on the validation split at {DENSEST} (under {SEES_DIRECTION}): "
        "it does not see the rotation, so it cannot show the reversal"
        for model, accuracy in validation.items()
        if not accuracy >= SEES_DIRECTION
    }


def _banner(text: str) -> None:
    print(f"\n=== {text} ===", flush=True)


def main(argv: list[str] | None = None) -> int:
    """The study of the demo recipes (:func:`inforates.study.run_study`: benchmark, fine-tuning, evaluation,
    comparison, each reused when finished), plus the benchmark's checks: each model's validation pass, which decides
    who joins the Nyquist check before the comparison reads the test split, and the demo's summary."""
    args = make_parser().parse_args(argv)
    from .analysis.registry import analyse
    from .evaluate import main as evaluate_main
    from .study import run_study

    missing = [m for m in args.models if not (CHECKPOINTS_DIR / m / "config.json").is_file()]
    if missing:
        raise RecipeError(f"{CHECKPOINTS_DIR}: no pretrained checkpoint of {', '.join(missing)}; make them with "
                          f"`inforates pretrain-demo --models {' '.join(missing)}`")  # fmt: skip
    out = Path(args.out)
    overrides = ["--dataset_dir", args.data] if args.data else []
    overrides += ["--max_eval_videos", str(args.max_eval_videos)] if args.max_eval_videos else []
    per_model = {m: ["--model_name_or_path", str(CHECKPOINTS_DIR / m)] for m in args.models}  # from any folder
    validation: dict[str, float] = {}

    def validate(study, finished) -> dict:
        """Each finished model at the densest cell on the validation split: who sees the rotation at all."""
        _banner("validation: does each model see the rotation?")
        for model in finished:
            split = model.recipe.data.validation_split
            evaluate_main(_validation_args(args, model.name, split) + (["--overwrite", "true"] if args.fresh else []))
        validation.update(validation_direction(load_runs([out / "validation" / m.name for m in finished])))
        return {"nyquist_exclude": nyquist_exclusions(validation)}

    result = run_study([str(RECIPES_DIR / f"{m}.yaml") for m in args.models], out, overrides=overrides,
                       per_model=per_model, fresh=args.fresh, overwrite=args.fresh, protocol="both",
                       before_compare=validate, others=("validation", SUMMARY_FILE))  # fmt: skip
    for outcome in result.outcomes.values():
        if not outcome.finished:  # e.g. its folder holds a run of an older demo recipe
            print(f"{outcome.name} FAILED: {outcome.error} (for the demo: inforates demo --fresh retrains every "
                  "model)", flush=True)  # fmt: skip
    if not validation:
        return 1  # no model finished
    analysis = result.analysis
    if analysis is None:  # the comparison was reused: its analysis again, for the summary (nothing is written)
        runs = load_runs([out / "eval" / m for m in args.models if m in validation])
        analysis = analyse(runs, "both", nyquist_exclude=nyquist_exclusions(validation))
    return max(result.exit_status, print_summary(analysis, validation, out, result.summary["seconds"]))


def print_summary(analysis, validation: dict[str, float], out: Path, timings: dict[str, float]) -> int:
    """The demo's last lines: densest-variant accuracy per model, each model's direction accuracy (validation; test
    below / past the limit), the ranking, the pooled Nyquist check as the report has it, the time per stage and the
    files. ``validation``: direction accuracy on the validation split per model. Returns the exit status."""
    from .analysis.nyquist import nyquist_check
    from .analysis.pvalues import p_cell

    predictions = analysis.extras["predictions"]
    every_cell = analysis.tables["accuracy_by_variant"]
    densest = every_cell[every_cell["variant"] == DENSEST].set_index("model")
    check = analysis.statistical["paired"]["nyquist_check"]
    limits = check["thresholds"]
    _banner("summary")
    print(f"accuracy at {DENSEST} (8 consecutive frames; test split; target >= {TARGET_ACCURACY:.0%}),")
    print("and each model's direction accuracy on the validation split at that cell, and on the test split,")
    print(
        f"within each video, below / past the Nyquist limit (frac(x) < {limits['below']} / {limits['above'][0]}-{limits['above'][1]}):"
    )
    summary = {"densest_variant": DENSEST, "target_accuracy": TARGET_ACCURACY, "models": {}}
    for model, accuracy in densest["accuracy"].items():
        own = nyquist_check(predictions[predictions["model"] == model], n_boot=0)
        mark = "ok" if accuracy >= TARGET_ACCURACY else "below target"
        within = own["within_video"]
        print(f"  {model:<12} {accuracy:.3f} ({mark});  direction: validation {validation.get(model, math.nan):.3f}, "
              f"test within each video {within['below']:.3f} / {within['above']:.3f}")  # fmt: skip
        summary["models"][model] = {
            "accuracy": accuracy,
            "validation_direction_accuracy": validation.get(model, math.nan),
            **{k: own[k] for k in NYQUIST_KEYS},
            "within_video_below": within["below"],
            "within_video_above": within["above"],
        }
    for model, reason in check.get("excluded", {}).items():
        print(
            f"  {model} is left out of the Nyquist check: {reason} (docs/synthetic.md, 'What the tiny models learn')"
        )
    ranking = analysis.multimodel.get("ranking", [])
    if ranking:
        order = " > ".join(f"{r['model']} ({r['auc']:.3f})" for r in ranking)
        print(f"robustness ranking (normalised area under accuracy vs coverage): {order}")
    pooled, within = ", ".join(check["models"]) or "no model", check["within_video"]
    p_text = p_cell(within["p_value"], within["log10_p"])
    print(
        f"Nyquist check {check['verdict']} ({pooled}), within each video over spacings 1-12: direction accuracy "
        f"{within['below']:.3f} below the limit (needs >= {limits['min_below_accuracy']}) and {within['above']:.3f} "
        f"past it (needs <= {limits['max_above_accuracy']}) on {within['n_pairs']} model x video pairs; paired "
        f"difference {within['difference']:.3f} (95 % CI {within['ci_low']:.3f}-{within['ci_high']:.3f}, Wilcoxon "
        f"p {p_text}); pooled over every clip: "
        f"{check['below_nyquist_accuracy']:.3f} on {check['below_nyquist_n']} clips below, "
        f"{check['above_nyquist_accuracy']:.3f} on {check['above_nyquist_n']} past it"
    )
    print("time: " + ", ".join(f"{name} {seconds:.0f} s" for name, seconds in timings.items()))
    summary.update(nyquist_check=check, seconds=timings)
    (out / SUMMARY_FILE).write_text(json.dumps(to_jsonable(summary), indent=2) + "\n")
    print(f"report: {out / 'report.md'}  (figures, tables, statistical_results.json and demo_summary.json beside it)")
    return 0 if check["passed"] else 1


if __name__ == "__main__":
    from .cli import main as cli_main

    sys.exit(cli_main(["demo", *sys.argv[1:]]))
