"""`inforates evaluate`: decode once per run, real Trainer.predict outputs, result files, refusals and resume."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import datasets
import numpy as np
import pandas as pd
import pytest
import torch
import transformers
from conftest import frame_number, numbered_frames, write_video

from inforates.commands.evaluate import main
from inforates.configs import parse_recipe
from inforates.data.collator import VideoCollator
from inforates.data.decoding import DECODE_STATS, VideoReader, reset_decode_stats
from inforates.data.processor import ProcessorSettings
from inforates.data.processor import for_architecture as processor_settings
from inforates.data.transforms import eval_transform
from inforates.errors import OutputError, RecipeError
from inforates.evaluation.checkpoints import (
    Checkpoint,
    default_name,
    holds_model,
    label_mapping,
    resolve_checkpoints,
    weights_sha256,
)
from inforates.evaluation.grid import GridCollator, variant_indices
from inforates.evaluation.runner import evaluate_checkpoint
from inforates.evaluation.store import RunStore
from inforates.evaluation.videos import cut_segments, eval_videos
from inforates.sampling import SamplingVariant, build_grid, union_indices
from inforates.schema import (
    FACT_COLUMNS,
    PER_CLASS_COLUMNS,
    PREDICTION_COLUMNS,
    RESULT_COLUMNS,
    per_class_table,
    results_table,
    wilson_interval,
)


CLASSES = ["circle_cw", "circle_ccw", "square_cw"]
IDENTITY = ProcessorSettings(
    image_mean=(0, 0, 0), image_std=(1, 1, 1), shortest_edge=None, crop_size=None, rescale_factor=1.0
)


# ---- helpers shared with test_evaluate_resume.py / test_evaluate_distributed.py ----


def make_checkpoint(folder: Path, classes=CLASSES, seed: int = 0) -> Path:
    """A tiny VideoMAE saved like a trained checkpoint (config, weights, processor config)."""
    torch.manual_seed(seed)
    config = transformers.VideoMAEConfig(
        hidden_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=128,
        image_size=32,
        patch_size=8,
        num_frames=8,
        tubelet_size=2,
        num_labels=len(classes),
        id2label=dict(enumerate(classes)),
        label2id={c: i for i, c in enumerate(classes)},
        initializer_range=0.3,  # well separated logits: argmax must not depend on float noise
    )
    transformers.VideoMAEForVideoClassification(config).save_pretrained(folder)
    processor_settings("videomae", 32).save_pretrained(folder)
    return folder


def make_videofolder(root: Path, per_class: int = 3, broken: bool = True, splits=("train", "test")) -> Path:
    """``root/<split>/<class>/*.mp4``: real H.264 videos of different lengths and sizes; one broken test file."""
    for split in splits:
        for c, name in enumerate(CLASSES):
            for i in range(per_class):
                frames = numbered_frames(24 + 7 * i + 3 * c, 48 + 8 * (i % 2), 64, seed=10 * c + i)
                write_video(root / split / name / f"{name}_{i}.mp4", frames, fps=25.0 if i % 2 else 30.0)
    if broken:
        (root / "test" / CLASSES[0] / "zz_broken.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42 truncated")
    return root


def folder_dataset(root: Path, split: str = "test") -> datasets.Dataset:
    """The split as a dataset with a path column (independent of data.sources)."""
    paths = sorted((root / split).glob("*/*.mp4"))
    features = datasets.Features({"video": datasets.Value("string"), "label": datasets.ClassLabel(names=CLASSES)})
    return datasets.Dataset.from_dict(
        {"video": [str(p) for p in paths], "label": [CLASSES.index(p.parent.name) for p in paths]}, features=features
    )


def eval_recipe(out: Path, *extra: str):
    return parse_recipe(
        ["--output_dir", str(out), "--use_cpu", "true", "--report_to", "none", "--seed", "0", *map(str, extra)]
    )


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory) -> Path:
    return make_checkpoint(tmp_path_factory.mktemp("ckpt") / "tiny-videomae")


@pytest.fixture(scope="module")
def videofolder(tmp_path_factory) -> Path:
    return make_videofolder(tmp_path_factory.mktemp("videos"), splits=("test",))


# ---- decode once ----


def test_collator_decodes_each_video_once_and_gathers_every_variant(make_video):
    variants = build_grid()  # 25 variants
    lengths = [30, 40, 47]  # few enough levels for frame_number to read each frame back exactly
    paths = [str(make_video(f"v{n}.mp4", num_frames=n, seed=n)) for n in lengths]
    collator = GridCollator(variants, clip_len=8, settings=IDENTITY, seed=0)
    reset_decode_stats()
    batch = collator([{"row": r, "video": p} for r, p in enumerate(paths)])
    unions = [union_indices(variant_indices(variants, n, 8, 0, p)) for p, n in zip(paths, lengths)]
    assert DECODE_STATS.opens == len(paths)  # not len(paths) * 25, as in the 2025 study
    assert DECODE_STATS.frames_decoded == sum(len(u) for u in unions)
    assert batch["pixel_values"].shape == (3, 25, 8, 3, 64, 64)
    assert batch["total_frames"].tolist() == lengths and batch["ok"].all()
    for r, (path, n) in enumerate(zip(paths, lengths)):
        indices = variant_indices(variants, n, 8, 0, path)
        for v in range(len(variants)):
            shown = [frame_number(f.numpy(), n) for f in batch["pixel_values"][r, v]]
            assert shown == indices[v].tolist(), (n, variants[v].name)


def test_a_segment_is_sampled_within_its_frames(make_video):
    """segment (20, 24) of a 47-frame video: indices are computed on the 24-frame segment, then shifted by 20."""
    path = str(make_video("v.mp4", num_frames=47, seed=3))
    variants = build_grid([100], [1, 4])
    batch = GridCollator(variants, clip_len=8, settings=IDENTITY)([{"row": 0, "video": path, "segment": (20, 24)}])
    assert batch["total_frames"].tolist() == [24]
    for v, indices in enumerate(variant_indices(variants, 24, 8, 0, path)):
        shown = [frame_number(f.numpy(), 47) for f in batch["pixel_values"][0, v]]
        assert shown == (indices + 20).tolist()


def test_segment_frames_cuts_each_video_and_records_the_protocol(checkpoint, tmp_path):
    """The 2025 protocol: 50-frame segments. 120 frames -> segments at 0 and 50 (the last 20 dropped); a 40-frame
    video is shorter than one segment and is listed, with the reason, in skipped.csv."""
    root = _fixed_length_folder(tmp_path / "videos", {"long": 120, "short": 40})
    _, out, videos, _ = run_eval(
        checkpoint, root, tmp_path, "--segment_frames", 50, "--coverages", 100, "--strides", 1
    )
    assert videos.protocol == "segments of 50 frames" and len(videos) == 2 * len(CLASSES)
    predictions = pd.read_parquet(out / "predictions.parquet")
    assert sorted(predictions["segment_start"].unique()) == [0, 50] and (predictions["total_frames"] == 50).all()
    assert predictions["video_id"].str.endswith(("#0", "#50")).all()
    assert (predictions["source_video"] == predictions["video_id"].str.split("#").str[0]).all()
    assert (predictions["frames"] == "0 7 14 21 28 35 42 49").all()  # within the segment
    skipped = pd.read_csv(out / "skipped.csv")
    assert skipped["stage"].eq("segment").sum() == len(CLASSES) and skipped["path"].str.endswith("short.mp4").all()
    run = json.loads((out / "run.json").read_text())
    assert run["protocol"] == "segments of 50 frames" and run["segment_frames"] == 50
    from inforates.analysis.accuracy import cluster_ids

    assert cluster_ids(predictions).nunique() == len(CLASSES)  # segments of one video: one cluster


def test_gathered_clips_equal_transforming_each_clip(make_video, checkpoint):
    """Transforming the union once then gathering gives exactly each variant's own eval_transform."""
    settings = ProcessorSettings.from_pretrained(checkpoint)
    path = str(make_video("v.mp4", num_frames=60, size=(48, 80)))
    variants = build_grid([25, 100], [1, 4]) + [SamplingVariant(50, 2, "dense", "center")]
    batch = GridCollator(variants, 8, settings)([{"row": 0, "video": path}])
    reader = VideoReader(path)
    for v, indices in enumerate(variant_indices(variants, 60, 8, 0, path)):
        assert torch.equal(batch["pixel_values"][0, v], eval_transform(reader.get(indices), settings))


def test_random_anchor_follows_the_video_id_not_the_mount_point(make_video, tmp_path):
    variant = SamplingVariant(25, 2, anchor="random")
    path = make_video("a.mp4", num_frames=40)
    moved = tmp_path / "elsewhere" / "a.mp4"
    moved.parent.mkdir()
    shutil.copy(path, moved)
    grid = GridCollator([variant], 8, IDENTITY, seed=3)
    batch = grid([{"row": 0, "video": str(path), "video_id": "test/a.mp4"}, {"row": 1, "video": str(moved),
                  "video_id": "test/a.mp4"}])  # fmt: skip
    assert torch.equal(batch["pixel_values"][0], batch["pixel_values"][1])
    collator = VideoCollator(IDENTITY, 8, variant, train=False, seed=3)
    rows = [{"video": str(p), "label": 0, "video_id": "test/a.mp4"} for p in (path, moved)]
    clips = collator(rows)["pixel_values"]
    assert torch.equal(clips[0], clips[1])
    expected = variant_indices([variant], 40, 8, seed=3, video_id="test/a.mp4")[0]
    assert [frame_number(f.numpy(), 40) for f in clips[0]] == expected.tolist()


def test_random_anchor_is_drawn_per_video_as_the_validation_collator_does(make_video):
    variant = SamplingVariant(25, 2, anchor="random")
    paths = [str(make_video(f"r{i}.mp4", num_frames=40, seed=i)) for i in range(6)]
    ours = [variant_indices([variant], 40, 8, seed=3, video_id=p)[0] for p in paths]
    assert all(
        np.array_equal(a, variant_indices([variant], 40, 8, seed=3, video_id=p)[0]) for a, p in zip(ours, paths)
    )
    assert len({int(a[0]) for a in ours}) > 1  # the window moves from video to video
    for path, indices in zip(paths, ours):  # VideoCollator (validation) shows the same frames
        clip = VideoCollator(IDENTITY, 8, variant, train=False, seed=3)([{"video": path, "label": 0}])
        assert [frame_number(f.numpy(), 40) for f in clip["pixel_values"][0]] == indices.tolist()


def test_broken_video_is_reported_not_raised(make_video, tmp_path):
    good = str(make_video("ok.mp4", num_frames=20))
    bad = tmp_path / "bad.mp4"
    bad.write_text("this is text, not a video")
    batch = GridCollator(build_grid([100], [1, 2]), 8, IDENTITY)(
        [{"row": 0, "video": str(bad)}, {"row": 1, "video": good}]
    )
    assert batch["ok"].tolist() == [False, True] and batch["pixel_values"].shape[0] == 1
    (path, stage, reason), *rest = batch["skipped"]
    assert path == str(bad) and stage == "open" and reason and not rest


def test_every_kind_of_broken_video_is_skipped_at_its_stage(broken_videos, make_video):
    items = [{"row": r, "video": str(path)} for r, (path, _) in enumerate(broken_videos.values())]
    items.append({"row": len(items), "video": str(make_video("fine.mp4", num_frames=12))})
    batch = GridCollator(build_grid([50, 100], [1, 4]), 8, IDENTITY)(items)
    assert batch["ok"].tolist() == [False] * len(broken_videos) + [True]
    assert {Path(path).name: stage for path, stage, _ in batch["skipped"]} == {
        name: stage for name, (_, stage) in broken_videos.items()
    }


# ---- a whole run through Trainer.predict ----


def run_eval(checkpoint, videofolder, out, *extra, name="tiny"):
    recipe = eval_recipe(out, *extra)
    videos = eval_videos(folder_dataset(videofolder))
    if recipe.evaluation.segment_frames is not None:
        videos = cut_segments(videos, recipe.evaluation.segment_frames)
    variants = recipe.sampling.grid()
    status = evaluate_checkpoint(
        Checkpoint(name, str(checkpoint), "checkpoints"), recipe, videos, variants, out / name
    )
    return status, out / name, videos, variants


def direct_logits(checkpoint, path, indices):
    """The model on one clip, built without the evaluation code: decode, transform, forward."""
    model = transformers.VideoMAEForVideoClassification.from_pretrained(checkpoint).eval()
    clip = eval_transform(VideoReader(path).get(indices), ProcessorSettings.from_pretrained(checkpoint))
    with torch.no_grad():
        return model(pixel_values=clip[None]).logits[0].double().numpy()


def test_run_writes_every_output_and_decodes_each_video_once(checkpoint, videofolder, tmp_path):
    reset_decode_stats()
    status, out, videos, variants = run_eval(
        checkpoint, videofolder, tmp_path, "--eval_shard_size", 4, "--per_device_eval_batch_size", 30
    )
    assert status == "evaluated"
    good = [p for p in videos.table["path"] if "broken" not in p]
    assert DECODE_STATS.opens == len(good)  # once per video for all 25 variants
    readers = {p: VideoReader(p) for p in good}
    unions = [len(union_indices(variant_indices(variants, readers[p].total_frames, 8, 0, p))) for p in good]
    assert DECODE_STATS.frames_decoded == sum(unions)

    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["predictions.parquet", "results.csv", "per_class.csv", "skipped.csv", "run.json"]
    )
    predictions = pd.read_parquet(out / "predictions.parquet")
    assert list(predictions.columns) == PREDICTION_COLUMNS
    assert len(predictions) == len(good) * 25
    assert not predictions.duplicated(["path", "variant"]).any()
    assert set(predictions["group"]) == {""} and predictions["f_hz"].isna().all()

    # predictions agree with the model run by hand on independently built clips
    for path, variant_name in [(good[0], "cov10_s1"), (good[-1], "cov100_s4"), (good[3], "cov50_s16")]:
        row = predictions[(predictions["path"] == path) & (predictions["variant"] == variant_name)].iloc[0]
        v = [x.name for x in variants].index(variant_name)
        indices = variant_indices(variants, readers[path].total_frames, 8, 0, path)[v]
        logits = direct_logits(checkpoint, path, indices)
        probs = np.exp(logits - logits.max()) / np.exp(logits - logits.max()).sum()
        assert row["pred"] == int(np.argmax(logits)) and row["pred_class"] == CLASSES[row["pred"]]
        assert row["p_true"] == pytest.approx(probs[row["label"]], abs=1e-5)
        assert row["correct"] == (row["pred"] == row["label"])
        assert row["total_frames"] == readers[path].total_frames and row["fps"] == pytest.approx(readers[path].fps)
        assert row["distinct_frames"] == len(np.unique(indices))
        assert row["span_frames"] == indices.max() - indices.min() + 1
        assert row["span_seconds"] == pytest.approx(row["span_frames"] / readers[path].fps)
    assert predictions["top5"].all()  # 3 classes: the true one is always in the top 5

    results = pd.read_csv(out / "results.csv")
    assert list(results.columns) == RESULT_COLUMNS and results["variant"].tolist() == [v.name for v in variants]
    for _, res in results.iterrows():
        cell = predictions[predictions["variant"] == res["variant"]]
        assert res["correct"] == cell["correct"].sum() and res["total"] == len(good)
        assert res["accuracy"] == pytest.approx(cell["correct"].mean())
        assert (res["ci_low"], res["ci_high"]) == pytest.approx(wilson_interval(res["correct"], res["total"]))
        assert res["mean_class_accuracy"] == pytest.approx(cell.groupby("label")["correct"].mean().mean())
        assert res["avg_time"] > 0 and res["clips_per_s"] > 0
    per_class = pd.read_csv(out / "per_class.csv")
    assert list(per_class.columns) == PER_CLASS_COLUMNS and len(per_class) == 25 * len(CLASSES)
    assert per_class.groupby(["coverage", "stride"])["n_samples"].sum().eq(len(good)).all()

    skipped = pd.read_csv(out / "skipped.csv")
    assert skipped["path"].str.endswith("zz_broken.mp4").tolist() == [True] and skipped["reason"].iloc[0]
    run = json.loads((out / "run.json").read_text())
    assert run["status"] == "complete"
    assert run["videos"] == {"total": len(videos), "evaluated": len(good), "skipped": 1, "missing": 0}
    assert run["checkpoint_sha256"] == weights_sha256(str(checkpoint))
    assert run["processor"]["crop_size"] == [32, 32] and run["seed"] == 0
    assert {"torch", "transformers", "torchcodec"} <= set(run["versions"]) and "commit" in run["git"]


def test_finished_run_is_kept_and_a_different_one_refused(checkpoint, videofolder, tmp_path):
    args = ("--coverages", 50, 100, "--strides", 1, 4)
    status, out, *_ = run_eval(checkpoint, videofolder, tmp_path, *args)
    before = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    assert run_eval(checkpoint, videofolder, tmp_path, *args)[0] == "complete"
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir()} == before
    with pytest.raises(OutputError, match="different configuration.*variants.*--overwrite"):
        run_eval(checkpoint, videofolder, tmp_path, "--coverages", 100, "--strides", 1, 4)
    status, *_ = run_eval(
        checkpoint, videofolder, tmp_path, "--coverages", 100, "--strides", 1, 4, "--overwrite", "true"
    )
    assert status == "evaluated" and pd.read_csv(out / "results.csv")["variant"].tolist() == ["cov100_s1", "cov100_s4"]


def test_foreign_folder_is_refused_and_user_files_survive_overwrite(checkpoint, videofolder, tmp_path):
    (tmp_path / "tiny").mkdir()
    (tmp_path / "tiny" / "notes.txt").write_text("mine")
    with pytest.raises(OutputError, match="not an inforates evaluation folder"):
        run_eval(checkpoint, videofolder, tmp_path, "--coverages", 100, "--strides", 1)
    run_eval(checkpoint, videofolder, tmp_path, "--coverages", 100, "--strides", 1, "--overwrite", "true")
    assert (tmp_path / "tiny" / "notes.txt").read_text() == "mine"
    assert (tmp_path / "tiny" / "run.json").is_file()


def test_resume_from_recorded_shards_equals_a_whole_run(checkpoint, videofolder, tmp_path):
    """In-process: a run whose last shards are missing (as after a kill) is completed, not redone."""
    args = ("--coverages", 25, 100, "--strides", 1, 8, "--eval_shard_size", 3)
    _, whole, *_ = run_eval(checkpoint, videofolder, tmp_path / "whole", *args)
    out = tmp_path / "cut" / "tiny"
    store = RunStore(out, {})
    # Run all shards, then make it look like the run died after shard 0 (shard 2's file exists, unrecorded).
    _, _, videos, variants = run_eval(checkpoint, videofolder, tmp_path / "cut", *args)
    run = json.loads((out / "run.json").read_text())
    (out / "run.json").unlink()
    progress = {"fingerprint": run["fingerprint"], "shards": {"0": {"videos": 3, "seconds": 1.0}}, "sessions": 1}
    (out / "shards").mkdir()
    expected = pd.read_parquet(whole / "predictions.parquet")
    for k, marker in [(0, -1.0), (2, -2.0)]:  # recorded shards are kept; an unrecorded file is recomputed
        part = expected[expected["path"].isin(videos.table["path"].iloc[3 * k : 3 * k + 3])]
        part.assign(p_true=marker, forward_s=1.0).to_parquet(store.shard_dir / f"{k:05d}.parquet")
        pd.DataFrame(columns=["path", "stage", "reason"]).to_csv(store.shard_dir / f"{k:05d}.skipped.csv", index=False)
    (out / "progress.json").write_text(json.dumps(progress))
    for name in ("predictions.parquet", "results.csv", "per_class.csv", "skipped.csv"):
        (out / name).unlink()
    reset_decode_stats()
    assert run_eval(checkpoint, videofolder, tmp_path / "cut", *args)[0] == "evaluated"
    assert DECODE_STATS.opens == len(videos) - 3 - 1  # shard 0 kept; the broken video never opens
    resumed = pd.read_parquet(out / "predictions.parquet")
    assert (resumed["p_true"].iloc[:12] == -1.0).all() and (resumed["p_true"].iloc[12:] >= 0).all()
    resumed.loc[:11, "p_true"] = expected.loc[:11, "p_true"]
    pd.testing.assert_frame_equal(resumed, expected, check_exact=False, rtol=1e-5)
    json_run = json.loads((out / "run.json").read_text())
    assert json_run["timings"]["sessions"] == 2 and not (out / "shards").exists()


# ---- pieces ----


def test_checkpoint_resolution(tmp_path, checkpoint):
    assert [c.name for c in resolve_checkpoints(["a=x/y", "x/checkpoint-30"], None, None)] == ["a", "x-checkpoint-30"]
    assert resolve_checkpoints([], str(checkpoint), "tiny-videomae")[0].origin == "output_dir"
    assert resolve_checkpoints([], str(tmp_path), "tiny-videomae")[0] == Checkpoint(
        "tiny-videomae", "tiny-videomae", "model_name_or_path"
    )
    assert holds_model(checkpoint) and not holds_model(tmp_path)
    assert default_name("MCG-NJU/videomae-base/") == "videomae-base"
    with pytest.raises(RecipeError, match="used twice"):
        resolve_checkpoints(["runs/a", "other/a"], None, None)
    with pytest.raises(RecipeError, match="nothing to evaluate"):
        resolve_checkpoints([], None, None)
    with pytest.raises(RecipeError, match="name"):
        resolve_checkpoints(["bad name=x"], None, None)


def test_label_mapping_by_name_generic_or_refused():
    model = {0: "Square CW", 1: "circle-ccw", 2: "circle_cw", 3: "other"}
    assert label_mapping(model, CLASSES).tolist() == [2, 1, 0]
    assert label_mapping({i: f"LABEL_{i}" for i in range(3)}, CLASSES).tolist() == [0, 1, 2]
    with pytest.raises(RecipeError, match="do not match"):
        label_mapping({0: "cat", 1: "dog", 2: "cow"}, CLASSES)


def test_tables_against_hand_counts():
    variants = build_grid([50, 100], [2])
    rows = []
    # variant cov50_s2: class 0 gets 2/3 right, class 1 gets 0/1 -> accuracy 2/4, mean class accuracy 1/3
    for variant, label, correct in [("cov50_s2", 0, 1), ("cov50_s2", 0, 1), ("cov50_s2", 0, 0), ("cov50_s2", 1, 0)]:
        rows.append({"variant": variant, "label": label, "correct": bool(correct), "top5": True, "forward_s": 0.5})
    rows.append({"variant": "cov100_s2", "label": 1, "correct": True, "top5": True, "forward_s": 0.25})
    predictions = pd.DataFrame(rows)
    results = results_table(predictions, variants, "m", clips_per_s=10.0)
    first, second = results.iloc[0], results.iloc[1]
    assert (first["accuracy"], first["correct"], first["total"]) == (0.5, 2, 4)
    assert first["mean_class_accuracy"] == pytest.approx(1 / 3) and first["avg_time"] == 0.5
    assert (second["accuracy"], second["total"], second["coverage"]) == (1.0, 1, 100)
    assert results["coverage"].dtype == np.int64  # written as 50, not 50.0, like the 2025 files
    per_class = per_class_table(predictions, variants, ["a", "b"])
    assert per_class.values.tolist() == [["a", 50, 2, 2 / 3, 3], ["b", 50, 2, 0.0, 1], ["b", 100, 2, 1.0, 1]]
    empty = results_table(predictions.iloc[:0], variants, "m", 1.0)
    assert empty["total"].tolist() == [0, 0] and math.isnan(empty["accuracy"].iloc[0])


def _fixed_length_folder(root: Path, lengths: dict[str, int], fps: float = 25.0) -> Path:
    for c, name in enumerate(CLASSES):
        for i, (stem, length) in enumerate(lengths.items()):
            frames = numbered_frames(length, 32, 32, seed=10 * c + i)
            write_video(root / "test" / name / f"{name}_{stem}.mp4", frames, fps=fps)
    return root


def test_results_carry_each_cells_facts_and_its_alias(checkpoint, tmp_path):
    """results.csv's fact columns against hand-computed indices: 48-frame videos at 25 fps, an 8-frame model.
    cov75_s16 and cov100_s16 both take 0 0 0 16 16 16 32 32 (the demo's alias); cov100_s1 takes
    (i * 47) // 7 = 0 6 13 20 26 33 40 47; cov75_s1 (36-frame window) 0 5 10 ... 35."""
    root = _fixed_length_folder(tmp_path / "videos", {"a": 48, "b": 48})
    _, out, videos, variants = run_eval(checkpoint, root, tmp_path, "--coverages", 75, 100, "--strides", 1, 16)
    results = pd.read_csv(out / "results.csv", keep_default_na=False).set_index("variant")
    assert list(results.columns[-len(FACT_COLUMNS) - 2 :]) == [*FACT_COLUMNS, "clips_per_s", "avg_time"]
    expected = {  # spacing_frames, spacing_seconds, span_seconds, distinct_frames, padded_share, same_frames_as
        "cov75_s1": (5.0, 0.2, 36 / 25, 8.0, 0.0, ""),
        "cov75_s16": (16.0, 0.64, 33 / 25, 3.0, 1.0, ""),
        "cov100_s1": (7.0, 0.28, 48 / 25, 8.0, 0.0, ""),
        "cov100_s16": (16.0, 0.64, 33 / 25, 3.0, 1.0, "cov75_s16"),
    }
    for name, (spacing, seconds, span, distinct, padded, alias) in expected.items():
        row = results.loc[name]
        assert (float(row["spacing_frames"]), float(row["distinct_frames"]), float(row["padded_share"])) == (
            spacing,
            distinct,
            padded,
        ), name
        assert float(row["spacing_seconds"]) == pytest.approx(seconds) and float(row["span_seconds"]) == pytest.approx(
            span
        )
        assert row["same_frames_as"] == alias and int(row["too_short"]) == 0
    predictions = pd.read_parquet(out / "predictions.parquet")
    frames = predictions.groupby("variant")["frames"].unique()
    assert frames["cov100_s1"].tolist() == ["0 6 13 20 26 33 40 47"]
    assert frames["cov100_s16"].tolist() == frames["cov75_s16"].tolist() == ["0 0 0 16 16 16 32 32"]
    assert (predictions["clip_len"] == 8).all() and not predictions["too_short"].any()


def test_spacing_budget_leaves_short_videos_out_of_a_cell_and_counts_them(checkpoint, tmp_path):
    """24- and 48-frame videos, spacing 4 and 8, budget 8: d4_k8 spans 29 frames (too long for the 24-frame
    videos), d8_k8 57 (too long for every video). Too-short videos are counted, never scored or padded."""
    root = _fixed_length_folder(tmp_path / "videos", {"short": 24, "long": 48})
    extra = ("--sampler", "spacing_budget", "--spacings", 1, 4, 8, "--budgets", 8)
    _, out, videos, variants = run_eval(checkpoint, root, tmp_path, *extra)
    assert [v.name for v in variants] == ["d1_k8", "d4_k8", "d8_k8"]
    results = pd.read_csv(out / "results.csv", keep_default_na=False).set_index("variant")
    n = len(CLASSES)
    assert results["too_short"].tolist() == [0, n, 2 * n]
    assert results["total"].tolist() == [2 * n, n, 0]
    assert float(results.loc["d4_k8", "distinct_frames"]) == 8 and float(results.loc["d4_k8", "padded_share"]) == 0
    assert (
        float(results.loc["d4_k8", "spacing_frames"]) == 4 and float(results.loc["d4_k8", "span_seconds"]) == 29 / 25
    )
    predictions = pd.read_parquet(out / "predictions.parquet")
    cell = predictions[predictions["variant"] == "d4_k8"]
    long_videos = cell[cell["path"].str.endswith("long.mp4")]
    assert (long_videos["frames"] == " ".join(str(9 + 4 * i) for i in range(8))).all()  # (48 - 29) // 2 = 9
    short = cell[cell["too_short"]]
    assert len(short) == n and short["path"].str.endswith("short.mp4").all()
    assert (short["frames"] == "").all() and not short["correct"].any()


def test_a_budget_above_clip_len_fails_before_decoding(checkpoint, tmp_path):
    root = _fixed_length_folder(tmp_path / "videos", {"a": 24})
    reset_decode_stats()
    with pytest.raises(RecipeError, match="budget 16 is more frames than the model takes"):
        run_eval(checkpoint, root, tmp_path, "--sampler", "spacing_budget", "--spacings", 1, "--budgets", 16)
    assert DECODE_STATS.opens == 0


def test_store_leftovers_of_a_kill_before_the_first_record_start_fresh(tmp_path):
    store = RunStore(tmp_path / "run", {"a": 1})
    (tmp_path / "run" / "shards").mkdir(parents=True)
    (tmp_path / "run" / ".progress.json.x.tmp").write_text("{")
    assert store.state() == "new"
    store.start("new")
    assert RunStore(tmp_path / "run", {"a": 1}).state() == "resume"
    with pytest.raises(OutputError, match="differs in a"):
        RunStore(tmp_path / "run", {"a": 2}).state()
    shutil.rmtree(tmp_path / "run")


def test_a_shard_of_broken_videos_only(checkpoint, tmp_path):
    root = tmp_path / "videos"
    for i, name in enumerate(CLASSES):
        write_video(root / "test" / name / "a.mp4", numbered_frames(20 + i, 32, 32, seed=i))
    (root / "test" / CLASSES[0] / "b_broken.mp4").write_bytes(b"")
    (root / "test" / CLASSES[0] / "c_broken.mp4").write_bytes(b"")
    _, out, videos, variants = run_eval(
        checkpoint, root, tmp_path, "--coverages", 50, "--strides", 2, "--eval_shard_size", 2
    )
    predictions = pd.read_parquet(out / "predictions.parquet")
    assert len(predictions) == 3 and predictions["label"].dtype == np.int64  # shard 1 held only broken videos
    assert len(pd.read_csv(out / "skipped.csv")) == 2


def test_weights_hash_is_the_safetensors_file_hash(checkpoint, tmp_path):
    import hashlib

    expected = hashlib.sha256((checkpoint / "model.safetensors").read_bytes()).hexdigest()
    assert weights_sha256(str(checkpoint)) == expected
    model = transformers.VideoMAEForVideoClassification.from_pretrained(checkpoint)
    preset = weights_sha256(str(tmp_path), model)  # no weight files: the state dict's hash
    assert preset == weights_sha256("tiny-videomae", model) and preset != expected
    with torch.no_grad():
        model.classifier.bias.add_(1.0)
    assert weights_sha256(str(tmp_path), model) != preset


# ---- the command ----


def test_demo_like_run_on_the_synthetic_benchmark(tmp_path, capsys):
    """`inforates evaluate` with no recipe: a tiny checkpoint over the default grid on a synthetic test split."""
    from inforates.cli import main as cli_main
    from inforates.data.synthetic import CLASS_NAMES, generate_synthetic

    data = generate_synthetic(tmp_path / "synthetic", videos_per_class={"train": 1, "test": 2})
    checkpoint = make_checkpoint(tmp_path / "demo-videomae", classes=list(CLASS_NAMES))
    args = ["--model_name_or_path", checkpoint, "--dataset_source", "synthetic", "--dataset_dir", data]
    args += ["--output_dir", tmp_path / "out", "--use_cpu", "true", "--report_to", "none"]
    assert cli_main(["evaluate", *map(str, args), "--max_eval_videos", "6"]) == 0
    out = tmp_path / "out" / "eval" / "demo-videomae"
    assert f"{out}/results.csv" in capsys.readouterr().out  # where the results are is printed
    predictions = pd.read_parquet(out / "predictions.parquet")
    assert len(predictions) == 6 * 25 and list(predictions.columns) == PREDICTION_COLUMNS
    assert sorted(predictions.drop_duplicates("video_id")["class_name"]) == sorted(CLASS_NAMES)  # stratified
    truth = pd.read_csv(data / "metadata.csv").set_index("video_id")
    by_video = predictions.drop_duplicates("video_id").set_index("video_id")
    assert by_video["f_hz"].to_numpy() == pytest.approx(truth.loc[by_video.index, "f_hz"].to_numpy())
    assert by_video["total_frames"].eq(truth.loc[by_video.index, "num_frames"]).all()
    assert len(pd.read_csv(out / "results.csv")) == 25 and len(pd.read_csv(out / "skipped.csv")) == 0
    assert json.loads((out / "run.json").read_text())["recipe"]["max_eval_videos"] == 6


def test_unknown_split_is_one_line_error(tmp_path, checkpoint, videofolder, capsys):
    from inforates.cli import main as cli_main

    args = ["evaluate", "--model_name_or_path", str(checkpoint), "--dataset_dir", str(videofolder)]
    assert cli_main([*args, "--output_dir", str(tmp_path), "--eval_split", "tset", "--use_cpu", "true"]) == 2
    assert "eval_split='tset'" in capsys.readouterr().err


def test_manifest_with_a_missing_video_lists_it_in_skipped(tmp_path, checkpoint, videofolder):
    """A manifest (every row a test video) naming a file that is not there: skipped as `missing`, run goes on."""
    rows = [f"{p},{p.parent.name}" for p in sorted((videofolder / "test").glob("circle*/*_0.mp4"))]
    rows.append(f"{videofolder / 'test' / 'square_cw' / 'gone.mp4'},square_cw")
    manifest = tmp_path / "list.csv"
    manifest.write_text("path,label\n" + "\n".join(rows) + "\n")
    recipe = ["--checkpoints", f"tiny={checkpoint}", "--dataset_source", "manifest", "--manifest_path", manifest]
    recipe += ["--eval_output_dir", tmp_path / "eval", "--coverages", 100, "--strides", 1, "--use_cpu", "true"]
    recipe += ["--dataset_dir", videofolder]  # absolute paths must lie inside it (else: the manifest's folder)
    assert main(list(map(str, recipe))) == 0
    skipped = pd.read_csv(tmp_path / "eval" / "tiny" / "skipped.csv")
    assert skipped[["stage"]].values.tolist() == [["missing"]] and skipped["path"].iloc[0].endswith("gone.mp4")
    run = json.loads((tmp_path / "eval" / "tiny" / "run.json").read_text())
    assert run["videos"] == {"total": 2, "evaluated": 2, "skipped": 0, "missing": 1}
