"""The end of a study: every run saw the same test videos and cells (``check_same_inputs``), and the summary.

    mixed = check_same_inputs({"videomae": Path("out/eval/videomae"), "vivit": Path("out/eval/vivit")})
    summary = study_summary(study, outcomes, compared, statistical, multimodel, mixed, timings)
    print_summary(summary)

The accuracy a summary gives per model is at its **densest cell**, by the rule the whole analysis uses
(:func:`inforates.analysis.densest.densest_cell`, from the cells' facts in ``results.csv``): ``cov100_s1`` on the
2025 grid, ``d1_k8`` on the demo's (8 consecutive frames).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from ..analysis.densest import DENSEST_RULE, densest_cell
from ..errors import RecipeError
from .plan import SUMMARY_FILE, differences


def run_inputs(eval_dir: Path) -> dict:
    """What an evaluation ran on, from its ``run.json``: dataset, split, protocol, videos and cells."""
    run = json.loads((eval_dir / "run.json").read_text())
    fingerprint = run.get("fingerprint") or {}
    return {
        "dataset": fingerprint.get("data"),
        "split": fingerprint.get("split", run.get("split")),
        "protocol": fingerprint.get("protocol", run.get("protocol")),
        "videos": fingerprint.get("videos", (run.get("videos") or {}).get("total")),
        "videos_sha256": fingerprint.get("videos_sha256"),
        "evaluated videos": (run.get("videos") or {}).get("evaluated"),
        "variants": fingerprint.get("variants", run.get("variants")),
    }


def eval_complete(eval_dir: Path) -> bool:
    try:
        return json.loads((eval_dir / "run.json").read_text()).get("status") == "complete"
    except (OSError, ValueError):
        return False


def check_same_inputs(eval_dirs: dict[str, Path], allow_mixed: bool = False) -> list[str]:
    """How the runs' test videos and cells differ (``[]``: the same); ``RecipeError`` naming them unless
    ``allow_mixed``."""
    mixed = differences({name: run_inputs(folder) for name, folder in eval_dirs.items()})
    if mixed and not allow_mixed:
        raise RecipeError(f"the runs did not see the same test videos and cells: {'; '.join(mixed)}; a paired "
                          "comparison needs the same ones (evaluate them with the same shared: keys), or pass "
                          "--allow-mixed")  # fmt: skip
    return mixed


def attribution_text(result: dict | None) -> str | None:
    """The attribution of one model in a line: the clip properties its correctness depends on after the report's
    correction (each with its odds ratio), or that none does; no property is said to matter more than another."""
    if not result:
        return None
    if "skipped" in result:
        return f"not computed: {result['skipped']}"
    fits = result.get("predictors") or {}
    found = [fit for fit in fits.values() if fit.get("significant")]
    if not found:
        return "no clip property detectably matters (Holm-corrected)" if fits else None
    effects = [f"{fit['label']} (odds ratio {fit['odds_ratio']:.2f} {fit['unit']}, Holm p = {fit['p_holm']:.2g})"
               for fit in found]  # fmt: skip
    return "depends on " + "; ".join(effects)


def robustness_text(multimodel: dict) -> str:
    """What the paired tests of the models' AUCs support, in a line (the report's robustness conclusion)."""
    pairs = multimodel.get("ranking_pairs")
    if not pairs:
        return "no paired test (one model, or aggregate tables): no ranking"
    above = [f"{p['model_a'] if p['difference'] > 0 else p['model_b']} > "
             f"{p['model_b'] if p['difference'] > 0 else p['model_a']}" for p in pairs if p["significant"]]  # fmt: skip
    if not above:
        return f"the models are not distinguishable ({len(pairs)} paired comparison(s), Holm-corrected)"
    return (
        "paired on the same videos, Holm-corrected: " + ", ".join(above) + "; the other pairs are not distinguishable"
    )


def densest_accuracy(model) -> tuple[str, float]:
    """The densest cell of ``model``'s grid and its accuracy, from its evaluation's ``results.csv``."""
    import pandas as pd

    results = pd.read_csv(model.eval_dir / "results.csv")
    variant = densest_cell(results)
    row = results[results["variant"] == variant]
    return variant, float(row["accuracy"].iloc[0]) if len(row) else math.nan


def study_summary(study, outcomes: dict, compared: list, statistical: dict, multimodel: dict, mixed, timings) -> dict:
    """``study_summary.json``: per model its status, error, densest-cell accuracy and attribution; the ranking;
    how the runs differ (``--allow-mixed``); the time per stage; where the files are. ``compared``: the models in
    the comparison, whose ``statistical_results`` and ``multimodel_analysis`` (``statistical``, ``multimodel``) are
    given."""
    per_model = (statistical.get("paired") or {}).get("per_model") or {}
    compared = {m.name for m in compared}
    models = {}
    for model in study.models:
        outcome = outcomes.get(model.name)
        entry = {
            "recipe": model.recipe_path,
            "status": "finished" if outcome is None or outcome.finished else "failed",
            "stages": dict(outcome.stages) if outcome else {},  # {}: compared only (--compare-only)
            "error": outcome.error if outcome else None,
            "output_dir": str(model.output_dir),
            "eval_dir": str(model.eval_dir),
            "log": str(outcome.log) if outcome and outcome.log else None,
        }
        if model.name in compared:
            entry["densest_variant"], entry["accuracy"] = densest_accuracy(model)
            entry["attribution"] = attribution_text((per_model.get(model.name) or {}).get("attribution"))
        models[model.name] = entry
    files = {"out": str(study.out), "summary": str(study.out / SUMMARY_FILE)}
    if statistical:
        files.update(report=str(study.out / "report.md"), statistics=str(study.out / "statistical_results.json"))
    return {
        "models": models,
        "densest_rule": DENSEST_RULE,
        "robustness": [{"model": r["model"], "auc": r["auc"]} for r in multimodel.get("ranking") or []],
        "robustness_tests": robustness_text(multimodel),
        "allow_mixed": bool(mixed),
        "mixed": mixed,
        "seconds": timings,
        "files": files,
    }


def print_summary(summary: dict) -> None:
    """The study's last lines, from :func:`study_summary`."""
    print("\n=== summary ===", flush=True)
    for name, entry in summary["models"].items():
        if entry["status"] != "finished":
            print(f"  {name:<18} FAILED at {entry['error']}")
            continue
        stages = ", ".join(f"{stage} {status}" for stage, status in entry["stages"].items())
        accuracy = entry.get("accuracy")
        text = f"{accuracy:.3f} at {entry['densest_variant']}" if accuracy is not None else "not compared"
        print(f"  {name:<18} accuracy {text}{f' ({stages})' if stages else ''}")
        if entry.get("attribution"):
            print(f"  {'':<18} attribution: {entry['attribution']}")
    if summary["robustness"]:
        aucs = ", ".join(f"{r['model']} {r['auc']:.3f}" for r in summary["robustness"])
        print(f"robustness (AUC over coverage): {aucs}; {summary['robustness_tests']}")
    if summary["mixed"]:
        print(
            f"MIXED (--allow-mixed): the runs did not see the same test videos and cells: {'; '.join(summary['mixed'])}"
        )
    print("time: " + ", ".join(f"{stage} {seconds:.0f} s" for stage, seconds in summary["seconds"].items()))
    files = summary["files"]
    where = f"report: {files['report']} (figures, tables, statistics beside it)" if "report" in files else ""
    print(f"{where}{'; ' if where else ''}summary: {files['summary']}; models: {files['out']}/<name>/, evaluations: "
          f"{files['out']}/eval/<name>/")  # fmt: skip
