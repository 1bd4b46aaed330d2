"""The demo's pretrained checkpoints, made the way real ones are (another task first).

    pretrain(["timesformer"], fresh=True)

Each tiny architecture is trained on the synthetic *pretrain* task (``recipes/demo/pretrain/<model>.yaml``:
squares, crosses and rings turning either way, slow or fast: 12 classes of its own), and its best checkpoint on
that task's validation split is exported as a small safetensors folder: ``config.json``, ``model.safetensors``,
``preprocessor_config.json``, the resolved ``recipe.yaml`` and a ``README.md`` saying how it was made. The demo's
recipes fine-tune these folders (registry names ``demo-<model>``) on the aliasing benchmark with a new head
(``ignore_mismatched_sizes``), as a Kinetics-400 checkpoint is fine-tuned on UCF-101. Pretraining is not part of
``make demo``; the folders are committed (a few hundred KB each).
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Sequence
from pathlib import Path

from ..configs import parse_recipe
from ..model_registry import CHECKPOINTS_DIR
from .pipeline import MODELS, RECIPES_DIR


PRETRAIN_RECIPES = RECIPES_DIR / "pretrain"
CHECKPOINTS = Path(CHECKPOINTS_DIR) / "demo"  # package data; the demo recipes name these as demo-<model>
EXPORTED = ("config.json", "model.safetensors", "preprocessor_config.json", "recipe.yaml")


def _card(model: str, recipe, metrics: dict, seconds: float, classes: list[str]) -> str:
    training = recipe.training
    return f"""# Tiny {model}, pretrained on the inforates synthetic pretrain task

Made by `inforates pretrain-demo --models {model}` (recipe `inforates/recipes/demo/pretrain/{model}.yaml`, also
saved here as `recipe.yaml`) on a 2-core CPU in {seconds:.0f} s: {training.num_train_epochs:g} epochs of
{training.per_device_train_batch_size} clips per step, AdamW at {training.learning_rate:g} with a cosine schedule,
seed {training.seed}; the checkpoint kept is the best on the task's validation split.

Task: `inforates synth --task pretrain` (seed {recipe.data.synth_seed}), {len(classes)} classes
({", ".join(classes)}): squares, crosses and rings turning clockwise or counter-clockwise, slow or fast (the two
halves of 1.3-4.8 rev/s), 96 frames at 24 fps, 32 x 32 px. Clips: 8 distinct frames 1 or 2 frames apart.

Validation on that task: {", ".join(f"{k} {v:.3f}" for k, v in metrics.items())}.

Used by `inforates demo`, which fine-tunes it on the aliasing benchmark (other shapes, 6 classes) with a new
classification head, as a Kinetics-400 checkpoint is fine-tuned on UCF-101. Loads in plain transformers
(`AutoModelForVideoClassification.from_pretrained(<this folder>)`).
"""


def export(run_dir: Path, out: Path, card: str) -> Path:
    """Copy a finished run's model files to ``out`` (replacing an earlier export there) with its card."""
    out.mkdir(parents=True, exist_ok=True)
    for name in EXPORTED:
        shutil.copy2(run_dir / name, out / name)
    recipe = out / "recipe.yaml"  # its header names the recipe file: as the repository does, not this machine
    recipe.write_text(recipe.read_text().replace(str(PRETRAIN_RECIPES.parents[3]) + "/", ""))
    (out / "README.md").write_text(card)
    return out


def pretrain(
    models: Sequence[str] = MODELS,
    out: str | Path = CHECKPOINTS,
    work: str | Path = "outputs/pretrain",
    fresh: bool = False,
) -> list[Path]:
    """Train each model on the pretrain task (a finished run is reused unless ``fresh``) and export it to
    ``out/<model>``; returns the exported folders."""
    from ..training.run import train
    from ..training.run_dir import is_finished

    exported = []
    for model in models:
        run_dir = Path(work) / model
        recipe = parse_recipe(["--config", str(PRETRAIN_RECIPES / f"{model}.yaml"), "--output_dir", str(run_dir)])
        began = time.perf_counter()
        if fresh or not is_finished(recipe):
            train(recipe.replace(overwrite_output_dir=fresh))
        seconds = time.perf_counter() - began
        evaluation = json.loads((run_dir / "eval_results.json").read_text())
        metrics = {k.removeprefix("eval_"): v for k, v in evaluation.items() if k in ("eval_accuracy", "eval_top5")}
        classes = list(json.loads((run_dir / "config.json").read_text())["id2label"].values())
        exported.append(export(run_dir, Path(out) / model, _card(model, recipe, metrics, seconds, classes)))
        print(f"{model}: validation accuracy {metrics.get('accuracy', float('nan')):.3f} on the pretrain task, "
              f"{seconds:.0f} s -> {exported[-1]}", flush=True)  # fmt: skip
    return exported
