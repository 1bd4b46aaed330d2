"""``inforates compare``: statistics, plots and a report across evaluation runs (one per model).

    inforates compare --runs outputs/demo/eval --out outputs/demo/compare
    inforates compare --runs eval/videomae eval/vivit --out compare --protocol both --formats png,svg
    inforates compare --runs ../shared/reference/inforates-2025/ucf101 --out compare/ucf101-2025
    python -m inforates.compare --runs outputs/demo/eval --out outputs/demo/compare

``--runs`` takes evaluation run directories (``predictions.parquet``, ``results.csv``, ``per_class.csv``,
``run.json``), parents of such directories (searched), or folders of the 2025 study's tables
(``<model>_temporal_sampling.csv`` + ``<model>_per_class.csv``; per-class and aggregate analyses only).
Writes ``statistical_results.json``, ``multimodel_analysis.json``, ``pairwise_*.csv``,
``summary_statistics_by_coverage.csv``, ``accuracy_by_variant.csv``, ``class_sensitivity.csv``, ``figures/`` and
``report.md`` (see docs/statistics.md).
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from . import stats
from .files import OwnedOutputs
from .legacy import is_legacy_folder, read_legacy_folder


logger = logging.getLogger(__name__)

PROTOCOLS = ("paired", "paper", "both")
FORMATS = ("png", "svg", "pdf")
NEEDS_PREDICTIONS = "needs per-video predictions (predictions.parquet); the inputs only have aggregate tables"


# ---------------------------------------------------------------------------------------------------------------
# Inputs
# ---------------------------------------------------------------------------------------------------------------
@dataclass
class ModelRun:
    """One model's results: ``predictions`` (None for the 2025 tables), ``results`` and ``per_class``."""

    name: str
    source: Path
    results: pd.DataFrame
    per_class: pd.DataFrame | None = None
    predictions: pd.DataFrame | None = None
    info: dict = field(default_factory=dict)

    @property
    def kind(self) -> str:
        return "predictions" if self.predictions is not None else "tables"


def _is_run_dir(path: Path) -> bool:
    return (path / "predictions.parquet").exists() or (path / "results.csv").exists()


def load_run_dir(path: str | Path) -> list[ModelRun]:
    """An evaluation run directory; one ModelRun per model found in its predictions (usually one).

    The model name comes from the parquet's ``model`` column, else ``run.json`` (``model``/``model_name``),
    else the directory name.
    """
    path = Path(path)
    info = json.loads((path / "run.json").read_text()) if (path / "run.json").exists() else {}
    fallback = str(info.get("model") or info.get("model_name") or path.name)
    predictions = pd.read_parquet(path / "predictions.parquet") if (path / "predictions.parquet").exists() else None
    results = pd.read_csv(path / "results.csv") if (path / "results.csv").exists() else None
    per_class = pd.read_csv(path / "per_class.csv") if (path / "per_class.csv").exists() else None
    if predictions is None:
        if results is None:
            raise FileNotFoundError(f"{path}: neither predictions.parquet nor results.csv")
        results = results.assign(model=results["model"] if "model" in results else fallback)
        name = str(results["model"].iloc[0])
        per_class = per_class.assign(model=name) if per_class is not None else None
        return [ModelRun(name, path, results, per_class, None, info)]
    if "model" not in predictions.columns or predictions["model"].isna().all():
        predictions = predictions.assign(model=fallback)
    predictions = predictions.assign(
        model=predictions["model"].astype(str), correct=predictions["correct"].astype(bool)
    )
    runs = []
    for name, pred in predictions.groupby("model", sort=False):
        pred = pred.reset_index(drop=True)
        # Derived from the predictions (primary coverage x stride grid), so every table agrees with them.
        table = stats.results_from_predictions(pred)
        runs.append(ModelRun(str(name), path, table, stats.per_class_accuracy(pred), pred, info))
    return runs


def load_runs(paths: list[str | Path]) -> list[ModelRun]:
    """Every model under ``paths`` (run dirs, parents of run dirs, or 2025 table folders); names must be unique."""
    runs: list[ModelRun] = []
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise FileNotFoundError(f"--runs {path}: no such file or directory")
        if path.is_file() and path.name == "predictions.parquet":
            path = path.parent
        if _is_run_dir(path):
            runs += load_run_dir(path)
        elif is_legacy_folder(path):
            for name, tables in read_legacy_folder(path).items():
                runs.append(ModelRun(name, path, tables.results, tables.per_class))
        else:
            found = sorted(
                {p.parent for pattern in ("predictions.parquet", "results.csv") for p in path.rglob(pattern)}
            )
            legacy = sorted({p.parent for p in path.rglob(f"*{'_temporal_sampling.csv'}")})
            if not found and not legacy:
                raise FileNotFoundError(f"--runs {path}: no evaluation runs (predictions.parquet / results.csv) or "
                                        "2025 tables (*_temporal_sampling.csv) under it")  # fmt: skip
            runs += load_runs([*found, *[p for p in legacy if p not in found]])
    names = [r.name for r in runs]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"model names found more than once: {duplicates} (sources: "
                         f"{[str(r.source) for r in runs if r.name in duplicates]})")  # fmt: skip
    return runs


# ---------------------------------------------------------------------------------------------------------------
# Analyses
# ---------------------------------------------------------------------------------------------------------------
@dataclass
class Analysis:
    """Everything ``compare`` computed: JSON sections, tables to write, and what was skipped and why."""

    statistical: dict
    multimodel: dict
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    skipped: list[dict] = field(default_factory=list)
    extras: dict = field(default_factory=dict)  # non-serialised objects for plots and the report

    def skip(self, analysis: str, reason: str) -> None:
        self.skipped.append({"analysis": analysis, "reason": reason})


@dataclass
class _Inputs:
    runs: list[ModelRun]
    predictions: pd.DataFrame | None  # every model with per-video predictions, stacked
    per_class: pd.DataFrame | None  # every model with a per-class table, stacked
    results: pd.DataFrame  # the coverage x stride grid of every model

    @property
    def models(self) -> list[str]:
        return [r.name for r in self.runs]

    @classmethod
    def stack(cls, runs: list[ModelRun]) -> _Inputs:
        pred = [r.predictions for r in runs if r.predictions is not None]
        per_class = [r.per_class for r in runs if r.per_class is not None]
        return cls(
            runs,
            pd.concat(pred, ignore_index=True) if pred else None,
            pd.concat(per_class, ignore_index=True) if per_class else None,
            pd.concat([stats.primary_grid(r.results) for r in runs], ignore_index=True),
        )


def _has_motion_frequency(predictions: pd.DataFrame | None) -> bool:
    """The synthetic benchmark: predictions with a known motion frequency ``f_hz``."""
    return predictions is not None and "f_hz" in predictions.columns and bool(predictions["f_hz"].notna().any())


def _long_matrix(matrix: pd.DataFrame, model: str, name: str) -> pd.DataFrame:
    rows = [(model, a, b, matrix.loc[a, b]) for i, a in enumerate(matrix.index) for b in matrix.columns[i + 1 :]]
    return pd.DataFrame(rows, columns=["model", "coverage_a", "coverage_b", name])


def _friedman_json(result: dict) -> dict:
    out = {k: v for k, v in result.items() if k not in ("nemenyi", "conover")}
    out["nemenyi_p"] = result["nemenyi"].to_dict()
    out["conover_holm_p"] = result["conover"].to_dict()
    return out


def _paired_per_model(run: ModelRun, an: Analysis) -> dict:
    """Cochran's Q and pairwise McNemar (per-video), Friedman across coverages (per-class)."""
    section: dict = {}
    if run.predictions is not None:
        section["cochran_q"] = stats.cochran_q(run.predictions, run.name)
        pw = stats.pairwise_mcnemar(run.predictions, run.name)
        an.extras.setdefault("variant_tests", []).append(pw)
        section["pairwise_mcnemar"] = {"tests": len(pw), "significant_holm": int(pw["significant"].sum()),
                                       "file": "pairwise_variants_mcnemar.csv"}  # fmt: skip
    if run.per_class is None:
        return section
    blocks = stats.coverage_blocks(run.per_class)
    blocks.columns = [f"{c:g}" for c in blocks.columns]
    if blocks.shape[1] < 3 or len(blocks.dropna()) < 2:
        an.skip(f"Friedman across coverages ({run.name})", "needs at least 3 coverages and 2 classes")
        return section
    fr = stats.friedman_test(blocks)
    if math.isnan(fr["statistic"]):
        an.skip(f"Friedman across coverages ({run.name})", "every class ties all coverages: nothing to rank")
        return section
    section["friedman_coverage"] = _friedman_json(fr)
    post_hoc = _long_matrix(fr["nemenyi"], run.name, "p_nemenyi").merge(
        _long_matrix(fr["conover"], run.name, "p_conover_holm"), on=["model", "coverage_a", "coverage_b"]
    )
    an.extras.setdefault("post_hoc", []).append(post_hoc)
    return section


def _paired_across_models(inputs: _Inputs, an: Analysis) -> dict:
    """McNemar between models and the logistic interaction model (per-video); Friedman across models."""
    section: dict = {}
    pred, models = inputs.predictions, inputs.models
    if pred is not None and pred["model"].nunique() >= 2:
        mm = stats.model_mcnemar(pred)
        an.tables["pairwise_models_mcnemar"] = mm
        section["model_mcnemar"] = {"tests": len(mm), "significant_holm": int(mm["significant"].sum()),
                                    "file": "pairwise_models_mcnemar.csv"}  # fmt: skip
        try:
            logit = stats.logistic_interaction(pred)
        except Exception as err:  # a singular design (e.g. a single coverage) must not sink the whole report
            an.skip("logistic model x coverage x stride", f"fit failed: {err}")
        else:
            coefficients = logit["coefficients"].to_dict(orient="index")
            section["logistic_interaction"] = {**logit, "coefficients": coefficients}
    elif pred is not None:
        an.skip("comparisons between models on the same videos", "needs at least two models with predictions")
    if inputs.per_class is not None and len(models) >= 3:
        blocks = inputs.per_class.pivot_table(index="class", columns="model", values="accuracy", aggfunc="mean")
        fr = stats.friedman_test(blocks[models])
        section["friedman_models"] = _friedman_json(fr)
        an.extras["friedman_models"] = fr
    else:
        an.skip("Friedman across models / critical-difference diagram", "needs per-class tables of 3+ models")
    return section


def _paired(inputs: _Inputs, an: Analysis, nyquist_exclude: dict[str, str] | None) -> dict:
    if inputs.predictions is None:
        for name in ("Cochran's Q", "pairwise McNemar (variants)", "McNemar between models",
                     "logistic model x coverage x stride"):  # fmt: skip
            an.skip(name, NEEDS_PREDICTIONS)
    paired = {"per_model": {r.name: _paired_per_model(r, an) for r in inputs.runs}}
    paired["across_models"] = _paired_across_models(inputs, an)
    if an.extras.get("variant_tests"):
        an.tables["pairwise_variants_mcnemar"] = pd.concat(an.extras["variant_tests"], ignore_index=True)
    if an.extras.get("post_hoc"):
        an.tables["pairwise_coverage_nemenyi"] = pd.concat(an.extras["post_hoc"], ignore_index=True)
    if _has_motion_frequency(inputs.predictions):
        paired["nyquist_check"] = stats.nyquist_check(inputs.predictions, exclude=nyquist_exclude)
    return paired


def _paper(per_class: pd.DataFrame, an: Analysis) -> dict:
    """The 2025 study's statistics per model, and its pairwise Welch table."""
    paper, welch = {}, []
    for model, pc in per_class.groupby("model", sort=False):
        paper[model] = stats.paper_protocol(pc)
        pw = pd.DataFrame(paper[model]["pairwise_coverage"])
        if not pw.empty:
            welch.append(pw.assign(model=model)[["model", *pw.columns]])
    if welch:
        an.tables["pairwise_coverage_welch"] = pd.concat(welch, ignore_index=True)
    return paper


def _multimodel(inputs: _Inputs, an: Analysis, n_boot: int, seed: int, margin: float) -> dict:
    """Ranking, bests, drops, critical coverage and sensitivity tiers (every protocol)."""
    results, per_class = inputs.results, inputs.per_class
    out: dict = {"models": inputs.models}
    complete = all(r.predictions is not None for r in inputs.runs)  # ranking CIs need every model's videos
    grid = stats.primary_grid(inputs.predictions) if complete else None
    ranking = stats.auc_ranking(results, grid, n_boot=n_boot, seed=seed)
    if not complete:
        an.skip("bootstrap CIs of the robustness ranking", NEEDS_PREDICTIONS)
    out["ranking"] = ranking.to_dict(orient="records")
    out["ranking_definition"] = ("normalised AUC: area under accuracy (mean over strides) vs coverage / coverage "
                                 "range; relative_auc = auc / best cell; p_rank1: share of bootstrap draws ranked first")  # fmt: skip
    best = stats.best_variants(an.tables["accuracy_by_variant"])
    keys = ("variant", "coverage", "stride", "accuracy", "ci_low", "ci_high", "boot_low", "boot_high")
    out["best"] = {row["model"]: {k: row[k] for k in keys if k in row} for row in best.to_dict(orient="records")}
    drops = None
    if {25.0, 100.0} <= set(results["coverage"]):
        drops = stats.aliasing_drop(results)
        out["aliasing_drop"] = {m: dict(zip(d["stride"].astype(str), d["drop"])) for m, d in drops.groupby("model")}
    else:
        an.skip("aliasing drop", "needs coverages 25 and 100")
    out["critical_coverage"] = stats.critical_coverage(results, margin).set_index("model").to_dict(orient="index")
    sensitivity = {}
    if per_class is not None and {25.0, 100.0} <= set(per_class["coverage"]):
        sensitivity = {m: stats.class_sensitivity(pc) for m, pc in per_class.groupby("model", sort=False)}
        an.tables["class_sensitivity"] = pd.concat([s.assign(model=m) for m, s in sensitivity.items()])
    out["sensitivity_tiers"] = {
        m: {**s["tier"].value_counts().to_dict(), "thresholds": list(stats.TIER_THRESHOLDS)}
        for m, s in sensitivity.items()
    }
    an.extras.update(ranking=ranking, best=best, drops=drops, sensitivity=sensitivity)
    return out


def analyse(
    runs: list[ModelRun],
    protocol: str = "paired",
    n_boot: int = 1000,
    seed: int = 0,
    margin: float = 0.02,
    nyquist_exclude: dict[str, str] | None = None,
) -> Analysis:
    """Run the analyses the inputs allow. ``protocol``: ``paired`` (default), ``paper`` (the 2025 study's) or
    ``both``; the robustness summaries and the cross-model ranking are computed in every case.
    ``nyquist_exclude`` maps models left out of the synthetic benchmark's pooled Nyquist check to the reason."""
    if protocol not in PROTOCOLS:
        raise ValueError(f"protocol must be one of {PROTOCOLS}, got {protocol!r}")
    inputs = _Inputs.stack(runs)
    inputs_json = {r.name: {"source": str(r.source), "kind": r.kind} for r in runs}
    an = Analysis({"models": inputs.models, "inputs": inputs_json}, {})
    an.extras.update(results=inputs.results, per_class=inputs.per_class, predictions=inputs.predictions)

    accuracy = [r.results for r in runs if r.predictions is None]
    if inputs.predictions is not None:
        accuracy.insert(0, stats.accuracy_by_variant(inputs.predictions, n_boot=n_boot, seed=seed))
    else:
        an.skip("cluster-bootstrap CIs", NEEDS_PREDICTIONS)
    an.tables["accuracy_by_variant"] = pd.concat(accuracy, ignore_index=True)
    if protocol in ("paired", "both"):
        an.statistical["paired"] = _paired(inputs, an, nyquist_exclude)
    if protocol in ("paper", "both"):
        if inputs.per_class is None:
            an.skip("paper protocol", "needs per-class tables")
        else:
            an.statistical["paper"] = _paper(inputs.per_class, an)
    if inputs.per_class is not None:
        an.tables["summary_statistics_by_coverage"] = stats.summary_by_coverage(inputs.per_class)
    an.multimodel = _multimodel(inputs, an, n_boot, seed, margin)
    an.statistical["skipped"] = an.skipped
    return an


# ---------------------------------------------------------------------------------------------------------------
# Outputs
# ---------------------------------------------------------------------------------------------------------------
def to_jsonable(obj):
    """numpy/pandas scalars to Python, NaN/inf to None, recursively."""
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, (np.bool_, bool)):
        return bool(obj)
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return float(obj) if math.isfinite(obj) else None
    if isinstance(obj, Path):
        return str(obj)
    return obj


def write_outputs(analysis: Analysis, out: Path) -> list[Path]:
    """JSON files and CSV tables; returns the paths written."""
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, payload in (("statistical_results", analysis.statistical), ("multimodel_analysis", analysis.multimodel)):
        path = out / f"{name}.json"
        path.write_text(json.dumps(to_jsonable(payload), indent=2, allow_nan=False) + "\n")
        paths.append(path)
    for name, table in analysis.tables.items():
        path = out / f"{name}.csv"
        table.to_csv(path, index=False)
        paths.append(path)
    return paths


def make_figures(analysis: Analysis, runs: list[ModelRun], out: Path, formats=("png",)) -> dict[str, Path]:
    """Every figure the inputs allow, under ``out/figures``; returns name -> PNG (or first format) path."""
    from . import plots

    figures: dict[str, Path] = {}
    fig_dir = out / "figures"
    ex = analysis.extras
    accuracy = stats.primary_grid(analysis.tables["accuracy_by_variant"])

    def save(name: str, fig) -> None:
        figures[name] = plots.save_figure(fig, fig_dir / name, formats)[0]

    for run in runs:
        m = run.name
        save(f"{m}/accuracy_heatmap", plots.accuracy_heatmap(ex["results"], m))
        save(f"{m}/accuracy_vs_coverage", plots.accuracy_vs_coverage(accuracy, m))
        if run.per_class is not None:
            save(f"{m}/per_class_distribution_by_coverage", plots.per_class_distribution_by_coverage(run.per_class, m))
        if m in ex["sensitivity"]:
            save(
                f"{m}/per_class_representative", plots.per_class_representative(run.per_class, ex["sensitivity"][m], m)
            )
            save(f"{m}/aliasing_drop_hist", plots.aliasing_drop_hist(ex["sensitivity"][m], m))
    if len(runs) >= 2:
        save("comparison_accuracy_vs_coverage", plots.comparison_accuracy_vs_coverage(accuracy))
        save("comparison_heatmaps", plots.comparison_heatmaps(ex["results"]))
        save("comparison_best_accuracy", plots.comparison_best_accuracy(ex["best"]))
    if "friedman_models" in ex:
        fr = ex["friedman_models"]
        title = f"Models ranked on per-class accuracy (Friedman p = {fr['p_value']:.2g}, Nemenyi alpha 0.05)"
        save("critical_difference_models", plots.critical_difference(fr["mean_ranks"], fr["nemenyi"], title))
    if _has_motion_frequency(ex.get("predictions")):
        excluded = analysis.statistical.get("paired", {}).get("nyquist_check", {}).get("excluded", {})
        save("aliasing_collapse", plots.aliasing_collapse(ex["predictions"], excluded=list(excluded)))
    return figures


def run_compare(
    runs: list[ModelRun],
    out: str | Path,
    protocol: str = "paired",
    formats=("png",),
    n_boot: int = 1000,
    seed: int = 0,
    margin: float = 0.02,
    nyquist_exclude: dict[str, str] | None = None,
    overwrite: bool = False,
    **owned,
) -> Analysis:
    """Analyse, write tables, draw figures and write ``report.md`` into ``out``.

    ``out`` may hold an earlier comparison (its files are replaced, those not written again removed); files that
    inforates did not write make it an ``OutputError`` unless ``overwrite``, and are never replaced (``owned``:
    :class:`OwnedOutputs`' ``flag`` and ``others``)."""
    from .report import write_report

    with OwnedOutputs(out, overwrite, **owned) as staging:
        analysis = analyse(runs, protocol, n_boot, seed, margin, nyquist_exclude)
        write_outputs(analysis, staging)
        figures = make_figures(analysis, runs, staging, formats)
        write_report(analysis, runs, figures, staging)
    return analysis


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="inforates compare", description=__doc__.split("\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument(
        "--runs", nargs="+", required=True, help="eval run dirs, parents of them, or 2025 table folders"
    )
    parser.add_argument("--out", required=True, help="output directory (new, or holding an earlier comparison)")
    parser.add_argument("--overwrite", action="store_true",
                        help="write into a folder that also holds other files (they are kept, never replaced)")  # fmt: skip
    parser.add_argument("--protocol", default="paired", choices=PROTOCOLS,
                        help="paired (default): tests on per-video outcomes; paper: the 2025 study's; both")  # fmt: skip
    parser.add_argument("--formats", default="png", help="figure formats, comma-separated: png,svg,pdf")
    parser.add_argument("--n-boot", type=int, default=1000, help="bootstrap resamples (default 1000)")
    parser.add_argument("--seed", type=int, default=0, help="bootstrap seed")
    parser.add_argument("--margin", type=float, default=0.02, help="critical-coverage margin (absolute accuracy)")
    parser.add_argument("--nyquist_exclude", nargs="+", default=[], metavar="MODEL",
                        help="models left out of the synthetic benchmark's pooled Nyquist check")  # fmt: skip
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = make_parser()
    args = parser.parse_args(argv)
    formats = [f.strip().lower() for f in args.formats.split(",") if f.strip()]
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        parser.error(f"--formats: unknown {unknown}; choose from {', '.join(FORMATS)}")
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    start = time.perf_counter()
    try:
        runs = load_runs(args.runs)
    except (FileNotFoundError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    names = [r.name for r in runs]
    unknown_models = [m for m in args.nyquist_exclude if m not in names]
    if unknown_models:
        parser.error(f"--nyquist_exclude: no run named {', '.join(unknown_models)}; the runs are {', '.join(names)}")
    exclude = {model: "left out with --nyquist_exclude" for model in args.nyquist_exclude}
    analysis = run_compare(
        runs, args.out, args.protocol, formats, args.n_boot, args.seed, args.margin, exclude, args.overwrite
    )
    print(f"compared {len(runs)} model(s): {', '.join(r.name for r in runs)} "
          f"({sum(r.kind == 'predictions' for r in runs)} with per-video predictions)")  # fmt: skip
    if "nyquist_check" in analysis.statistical.get("paired", {}):
        nc = analysis.statistical["paired"]["nyquist_check"]
        print(f"nyquist check: {nc['verdict']} (direction accuracy {nc['below_nyquist_accuracy']:.3f} below, "
              f"{nc['above_nyquist_accuracy']:.3f} past the Nyquist limit)")  # fmt: skip
    for item in analysis.skipped:
        print(f"skipped: {item['analysis']}: {item['reason']}")
    print(f"report: {Path(args.out) / 'report.md'} ({time.perf_counter() - start:.1f} s)")
    return 0


if __name__ == "__main__":
    from .cli import main as cli_main

    sys.exit(cli_main(["compare", *sys.argv[1:]]))
