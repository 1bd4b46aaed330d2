"""Spatial resolution as a second axis: what a reduced-resolution cell shows, that the grid decodes each video once
for every resolution, and that evaluation, comparison and the report carry the axis with its tests (with the
motion-guided sampler's comparison, evaluated in the same run)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch
from conftest import REPO_ROOT

from inforates import cli
from inforates.configs import parse_recipe
from inforates.data.collator import VideoCollator
from inforates.data.processor import ProcessorSettings
from inforates.data.transforms import reduce_resolution
from inforates.evaluation.grid import GridCollator
from inforates.sampling import SamplingVariant


IDENTITY = ProcessorSettings(image_mean=0.0, image_std=1.0, shortest_edge=None, crop_size=None, rescale_factor=1.0)


def test_a_reduced_resolution_keeps_the_coarse_content_and_loses_the_fine():
    y, x = np.mgrid[0:32, 0:32]
    fine = torch.tensor(((y + x) % 2) * 255.0, dtype=torch.float32).expand(1, 3, 32, 32)  # 1-px checkerboard
    coarse = torch.tensor(x * 8.0, dtype=torch.float32).expand(1, 3, 32, 32)  # a smooth ramp
    flat = reduce_resolution(fine, 8)
    assert flat.shape == fine.shape and flat.std() < 1.0 and abs(flat.mean().item() - 127.5) < 1.0
    assert (reduce_resolution(coarse, 8) - coarse).abs().mean() < 2.0  # a ramp survives 8 px nearly whole
    half = reduce_resolution(fine, 16)  # 2 x 2 blocks of a 1-px checkerboard: grey as well
    assert half.std() < 1.0
    assert reduce_resolution(fine, 32) is fine and reduce_resolution(fine, None) is fine


def test_the_grid_crosses_every_cell_with_each_resolution_and_names_them():
    recipe = parse_recipe(["--config", str(REPO_ROOT / "recipes/demo/videomae.yaml"), "--eval_samplers",
                           "spacing_budget", "--spacings", "1", "4", "--eval_resolutions", "16", "8"])  # fmt: skip
    names = [v.name for v in recipe.sampling.grid()]
    assert names == ["d1_k8", "d4_k8", "d1_k8_r16", "d4_k8_r16", "d1_k8_r8", "d4_k8_r8"]
    trained = parse_recipe(["--config", str(REPO_ROOT / "recipes/demo/videomae.yaml"), "--train_resolution", "16"])
    assert {v.resolution for v in trained.sampling.train_variants()} == {16}
    assert trained.sampling.validation_variant().resolution == 16
    assert {v.resolution for v in trained.sampling.grid()} == {16}  # evaluated where it was trained, by default
    with pytest.raises(Exception, match="eval_resolutions"):
        parse_recipe(["--eval_resolutions", "16", "16"])
    with pytest.raises(ValueError, match="resolution must be a whole number"):
        SamplingVariant(resolution=0)


def test_resized_cells_are_the_same_decoded_frames_with_less_detail(make_video):
    video = str(make_video("clip.mp4", 40, size=(48, 64)))
    native, small = SamplingVariant(coverage=50, stride=2), SamplingVariant(coverage=50, stride=2, resolution=12)
    clips, frames, _ = GridCollator([native, small], 8, IDENTITY, seed=0).video_clips(video)
    assert frames == 40 and clips.shape[:2] == (2, 8)
    torch.testing.assert_close(clips[1], reduce_resolution(clips[0], 12))
    assert not torch.equal(clips[0], clips[1])
    train = VideoCollator(IDENTITY, 8, SamplingVariant(resolution=12), train=True, random_resized_crop=False,
                          horizontal_flip=False)  # fmt: skip
    plain = VideoCollator(IDENTITY, 8, SamplingVariant(), train=True, random_resized_crop=False, horizontal_flip=False)
    rows = [{"video": video, "label": 0}]
    torch.testing.assert_close(train(rows)["pixel_values"], reduce_resolution(plain(rows)["pixel_values"], 12))


def test_resolutions_and_motion_guided_cells_reach_the_results_the_figures_and_the_report(tmp_path):
    from test_evaluate import make_checkpoint

    from inforates.data.synthetic import generate_synthetic, read_params

    bench = generate_synthetic(tmp_path / "bench", seed=5, scale=0.1)
    checkpoint = make_checkpoint(tmp_path / "tiny", classes=sorted(read_params(bench).class_names))
    argv = ["evaluate", "--model_name_or_path", str(checkpoint), "--dataset_dir", str(bench), "--dataset_source",
            "synthetic", "--output_dir", str(tmp_path / "run"), "--eval_samplers", "spacing_budget", "coverage_stride",
            "motion_uniform", "--budgets", "4", "--spacings", "1", "3", "6", "--coverages", "100", "50", "--strides",
            "1", "--eval_resolutions", "32", "16", "8", "--use_cpu", "true", "--report_to", "none",
            "--disable_tqdm", "true"]  # fmt: skip
    assert cli.main(argv) == 0
    folder = tmp_path / "run" / "eval" / "tiny"
    results = pd.read_csv(folder / "results.csv")
    assert results.groupby("resolution").size().to_dict() == {0: 7, 8: 7, 16: 7, 32: 7}
    facts = results.set_index("variant")
    for column in ("distinct_frames", "spacing_frames", "padded_share"):  # the same frames at every resolution
        assert facts.loc["d3_k4", column] == facts.loc["d3_k4_r8", column], column
    predictions = pd.read_parquet(folder / "predictions.parquet")
    assert set(predictions["resolution"]) == {0, 8, 16, 32}

    out = tmp_path / "compare"
    assert cli.main(["compare", "--runs", str(folder), "--out", str(out), "--n-boot", "50"]) == 0
    section = json.loads((out / "multimodel_analysis.json").read_text())["resolution"]["tiny"]
    assert section["native_px"] == 32 and [c["resolution"] for c in section["contrasts"]] == [16, 8]
    for contrast in section["contrasts"]:
        assert contrast["cells"] == 7 and contrast["n_videos"] > 0 and "p_holm" in contrast
        assert contrast["difference"] == pytest.approx(contrast["treated"] - contrast["reference"], abs=1e-9)
    assert "interaction" in section["by_spacing"] or "skipped" in section["by_spacing"]
    guided = results.set_index("variant").loc["motion_uniform_cov100_s1"]  # a spacing that varies: its range
    assert guided["distinct_frames"] == 8 and guided["spacing_min_frames"] <= guided["spacing_frames"]
    assert guided["spacing_frames"] <= guided["spacing_max_frames"]
    motion = json.loads((out / "multimodel_analysis.json").read_text())["motion_guided"]["tiny"]
    assert [r["cell"] for r in motion] == ["cov100_s1", "cov50_s1", "all"]  # the input's cells, matched by name
    assert all(r["n_videos"] > 0 and "p_holm" in r for r in motion)
    report = (out / "report.md").read_text()
    assert "## Spatial resolution" in report and "figures/tiny/accuracy_by_resolution.png" in report
    assert (out / "figures" / "tiny" / "accuracy_by_resolution.png").is_file()
    families = json.loads((out / "statistical_results.json").read_text())["families"]
    assert families["reduced resolution vs the model's input"]["tests"] == 2
    assert families["motion-guided vs uniform sampling"]["tests"] == 2
    assert "## Motion-guided against uniform sampling" in report
    accuracy = pd.read_csv(out / "accuracy_by_variant.csv")
    assert not accuracy["variant"].str.contains("_r").any()  # the grids and other tests read the input's cells
