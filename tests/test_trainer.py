"""VideoTrainer on real encoded videos: learning, metrics, collator wiring, throughput logs; the metric module."""

from __future__ import annotations

import re

import datasets
import numpy as np
import pytest
from conftest import numbered_frames, write_video

from inforates.configs import DataArguments, ModelArguments, SamplingArguments, VideoTrainingArguments
from inforates.metrics import load_video_metric
from inforates.models import load_model_for_training
from inforates.training.trainer import VideoTrainer, make_collators, make_compute_metrics


CLASSES = ["brighter", "darker"]


@pytest.fixture(scope="module")
def ramp_videos(tmp_path_factory):
    """A learnable toy task: 16 videos (32 px, 16 frames) that get brighter or darker over time."""
    folder = tmp_path_factory.mktemp("ramps")
    rows = []
    for i in range(16):
        frames = numbered_frames(16, 32, 32, seed=i)
        label = i % 2
        path = write_video(folder / f"ramp_{i:02d}.mp4", frames[::-1].copy() if label else frames)
        rows.append({"video": str(path), "label": label})
    features = datasets.Features({"video": datasets.Value("string"), "label": datasets.ClassLabel(names=CLASSES)})
    return datasets.Dataset.from_list(rows, features=features)


def make_trainer(arch, dataset, tmp_path, **overrides):
    label2id = {n: i for i, n in enumerate(CLASSES)}
    model, settings, clip_len = load_model_for_training(
        ModelArguments(f"tiny-{arch}"), label2id, dict(enumerate(CLASSES))
    )
    defaults = dict(
        output_dir=str(tmp_path / arch),
        use_cpu=True,
        report_to="none",
        num_train_epochs=4,
        per_device_train_batch_size=8,
        per_device_eval_batch_size=16,
        learning_rate=2e-3,
        warmup_steps=1,
        logging_steps=1,
        eval_strategy="no",
        save_strategy="no",
        seed=0,
        disable_tqdm=True,
    )
    args = VideoTrainingArguments(**{**defaults, **overrides})
    train_collator, eval_collator = make_collators(
        settings, clip_len, SamplingArguments(), DataArguments(horizontal_flip=False), seed=0
    )
    trainer = VideoTrainer(
        model=model,
        args=args,
        train_dataset=dataset,
        eval_dataset=dataset,
        data_collator=train_collator,
        eval_collator=eval_collator,
        compute_metrics=make_compute_metrics(),
    )
    return trainer, train_collator, eval_collator


@pytest.mark.parametrize("arch", ["timesformer", "videomae", "vivit"])
def test_each_tiny_architecture_learns_the_toy_task(arch, ramp_videos, tmp_path):
    trainer, _, _ = make_trainer(arch, ramp_videos, tmp_path, num_train_epochs=8)
    before = trainer.evaluate()
    result = trainer.train()
    after = trainer.evaluate()
    losses = [log["loss"] for log in trainer.state.log_history if "loss" in log]
    assert len(losses) == 16
    assert np.mean(losses[-2:]) < 0.8 * np.mean(losses[:2]), losses
    assert after["eval_loss"] < before["eval_loss"]
    assert set(after) >= {"eval_accuracy", "eval_top5", "eval_mean_class_accuracy"}
    assert after["eval_top5"] == 1.0  # two classes: the true one is always in the top 5
    steps = [log for log in trainer.state.log_history if "loss" in log]
    assert all(log["clips_per_second"] > 0 and 0 <= log["data_wait_share"] <= 1 for log in steps)
    assert result.metrics["train_clips_per_second"] > 0 and 0 <= result.metrics["train_data_wait_share"] <= 1


def test_evaluation_uses_the_deterministic_collator(ramp_videos, tmp_path):
    trainer, train_collator, eval_collator = make_trainer(
        "videomae", ramp_videos, tmp_path, remove_unused_columns=True
    )
    assert trainer.args.remove_unused_columns is False  # the collators need the video column
    assert train_collator.train and not eval_collator.train
    assert train_collator.variant.anchor == "random" and eval_collator.variant.anchor == "start"
    assert trainer.get_eval_dataloader().collate_fn is eval_collator
    assert trainer.get_test_dataloader(ramp_videos).collate_fn is eval_collator
    assert trainer.get_train_dataloader().collate_fn is train_collator
    first, second = trainer.evaluate(), trainer.evaluate()
    assert first["eval_loss"] == second["eval_loss"]


def test_metric_module_against_hand_computed_values():
    metric = load_video_metric()
    scores = np.array(
        [
            [0.9, 0.05, 0.05, 0, 0, 0, 0],  # true 0, top-1 right
            [0.1, 0.2, 0.3, 0.4, 0, 0, 0],  # true 0: rank 4 -> in top 5
            [0, 0.01, 0.02, 0.1, 0.2, 0.3, 0.4],  # true 0: rank 7 -> not in top 5
            [0, 1, 0, 0, 0, 0, 0],  # true 1, right
            [1, 0, 0.5, 0, 0, 0, 0],  # true 2, wrong (rank 2)
        ]
    )
    result = metric.compute(predictions=scores, references=[0, 0, 0, 1, 2])
    assert result["accuracy"] == pytest.approx(2 / 5)
    assert result["top5"] == pytest.approx(4 / 5)
    assert result["mean_class_accuracy"] == pytest.approx((1 / 3 + 1 + 0) / 3)
    with pytest.raises(ValueError, match="class ids in"):
        metric.compute(predictions=scores, references=[0, 0, 0, 1, 7])


@pytest.mark.parametrize("arch", ["timesformer", "videomae", "vivit"])
def test_layer_decay_groups_reach_the_optimizer(arch, ramp_videos, tmp_path):
    """layer_decay 0.5 on a 2-layer encoder: embeddings at lr * 0.5^3, layer i at lr * 0.5^(2 - i), the head at lr;
    no weight decay on biases, norms, position/time embeddings and the CLS token; every trainable parameter once."""
    trainer, _, _ = make_trainer(arch, ramp_videos, tmp_path, layer_decay=0.5, weight_decay=0.05, learning_rate=1e-3)
    optimizer = trainer.create_optimizer()
    names = {id(p): n for n, p in trainer.model.named_parameters()}
    seen = [id(p) for group in optimizer.param_groups for p in group["params"]]
    assert sorted(seen) == sorted(id(p) for p in trainer.model.parameters() if p.requires_grad) and len(
        set(seen)
    ) == len(seen)
    for group in optimizer.param_groups:
        for parameter in group["params"]:
            name = names[id(parameter)]
            layer = re.search(r"\.(?:encoder\.layer|layers)\.(\d)\.", name)
            if layer:
                expected = 1e-3 * 0.5 ** (2 - int(layer.group(1)))
            elif ".embeddings." in name or "cls_token" in name:
                expected = 1e-3 * 0.5**3
            else:
                expected = 1e-3
            assert group["lr"] == pytest.approx(expected), name
            no_decay = ("norm", "position_embeddings", "time_embeddings", "cls_token")
            decayed = parameter.ndim > 1 and not any(k in name for k in no_decay)
            assert group["weight_decay"] == (0.05 if decayed else 0.0), name
    head = next(g for g in optimizer.param_groups if any(names[id(p)] == "classifier.weight" for p in g["params"]))
    assert head["lr"] == pytest.approx(1e-3) and head["weight_decay"] == 0.05


def test_without_layer_decay_the_optimizer_is_the_trainers(ramp_videos, tmp_path):
    trainer, _, _ = make_trainer("vivit", ramp_videos, tmp_path)
    assert {g["lr"] for g in trainer.create_optimizer().param_groups} == {2e-3}
