"""Evaluate one checkpoint over the sampling grid into its output folder, resumably.

Every process loads the model and runs ``Trainer.predict`` on its share of each shard of videos; the main
process turns the gathered outputs into prediction rows, writes the shard, and at the end the result files.
"""

from __future__ import annotations

import copy
import logging
import time
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
from accelerate import PartialState
from accelerate.utils import broadcast_object_list
from tqdm.auto import tqdm
from transformers.trainer_utils import IntervalStrategy

from ..data.skips import SkipLog
from ..errors import OutputError, RecipeError
from ..files import FolderLock, redacted
from ..models import load_checkpoint
from ..sampling import SamplingVariant, check_grid
from ..schema import PREDICTION_COLUMNS, SKIPPED_COLUMNS, per_class_table, results_table
from .checkpoints import Checkpoint, generic_labels, label_mapping, weights_sha256
from .grid import GridCollator
from .metadata import git_revision, package_versions
from .predictor import GridPredictor, predict_videos
from .store import RunStore
from .tables import RowSource, prediction_rows, view_rows
from .videos import EvalVideos


logger = logging.getLogger(__name__)


def _prediction_args(training_args, videos_per_batch: int):
    """The recipe's TrainingArguments for ``predict``: batches of videos, our own progress bar, no trackers,
    nothing pushed to the Hub, none of the recipe's training-time evaluation and saving schedule."""
    args = copy.copy(training_args)
    args.eval_strategy = args.save_strategy = IntervalStrategy.NO
    args.load_best_model_at_end = False
    args.per_device_eval_batch_size = videos_per_batch
    args.disable_tqdm = True
    args.report_to = []
    args.push_to_hub = False
    args.dataloader_drop_last = False
    args.remove_unused_columns = False
    return args


def run_fingerprint(checkpoint, recipe, videos, variants, model, settings, clip_len) -> dict:
    """Everything the results depend on: a folder is resumed or kept only when this matches."""
    return {
        "checkpoint": checkpoint.path,
        "checkpoint_sha256": weights_sha256(checkpoint.path, model),
        "data": {
            k: getattr(recipe.data, k) for k in ("dataset_source", "dataset_dir", "dataset_name", "manifest_path")
        },
        "split": videos.split,
        "max_eval_videos": recipe.evaluation.max_eval_videos,
        "videos": len(videos),
        "videos_sha256": videos.digest(),
        "variants": [v.name for v in variants],
        "clip_len": clip_len,
        "processor": settings.to_json_dict(),
        "seed": recipe.training.seed,
        "eval_shard_size": recipe.evaluation.eval_shard_size,
        "protocol": videos.protocol,
        "test_clips": recipe.evaluation.test_clips,
        "test_crops": recipe.evaluation.test_crops,
        "bandwidth_sha256": videos.bandwidth_sha256,
    }


def run_record(checkpoint, recipe, videos, variants, model, fingerprint, predictions, skipped, timings, command):
    """``run.json``: what was evaluated, with what software, how long it took."""
    return {
        "model": checkpoint.name,
        "checkpoint": checkpoint.path,
        "checkpoint_origin": checkpoint.origin,
        "checkpoint_sha256": fingerprint["checkpoint_sha256"],
        "model_type": model.config.model_type,
        "clip_len": fingerprint["clip_len"],
        "processor": fingerprint["processor"],
        "seed": recipe.training.seed,
        "split": videos.split,
        "protocol": videos.protocol,
        "segment_frames": videos.segment_frames,
        "videos": {
            "total": len(videos),
            "evaluated": len(predictions) // len(variants),
            "skipped": len(videos) - len(predictions) // len(variants),  # could not be decoded
            "missing": len(videos.missing),  # listed by the dataset, absent on disk (not in `total`)
        },
        "variants": [v.name for v in variants],
        "test_clips": fingerprint["test_clips"],
        "test_crops": fingerprint["test_crops"],
        "clips_computed": timings.pop("clips_computed"),
        "recipe": recipe.to_dict(),
        "command": redacted(list(command)),
        "versions": package_versions(),
        "git": git_revision(),
        "num_processes": PartialState().num_processes,
        "device": str(recipe.training.device),
        "timings": {**timings, "finished": datetime.now(timezone.utc).isoformat(timespec="seconds")},
    }


def evaluate_checkpoint(
    checkpoint: Checkpoint,
    recipe,
    videos: EvalVideos,
    variants: Sequence[SamplingVariant],
    out_dir: str | Path,
    command: Sequence[str] = (),
) -> str:
    """Evaluate ``checkpoint`` on ``videos`` over ``variants`` into ``out_dir``; returns ``"complete"`` when
    the folder already held this evaluation finished, else ``"evaluated"``."""
    state, began = PartialState(), time.time()
    model, settings, clip_len = load_checkpoint(checkpoint.path, recipe.model)
    try:
        aliases = check_grid(list(variants), clip_len, recipe.training.seed)
    except ValueError as err:
        raise RecipeError(f"sampling grid of {checkpoint.name} (clip_len {clip_len}): {err}") from None
    if aliases and state.is_main_process:
        pairs = ", ".join(f"{a} = {b}" for a, b in aliases)
        print(f"{checkpoint.name}: these cells give the same frames on every video length ({pairs}): they are "
              "evaluated and reported, and the statistics count each distinct cell once", flush=True)  # fmt: skip
    fingerprint = run_fingerprint(checkpoint, recipe, videos, variants, model, settings, clip_len)
    store = RunStore(out_dir, fingerprint)
    lock = _lock_folder(out_dir, state)
    try:
        return _evaluate(checkpoint, recipe, videos, variants, store, state, began, command, model, settings, clip_len)
    finally:
        if lock is not None:
            lock.release()


def _lock_folder(out_dir, state) -> FolderLock | None:
    """The main process locks ``out_dir`` (a second evaluation into it is refused); every process learns whether
    it did, so that all of them stop together."""
    lock, refusal = None, None
    if state.is_main_process:
        try:
            lock = FolderLock(out_dir, key="eval_output_dir").acquire()
        except OutputError as err:
            refusal = str(err)
    if state.num_processes > 1:
        refusal = broadcast_object_list([refusal])[0]
    if refusal is not None:
        raise OutputError(refusal)
    return lock


def _evaluate(checkpoint, recipe, videos, variants, store, state, began, command, model, settings, clip_len) -> str:
    out_dir, fingerprint = store.path, store.fingerprint
    id2label = {int(i): str(n) for i, n in model.config.id2label.items()}
    to_model = label_mapping(id2label, videos.class_names)
    if state.is_main_process and generic_labels(id2label) and not generic_labels(dict(enumerate(videos.class_names))):
        names = videos.class_names
        print(f"{checkpoint.name}: the checkpoint's labels are LABEL_0..LABEL_{len(names) - 1} (no class names), so "
              f"they are taken in the dataset's class order ({', '.join(names[:3])}, ...); "
              "save id2label in its config.json to match classes by name", flush=True)  # fmt: skip
    model_labels = [id2label.get(i, f"LABEL_{i}") for i in range(model.config.num_labels)]
    status = store.state(recipe.evaluation.overwrite)  # every process decides before any of them writes
    state.wait_for_everyone()
    if status == "complete":
        if state.is_main_process:
            store.clear_work_files()
        return "complete"
    if state.is_main_process:
        store.start(status)
    state.wait_for_everyone()
    progress = store.read_progress()
    load_s = time.time() - began

    size = recipe.evaluation.eval_shard_size
    shards = [(start, min(start + size, len(videos))) for start in range(0, len(videos), size)]
    done = store.done_shards(progress)
    if state.is_main_process:
        for problem in store.problems:
            print(problem, flush=True)
    if state.is_main_process and status == "resume":
        print(f"{checkpoint.name}: resuming: {len(done)} of {len(shards)} shards already in {out_dir}", flush=True)
    bar = tqdm(
        total=len(videos),
        initial=sum(stop - start for k, (start, stop) in enumerate(shards) if k in done),
        unit="video",
        desc=checkpoint.name,
        disable=not state.is_main_process or bool(recipe.training.disable_tqdm),
        dynamic_ncols=True,
    )
    clip_batch = recipe.training.per_device_eval_batch_size
    test_clips, test_crops = recipe.evaluation.test_clips, recipe.evaluation.test_crops
    views = recipe.evaluation.views
    trainer = GridPredictor(
        model=model,
        args=_prediction_args(recipe.training, max(1, clip_batch // (len(variants) * views))),
        data_collator=GridCollator(variants, clip_len, settings, recipe.training.seed, test_clips, test_crops),
        clip_batch=clip_batch,
        progress=bar if state.is_main_process else None,
    )
    source = RowSource(checkpoint.name, videos.table, variants, clip_len, to_model, model_labels, recipe.training.seed)
    try:  # closed on an error too, so that the error's line is not glued to the bar
        for k, (start, stop) in enumerate(shards):
            if k in done:
                continue
            shard_began = time.perf_counter()
            ids = videos.table["video_id"].iloc[start:stop].tolist()
            output = predict_videos(
                trainer, list(range(start, stop)), videos.values(start, stop), ids, videos.segments(start, stop)
            )
            seconds = time.perf_counter() - shard_began
            if state.is_main_process:
                rows = prediction_rows(source, output)
                log = SkipLog()
                for path, stage, reason in output.skipped:
                    log.record(path, stage, reason)
                skipped = pd.DataFrame(log.rows, columns=SKIPPED_COLUMNS)
                per_view = None
                if views > 1:
                    per_view = view_rows(source, output, test_clips, test_crops)
                info = {"videos": stop - start, "seconds": seconds, "clips": int(output.clips_computed.sum())}
                store.write_shard(progress, k, rows, skipped, info, per_view)
                bar.n = sum(stop - start for k, (start, stop) in enumerate(shards) if str(k) in progress["shards"])
                bar.refresh()
    finally:
        bar.close()

    if state.is_main_process:
        predictions, skipped = store.read_shards(progress)
        if "views" not in predictions:  # shards written by a version before multi-view testing: one view each
            predictions["views"] = (~predictions["too_short"].astype(bool)).astype("int64")
        if videos.missing:
            missing = pd.DataFrame(videos.missing, columns=SKIPPED_COLUMNS)
            skipped = pd.concat([missing, skipped], ignore_index=True) if len(skipped) else missing
        predict_s = sum(info["seconds"] for info in progress["shards"].values())
        shard_info = progress["shards"].values()
        # distinct clips run through the model (shards of versions before multi-view testing: one per row)
        clips = (
            sum(info["clips"] for info in shard_info) if all("clips" in i for i in shard_info) else len(predictions)
        )
        clips_per_s = clips / predict_s if predict_s > 0 else float("nan")
        timings = {"load_s": round(load_s, 3), "predict_s": round(predict_s, 3), "clips_per_s": clips_per_s}
        timings["sessions"] = progress.get("sessions", 1)
        timings["clips_computed"] = clips
        tables = {
            "predictions.parquet": predictions[PREDICTION_COLUMNS],
            "results.csv": results_table(predictions, variants, checkpoint.name, clips_per_s),
            "per_class.csv": per_class_table(predictions, variants, videos.class_names),
            "skipped.csv": skipped,
        }
        if views > 1:
            tables["views.parquet"] = store.read_view_shards(progress)
        run = run_record(
            checkpoint, recipe, videos, variants, model, fingerprint, predictions, skipped, timings, command
        )
        store.finish(progress, tables, run)
    state.wait_for_everyone()
    return "evaluated"
