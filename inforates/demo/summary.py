"""The demo's last lines and ``demo_summary.json``: densest-cell accuracy per model, each model's direction
accuracy (validation; test below / past the Nyquist limit), the ranking and the pooled Nyquist check as the report
has it, the time per stage and the files.

    status = print_summary(analysis, {"videomae": 1.0}, Path("outputs/demo"), {"compare": 11.0})
"""

from __future__ import annotations

import math
from pathlib import Path

from ..analysis.entries_robustness import RANKING
from ..files import write_json


DENSEST = "d1_k8"  # the cell the accuracy target refers to: 8 consecutive frames
TARGET_ACCURACY = 0.90
SUMMARY_FILE = "demo_summary.json"
NYQUIST_KEYS = ("below_nyquist_accuracy", "below_nyquist_n", "above_nyquist_accuracy", "above_nyquist_n")


def _banner(text: str) -> None:
    print(f"\n=== {text} ===", flush=True)


def print_summary(
    analysis, validation: dict[str, float], out: Path, timings: dict[str, float], write: bool = True
) -> int:
    """The demo's last lines: densest-variant accuracy per model, each model's direction accuracy (validation; test
    below / past the limit), the ranking, the pooled Nyquist check as the report has it, the time per stage and the
    files; ``demo_summary.json`` when ``write`` (not when a rerun found everything finished). ``validation``:
    direction accuracy on the validation split per model. Returns the exit status."""
    from ..analysis.entries_paired import within_video_text
    from ..analysis.nyquist import nyquist_check
    from ..analysis.outputs import to_jsonable

    predictions = analysis.extras["predictions"]
    every_cell = analysis.tables["accuracy_by_variant"]
    densest = every_cell[every_cell["variant"] == DENSEST].set_index("model")
    check = analysis.statistical["paired"]["nyquist_check"]
    limits = check["thresholds"]
    _banner("summary")
    print(f"accuracy at {DENSEST} (8 consecutive frames; test split; target >= {TARGET_ACCURACY:.0%}),")
    print("and each model's direction accuracy on the validation split at that cell, and on the test split,")
    print(
        f"within each video, below / past the Nyquist limit (frac(x) < {limits['below']} / "
        f"{limits['above'][0]}-{limits['above'][1]}):"
    )
    summary = {"densest_variant": DENSEST, "target_accuracy": TARGET_ACCURACY, "models": {}}
    for model, accuracy in densest["accuracy"].items():
        own = nyquist_check(predictions[predictions["model"] == model], n_boot=0)
        mark = "ok" if accuracy >= TARGET_ACCURACY else "below target"
        within = own["within_video"]
        print(
            f"  {model:<12} {accuracy:.3f} ({mark});  direction: validation {validation.get(model, math.nan):.3f}, "
            f"test within each video {within['below']:.3f} / {within['above']:.3f}"
        )
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
    for line in RANKING.headline(analysis) if RANKING.name in analysis.done else ():
        print(line)
    print(within_video_text(check))
    estimated = analysis.multimodel.get("predicted_limit", {}).get("nyquist_check", {}).get("estimate")
    if estimated is not None:  # the same check on the frequencies inforates bandwidth estimated from the pixels
        w = estimated["within_video"]
        print(f"the same check on estimated frequencies (bandwidth.csv): {estimated['verdict']}, "
              f"{w['below']:.3f} below / {w['above']:.3f} past, over {w['n_videos']} videos")  # fmt: skip
        summary["nyquist_check_estimated"] = estimated
    print("time: " + ", ".join(f"{name} {seconds:.0f} s" for name, seconds in timings.items()))
    summary.update(nyquist_check=check, seconds=timings)
    if write:
        write_json(out / SUMMARY_FILE, to_jsonable(summary))
    print(f"report: {out / 'report.md'}  (figures, tables, statistical_results.json and demo_summary.json beside it)")
    return 0 if check["passed"] else 1
