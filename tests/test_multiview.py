"""Multi-view testing (``test_clips`` x ``test_crops``) crossed with the sampling grid: a tiny VideoMAE on real
encoded videos, checked against views computed by hand."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import transformers
from conftest import numbered_frames, write_video
from test_evaluate import CLASSES, make_checkpoint, make_videofolder, run_eval
from test_evaluate_distributed import evaluate_in_two_processes

from inforates.commands.evaluate import main
from inforates.data.decoding import DECODE_STATS, VideoReader, reset_decode_stats
from inforates.data.processor import ProcessorSettings
from inforates.data.transforms import crop_boxes, eval_transform
from inforates.errors import OutputError
from inforates.evaluation.grid import GridCollator
from inforates.evaluation.store import RunStore
from inforates.evaluation.views import AVERAGED, SINGLE, plan_views
from inforates.sampling import SamplingVariant, temporal_views, union_indices, video_rng
from inforates.schema import PREDICTION_COLUMNS, VIEW_COLUMNS


GRID = ("--coverages", 50, 100, "--strides", 1, 4)
ONE_CLIP_AT_A_TIME = ("--per_device_eval_batch_size", 1)  # every clip alone through the model: exact logits


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory) -> Path:
    return make_checkpoint(tmp_path_factory.mktemp("ckpt") / "tiny-videomae")


def video_folder(root: Path, size: tuple[int, int], lengths=(40, 61)) -> Path:
    """``root/test/<class>/*.mp4``: real H.264 videos of ``size`` (height, width), one per length and class."""
    for c, name in enumerate(CLASSES):
        for i, length in enumerate(lengths):
            frames = numbered_frames(length, *size, seed=10 * c + i)
            write_video(root / "test" / name / f"{name}_{i}.mp4", frames, fps=25.0)
    return root


@pytest.fixture(scope="module")
def landscape(tmp_path_factory) -> Path:
    return video_folder(tmp_path_factory.mktemp("landscape"), (48, 64))  # resized to 32 x 42: three crops differ


@pytest.fixture(scope="module")
def square(tmp_path_factory) -> Path:
    return video_folder(tmp_path_factory.mktemp("square"), (64, 64))  # resized to 32 x 32: the crops coincide


def softmax(logits: np.ndarray) -> np.ndarray:
    z = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return z / z.sum(axis=-1, keepdims=True)


def hand_views(model, settings, path, variant, clips, crops):
    """Every view of one cell of one video, built without the evaluation code: the rule's indices, decoded and
    resized by ``eval_transform`` (no crop), then cropped by hand; returns ``[(k, crop name, indices, logits)]``."""
    reader = VideoReader(path)
    views = temporal_views(variant, reader.total_frames, 8, clips, video_rng(0, Path(path).stem), reader.fps)
    out = []
    for k, indices in enumerate(views):
        resized = eval_transform(reader.get(indices), dataclasses.replace(settings, crop_size=None))
        width = resized.shape[-1]  # 42: landscape, the crops move along the width
        lefts = {"left": 0, "center": (width - 32) // 2, "right": width - 32}
        lefts = lefts if crops == 3 else {"center": lefts["center"]}
        for name, left in lefts.items():
            with torch.no_grad():
                logits = model(pixel_values=resized[None, ..., left : left + 32]).logits[0].double().numpy()
            out.append((k, name, indices, logits))
    return out


def test_averaged_logits_match_views_computed_by_hand(checkpoint, landscape, tmp_path):
    _, out, videos, variants = run_eval(checkpoint, landscape, tmp_path, *GRID, "--test_clips", 2, "--test_crops", 3)
    predictions = pd.read_parquet(out / "predictions.parquet")
    views = pd.read_parquet(out / "views.parquet")
    assert list(predictions.columns) == PREDICTION_COLUMNS and list(views.columns) == VIEW_COLUMNS
    # coverage 100 %: both temporal views are the whole video, 3 distinct crops; coverage 50 %: 2 x 3 distinct
    assert (predictions["views"] == np.where(predictions["coverage"] == 100, 3, 6)).all()
    model = transformers.VideoMAEForVideoClassification.from_pretrained(checkpoint).eval()
    settings = ProcessorSettings.from_pretrained(checkpoint)
    checked = 0
    for path in videos.table["path"].iloc[[0, 3]]:  # a 40- and a 61-frame video
        video_id = Path(path).stem
        for variant in variants:
            row = predictions[(predictions["path"] == path) & (predictions["variant"] == variant.name)].iloc[0]
            mine = views[(views["video_id"] == row["video_id"]) & (views["variant"] == variant.name)]
            reference = hand_views(model, settings, path, variant, 2, 3)
            distinct = {(tuple(i.tolist()), name): logits for k, name, i, logits in reference}
            assert row["views"] == len(distinct) == mine["averaged"].sum()
            probs = softmax(np.mean(list(distinct.values()), axis=0))
            assert row["pred"] == probs.argmax() and row["p_true"] == pytest.approx(probs[row["label"]], abs=1e-5)
            for k, name, indices, logits in reference:
                got = mine[(mine["clip"] == k) & (mine["crop"] == name)]
                if len(got) == 0:  # a repeat of an earlier view: listed once
                    assert variant.coverage == 100 and k == 1
                    continue
                assert got["frames"].iloc[0] == " ".join(map(str, indices.tolist()))
                assert got["p_true"].iloc[0] == pytest.approx(softmax(logits)[row["label"]], abs=1e-5)
                assert got["pred"].iloc[0] == logits.argmax()
            # the facts describe the single-view clip (the cell's own anchor, centre crop)
            own = variant.indices(int(row["total_frames"]), 8, rng=video_rng(0, video_id), fps=row["fps"])
            assert row["frames"] == " ".join(map(str, own.tolist()))
            single = mine[mine["single_view"]]
            assert len(single) == 1 and single["crop"].iloc[0] == "center" and single["clip"].iloc[0] == 0
            checked += 1
    assert checked == 2 * len(variants)
    run = json.loads((out / "run.json").read_text())
    assert (run["test_clips"], run["test_crops"]) == (2, 3) and run["fingerprint"]["test_crops"] == 3
    assert run["clips_computed"] == len(views)  # each distinct (indices, crop) of a video once


def test_single_view_is_exact_and_stays_computable_from_a_multi_view_run(checkpoint, landscape, tmp_path):
    """``test_clips: 1, test_crops: 1`` is today's evaluation, bit for bit (each clip against the model on that
    clip alone); the multi-view run's ``single_view`` rows give the same figures."""
    _, one, videos, variants = run_eval(checkpoint, landscape, tmp_path / "one", *GRID, *ONE_CLIP_AT_A_TIME)
    single = pd.read_parquet(one / "predictions.parquet")
    assert not (one / "views.parquet").exists() and (single["views"] == 1).all()
    settings = ProcessorSettings.from_pretrained(checkpoint)
    model = transformers.VideoMAEForVideoClassification.from_pretrained(checkpoint).eval()
    for row in single.iloc[::5].itertuples():
        indices = np.array(row.frames.split(), dtype=np.int64)
        with torch.no_grad():
            logits = model(pixel_values=eval_transform(VideoReader(row.path).get(indices), settings)[None]).logits
        expected = softmax(logits[0].double().numpy())
        assert row.p_true == expected[row.label] and row.pred == expected.argmax()  # exact, not approximate

    _, many, _, _ = run_eval(
        checkpoint, landscape, tmp_path / "many", *GRID, *ONE_CLIP_AT_A_TIME, "--test_clips", 2, "--test_crops", 3
    )
    views = pd.read_parquet(many / "views.parquet")
    chosen = views[views["single_view"]].merge(single, on=["video_id", "variant"], suffixes=("", "_single"))
    assert len(chosen) == len(single)
    assert (chosen["p_true"] == chosen["p_true_single"]).all() and (chosen["pred"] == chosen["pred_single"]).all()
    assert (chosen["frames"] == chosen["frames_single"]).all()
    # the start anchor's clip is temporal view 0, one of the averaged views
    assert chosen["averaged"].all() and (chosen["clip"] == 0).all()


def test_a_center_anchor_with_two_clips_computes_its_single_view_clip_beside_them(checkpoint, landscape, tmp_path):
    _, out, _, _ = run_eval(
        checkpoint, landscape, tmp_path, "--coverages", 50, "--strides", 1, 4, "--anchor", "center",
        "--test_clips", 2, "--test_crops", 1,
    )  # fmt: skip
    views = pd.read_parquet(out / "views.parquet")
    single = views[views["single_view"]]
    # views start at 0 and at the last start; the centre anchor's clip is neither: computed, not averaged
    assert (single["clip"] == -1).all() and not single["averaged"].any()
    assert (pd.read_parquet(out / "predictions.parquet")["views"] == 2).all()


def test_square_frames_count_three_crops_once(checkpoint, square, tmp_path):
    _, one, _, _ = run_eval(checkpoint, square, tmp_path / "one", *GRID, *ONE_CLIP_AT_A_TIME)
    _, three, _, _ = run_eval(checkpoint, square, tmp_path / "three", *GRID, *ONE_CLIP_AT_A_TIME, "--test_crops", 3)
    single, crops = pd.read_parquet(one / "predictions.parquet"), pd.read_parquet(three / "predictions.parquet")
    assert (crops["views"] == 1).all()
    pd.testing.assert_frame_equal(single.drop(columns="views"), crops.drop(columns="views"), check_exact=True)
    views = pd.read_parquet(three / "views.parquet")
    assert len(views) == len(crops) and (views["crop"] == "center").all() and views["single_view"].all()


def test_each_video_is_decoded_once_and_each_distinct_clip_computed_once(landscape, make_video):
    variants = [
        SamplingVariant(50, 1),
        SamplingVariant(50, 4),
        SamplingVariant(100, 4),
        SamplingVariant(100, 4, "dense"),
    ]
    settings = ProcessorSettings.from_pretrained(make_checkpoint(Path(make_video("x.mp4").parent) / "ckpt"))
    paths = sorted(str(p) for p in (landscape / "test").glob("*/*.mp4"))[:3]
    collator = GridCollator(variants, 8, settings, seed=0, test_clips=2, test_crops=3)
    reset_decode_stats()
    batch = collator([{"row": r, "video": p, "video_id": Path(p).stem} for r, p in enumerate(paths)])
    assert DECODE_STATS.opens == len(paths)
    expected_frames, expected_clips, boxes = 0, [], crop_boxes(32, 42, (32, 32), 3)
    for path in paths:
        reader = VideoReader(path)
        views = [temporal_views(v, reader.total_frames, 8, 2, video_rng(0, Path(path).stem)) for v in variants]
        expected_frames += len(union_indices([i for cell in views for i in cell]))
        expected_clips.append({(tuple(i.tolist()), b) for cell in views for i in cell for b in boxes})
    assert DECODE_STATS.frames_decoded == expected_frames
    # the frames of each video once per crop; each distinct clip (shared by cells too) once, gathered from them
    assert batch["pixel_values"].shape == (3 * expected_frames, 3, 32, 32)
    assert batch["clip_frames"].shape == (sum(map(len, expected_clips)), 8)
    clips = iter(batch["pixel_values"][rows] for rows in batch["clip_frames"])
    no_crop = dataclasses.replace(settings, crop_size=None)
    for path, expected in zip(paths, expected_clips):
        got = [next(clips) for _ in expected]
        if path != paths[1]:
            continue  # the clips of the 61-frame video checked by hand
        reader = VideoReader(path)
        for indices, (_, left) in expected:
            clip = eval_transform(reader.get(list(indices)), no_crop)
            assert sum(torch.equal(clip[..., left : left + 32], mine) for mine in got) == 1
    assert batch["view_slots"].shape == (3, len(variants), 2 * 3 + 1)
    flags = batch["view_flags"].numpy()
    assert ((flags & SINGLE) > 0).sum(axis=-1).tolist() == [[1] * len(variants)] * 3
    assert ((flags[:, 2] & AVERAGED) > 0).sum(axis=-1).tolist() == [3, 3, 3]  # cov100: the 2 clips coincide


def test_plan_counts_repeats_once_and_a_too_short_cell_has_no_views():
    budget = SamplingVariant(stride=8, sampler="spacing_budget", budget=8)  # 57 frames needed
    plan = plan_views([SamplingVariant(100, 1), budget], 40, 8, clips=3, boxes=[(0, 0), (0, 5), (0, 10)])
    assert plan.slots[1].tolist() == [-1] * 10 and not plan.flags[1].any()
    assert ((plan.flags[0] & AVERAGED) > 0).sum() == 3 and len(plan.clips) == 3
    assert crop_boxes(42, 32, (32, 32), 3) == [(0, 0), (5, 0), (10, 0)]  # portrait: top, centre, bottom
    assert crop_boxes(20, 40, (32, 32), 3) == [(0, 0), (0, 4), (0, 8)]  # padded to 32 high first


def test_other_views_refuse_a_finished_folder_and_old_records_mean_one_view(checkpoint, square, tmp_path):
    grid = ("--coverages", 100, "--strides", 1, 4)
    status, out, _, _ = run_eval(checkpoint, square, tmp_path, *grid)
    assert status == "evaluated"
    with pytest.raises(OutputError, match="differs in test_clips"):
        run_eval(checkpoint, square, tmp_path, *grid, "--test_clips", 2)
    # a folder written before test_clips/test_crops were recorded: read as one view, still complete
    run = json.loads((out / "run.json").read_text())
    for key in ("test_clips", "test_crops"):
        del run["fingerprint"][key]
    (out / "run.json").write_text(json.dumps(run))
    assert run_eval(checkpoint, square, tmp_path, *grid)[0] == "complete"
    with pytest.raises(OutputError, match="differs in test_crops"):
        run_eval(checkpoint, square, tmp_path, *grid, "--test_crops", 3)


def test_a_run_stopped_before_its_result_files_resumes_to_the_same_views(checkpoint, landscape, tmp_path, monkeypatch):
    grid = ("--coverages", 50, "--strides", 1, 4, "--test_clips", 2, "--test_crops", 3, "--eval_shard_size", 2)
    _, whole, _, _ = run_eval(checkpoint, landscape, tmp_path / "whole", *grid)

    def killed(self, progress, tables, run):
        raise KeyboardInterrupt

    monkeypatch.setattr(RunStore, "finish", killed)
    with pytest.raises(KeyboardInterrupt):
        run_eval(checkpoint, landscape, tmp_path / "cut", *grid)
    monkeypatch.undo()
    out = tmp_path / "cut" / "tiny"
    assert sorted(p.name for p in (out / "shards").glob("*.views.parquet")) == [
        f"0000{i}.views.parquet" for i in range(3)
    ]
    assert run_eval(checkpoint, landscape, tmp_path / "cut", *grid)[0] == "evaluated"
    for name in ("predictions.parquet", "views.parquet"):
        pd.testing.assert_frame_equal(pd.read_parquet(out / name), pd.read_parquet(whole / name))


@pytest.mark.slow  # an `accelerate launch` of 2 processes: ~1 min on 2 cores
def test_two_processes_gather_the_views_of_a_one_process_run(tmp_path):
    checkpoint = make_checkpoint(tmp_path / "tiny")
    videos = make_videofolder(tmp_path / "videos", per_class=2)  # 6 landscape videos + 1 broken
    args = [
        "--checkpoints", f"tiny={checkpoint}", "--dataset_dir", str(videos), "--coverages", "50", "100",
        "--strides", "1", "8", "--test_clips", "2", "--test_crops", "3", "--eval_shard_size", "3",
        "--per_device_eval_batch_size", "6", "--use_cpu", "true", "--report_to", "none", "--seed", "0",
    ]  # fmt: skip
    assert main([*args, "--output_dir", str(tmp_path / "one")]) == 0
    proc = evaluate_in_two_processes(args, tmp_path / "two")
    assert proc.returncode == 0, proc.stderr[-4000:]
    one, two = tmp_path / "one" / "eval" / "tiny", tmp_path / "two" / "eval" / "tiny"
    for name in ("predictions.parquet", "views.parquet"):
        single, double = pd.read_parquet(one / name), pd.read_parquet(two / name)
        assert len(double) == len(single) > 0
        pd.testing.assert_frame_equal(double, single, check_exact=False, rtol=1e-5)
    run = json.loads((two / "run.json").read_text())
    assert run["num_processes"] == 2 and run["clips_computed"] == len(pd.read_parquet(two / "views.parquet"))
