"""Training regularisers: mixup/CutMix maths and their use in VideoTrainer, the weight EMA (maths, final model,
resume, refusals), stochastic depth (per-layer rates, eval identity, plain-transformers reloading)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file
from scipy import stats
from test_train import run, synth  # noqa: F401  (synth is a fixture)
from test_trainer import CLASSES, make_trainer, ramp_videos  # noqa: F401  (ramp_videos is a fixture)
from transformers import AutoConfig, AutoModelForVideoClassification, TrainerCallback, set_seed
from transformers.integrations.deepspeed import unset_hf_deepspeed_config

from inforates.configs import ModelArguments, VideoTrainingArguments
from inforates.errors import RecipeError
from inforates.models import load_model_for_training
from inforates.training.drop_path import DropPath, apply_drop_path, drop_path_rates
from inforates.training.ema import EMA_FILE, WeightEma, check_ema
from inforates.training.mixup import (
    MixDraw,
    VideoMixup,
    box_lam,
    mix_clips,
    mix_rng,
    soft_target_cross_entropy,
    soft_targets,
)
from inforates.training.run_dir import RUN_FILE


LABELS = {n: i for i, n in enumerate(CLASSES)}
ID2LABEL = dict(enumerate(CLASSES))


def clips(batch=4, frames=3, size=(8, 10), seed=0):
    return torch.randn((batch, frames, 3, *size), generator=torch.Generator().manual_seed(seed))


# Mixup / CutMix maths


def test_draws_follow_the_beta_law_and_the_probabilities():
    mixer = VideoMixup(mixup_alpha=0.8, cutmix_alpha=1.0, prob=0.6, switch_prob=0.25, smoothing=0.0, num_classes=5)
    draws = [mixer.draw(mix_rng(0, 0, step), 32, 32) for step in range(3000)]
    mixed = [d for d in draws if d.mixes]
    assert len(mixed) / len(draws) == pytest.approx(0.6, abs=0.03)
    cut = [d for d in mixed if d.box is not None]
    assert len(cut) / len(mixed) == pytest.approx(0.25, abs=0.03)
    mix_lams = [d.lam for d in mixed if d.box is None]
    assert stats.kstest(mix_lams, stats.beta(0.8, 0.8).cdf).pvalue > 0.01
    only_mixup = VideoMixup(0.8, 0.0, 1.0, 0.5, 0.0, 5)
    assert all(only_mixup.draw(mix_rng(1, 0, s), 8, 8).box is None for s in range(50))
    only_cutmix = VideoMixup(0.0, 1.0, 1.0, 0.0, 0.0, 5)  # switch_prob only matters with both alphas
    assert all(only_cutmix.draw(mix_rng(1, 0, s), 8, 8).box is not None for s in range(50))
    assert mixer.draw(mix_rng(7, 1, 3, 2), 32, 32) == mixer.draw(mix_rng(7, 1, 3, 2), 32, 32)


def test_cutmix_box_is_one_tube_over_time_and_lam_is_its_real_area():
    mixer = VideoMixup(0.0, 1.0, 1.0, 0.5, 0.0, 4)
    x = clips(size=(12, 20))
    seen_clipped = False
    for step in range(200):
        draw = mixer.draw(mix_rng(3, 0, step), 12, 20)
        top, bottom, left, right = draw.box
        assert 0 <= top <= bottom <= 12 and 0 <= left <= right <= 20
        assert draw.lam == pytest.approx(1 - (bottom - top) * (right - left) / 240)
        mixed = mix_clips(x, draw)
        pasted = (mixed == x.flip(0)) & (mixed != x)  # (B, T, C, H, W)
        inside = torch.zeros(12, 20, dtype=torch.bool)
        inside[top:bottom, left:right] = True
        assert torch.equal(pasted, inside.expand_as(pasted)), step  # the same box in every clip, frame, channel
        assert 1 - pasted[0, 0, 0].float().mean().item() == pytest.approx(draw.lam)
        # timm cuts a box of sqrt(1 - lam) of each side; one that sticks out of the frame is smaller
        seen_clipped |= bottom - top < int(12 * np.sqrt(1 - draw.lam)) or top == 0 or bottom == 12
    assert seen_clipped
    assert box_lam((0, 6, 0, 10), 12, 20) == 0.75


def test_mixup_is_one_mix_for_every_frame_and_leaves_the_input():
    x = clips()
    before = x.clone()
    mixed = mix_clips(x, MixDraw(0.3))
    torch.testing.assert_close(mixed, 0.3 * before + 0.7 * before.flip(0))
    assert torch.equal(x, before)
    assert mix_clips(x, MixDraw(1.0)) is x
    with pytest.raises(ValueError, match="B, T, C, H, W"):
        VideoMixup(0.8, 0.0, 1.0, 0.5, 0.0, 4)(x[:, 0], torch.zeros(4, dtype=torch.long), mix_rng(0, 0, 0))


def test_soft_targets_fold_smoothing_in_and_sum_to_one():
    labels = torch.tensor([0, 2, 1, 2])
    targets = soft_targets(labels, num_classes=3, lam=0.7, smoothing=0.3)
    off, on = 0.1, 0.8
    one_hot = np.full((4, 3), off)
    one_hot[np.arange(4), labels.numpy()] = on
    np.testing.assert_allclose(targets.numpy(), 0.7 * one_hot + 0.3 * one_hot[::-1], rtol=1e-6)
    torch.testing.assert_close(targets.sum(1), torch.ones(4))
    assert torch.equal(soft_targets(labels, 3, 1.0), torch.eye(3)[labels])


def test_soft_target_loss_against_hand_computation():
    logits = torch.tensor([[2.0, 0.5, -1.0], [0.0, 1.0, 3.0]])
    labels = torch.tensor([0, 2])
    targets = soft_targets(labels, 3, lam=0.6, smoothing=0.1)
    z = logits.numpy().astype(np.float64)
    log_p = z - np.log(np.exp(z).sum(1, keepdims=True))
    expected = -(targets.numpy() * log_p).sum(1).mean()
    assert soft_target_cross_entropy(logits, targets).item() == pytest.approx(expected, rel=1e-6)
    # unmixed: torch's own label-smoothed cross-entropy; mixed: the lam-weighted pair of them
    ce = torch.nn.functional.cross_entropy
    plain = soft_target_cross_entropy(logits, soft_targets(labels, 3, 1.0, 0.1))
    torch.testing.assert_close(plain, ce(logits, labels, label_smoothing=0.1))
    pair = 0.6 * ce(logits, labels, label_smoothing=0.1) + 0.4 * ce(logits, labels.flip(0), label_smoothing=0.1)
    torch.testing.assert_close(soft_target_cross_entropy(logits, targets), pair)


# Mixup in VideoTrainer


class MixCounter:
    """Stands in for the trainer's mixer and counts the batches it mixes."""

    def __init__(self, mixer):
        self.mixer, self.calls = mixer, 0

    def __call__(self, *args):
        self.calls += 1
        return self.mixer(*args)


MIX = dict(mixup_alpha=0.8, cutmix_alpha=1.0, label_smoothing_factor=0.1, per_device_train_batch_size=4)


def test_mixed_training_repeats_with_its_seed_and_evaluation_sees_plain_labels(ramp_videos, tmp_path):  # noqa: F811
    histories = []
    for attempt in range(2):
        set_seed(0)  # the tiny model's random weights
        trainer, _, _ = make_trainer("videomae", ramp_videos, tmp_path / str(attempt), max_steps=3, **MIX)
        trainer.mixup = counter = MixCounter(trainer.mixup)
        trainer.train()
        losses = [log["loss"] for log in trainer.state.log_history if "loss" in log]
        assert len(losses) == 3 and all(np.isfinite(losses)), losses
        assert counter.calls == 3
        histories.append(losses)
    assert histories[0] == histories[1]  # draws seeded from (seed, process, step)
    mixed_eval = trainer.evaluate()
    assert counter.calls == 3  # evaluation mixes nothing
    plain, _, _ = make_trainer("videomae", ramp_videos, tmp_path / "plain", label_smoothing_factor=0.1)
    plain.model = plain.model_wrapped = trainer.model
    assert plain.evaluate()["eval_loss"] == pytest.approx(mixed_eval["eval_loss"], rel=1e-6)


def test_mixed_loss_is_the_soft_target_loss_of_the_mixed_clips(ramp_videos, tmp_path):  # noqa: F811
    trainer, _, _ = make_trainer("videomae", ramp_videos, tmp_path, **MIX)
    batch = next(iter(trainer.get_train_dataloader()))
    model = trainer.model.train()  # tiny models have no dropout: the forward pass is deterministic
    trainer.state.global_step = 5
    with torch.no_grad():
        loss = trainer.compute_loss(model, dict(batch), num_items_in_batch=torch.tensor(len(batch["labels"])))
        again = trainer.compute_loss(model, dict(batch))  # the step's second micro-batch: its own draw
        draw = trainer.mixup.draw(mix_rng(0, 0, 5, 0), 32, 32)
        x = batch["pixel_values"]
        if draw.box is None:
            mixed = draw.lam * x + (1 - draw.lam) * x.flip(0)
        else:
            top, bottom, left, right = draw.box
            mixed = x.clone()
            mixed[..., top:bottom, left:right] = x.flip(0)[..., top:bottom, left:right]
        logits = model(pixel_values=mixed).logits.double()
        one_hot = torch.full((len(x), 2), 0.05, dtype=torch.float64)
        one_hot[torch.arange(len(x)), batch["labels"]] = 0.95  # smoothing 0.1 over 2 classes, applied once
        targets = draw.lam * one_hot + (1 - draw.lam) * one_hot.flip(0)
        expected = -(targets * logits.log_softmax(-1)).sum(-1).mean()
    assert loss.item() == pytest.approx(expected.item(), rel=1e-5)
    assert trainer._mix_step == (5, 1) and again.item() != loss.item()
    model.eval()
    plain_loss = trainer.compute_loss(model, dict(batch))
    unmixed = make_trainer("videomae", ramp_videos, tmp_path / "plain", label_smoothing_factor=0.1)[0]
    unmixed.model = model
    torch.testing.assert_close(plain_loss, unmixed.compute_loss(model, dict(batch)))


# EMA


def test_ema_update_maths_buffers_and_file_round_trip(tmp_path):
    model = torch.nn.BatchNorm1d(3)  # float parameters and buffers, and an integer buffer
    ema = WeightEma(model, decay=0.9)
    start = {k: v.clone() for k, v in model.state_dict().items()}
    with torch.no_grad():
        model.weight.fill_(2.0)
        model.running_mean.fill_(10.0)
        model.num_batches_tracked.fill_(7)
    ema.update(model)
    torch.testing.assert_close(ema.shadow["weight"], 0.9 * start["weight"] + 0.1 * 2.0)
    torch.testing.assert_close(ema.shadow["running_mean"], 0.9 * start["running_mean"] + 0.1 * 10.0)
    assert "num_batches_tracked" not in ema.shadow
    ema.update(model)
    torch.testing.assert_close(ema.shadow["weight"], 0.81 * start["weight"] + 0.19 * 2.0)
    ema.save(tmp_path)
    other = WeightEma(model, decay=0.9)
    other.load(tmp_path)
    for name in ema.shadow:
        assert torch.equal(other.shadow[name], ema.shadow[name])
    ema.copy_to(model)
    torch.testing.assert_close(model.weight, ema.shadow["weight"])
    assert model.num_batches_tracked.item() == 7  # the model keeps its own counters
    with pytest.raises(RecipeError, match="no ema.safetensors"):
        other.load(tmp_path / "nowhere")


def test_trainer_ends_with_the_average_of_its_steps(ramp_videos, tmp_path):  # noqa: F811
    class Snapshots(TrainerCallback):
        def __init__(self):
            self.weights = []

        def on_step_end(self, args, state, control, model=None, **kwargs):
            self.weights.append({n: p.detach().clone() for n, p in model.named_parameters()})

    trainer, _, _ = make_trainer("vivit", ramp_videos, tmp_path, ema_decay=0.6, max_steps=3)
    expected = {n: p.detach().clone() for n, p in trainer.model.named_parameters()}
    snapshots = Snapshots()
    trainer.add_callback(snapshots)
    trainer.train()
    assert len(snapshots.weights) == 3
    for step in snapshots.weights:
        expected = {n: 0.6 * expected[n] + 0.4 * step[n] for n in expected}
    last = snapshots.weights[-1]
    for name, parameter in trainer.model.named_parameters():
        torch.testing.assert_close(parameter.detach(), expected[name], msg=name)
    assert any(not torch.allclose(last[n], expected[n]) for n in expected)  # the average is not the last step


def ema_run(synth, out, *extra):  # noqa: F811
    return run(synth, out, "--ema_decay", "0.7", "--load_best_model_at_end", "false", "--seed", "3", *extra)


def assert_saved_model_is_the_average(run: Path, checkpoint: str) -> dict:
    """The run's saved model equals the moving average of its last checkpoint, which differs from the raw weights;
    returns that average."""
    shadow = load_file(run / checkpoint / EMA_FILE)
    saved = AutoModelForVideoClassification.from_pretrained(run).state_dict()
    for name, value in shadow.items():
        torch.testing.assert_close(saved[name], value, rtol=0, atol=0, msg=name)
    raw = load_file(run / checkpoint / "model.safetensors")
    assert any(not torch.equal(raw[n], shadow[n]) for n in shadow)
    return shadow


def test_saved_model_is_the_average_and_resuming_keeps_it(synth, tmp_path):  # noqa: F811
    whole = ema_run(synth, tmp_path / "whole", "--dataloader_num_workers", "1")
    shadow = assert_saved_model_is_the_average(whole, "checkpoint-8")
    evaluation = json.loads((whole / "eval_results.json").read_text())
    assert evaluation["eval_ema_decay"] == 0.7 and "eval_accuracy" in evaluation

    broken = tmp_path / "broken"  # what a run interrupted after epoch 1 leaves
    broken.mkdir()
    shutil.copy(whole / RUN_FILE, broken / RUN_FILE)
    shutil.copytree(whole / "checkpoint-4", broken / "checkpoint-4")
    resumed = ema_run(synth, broken, "--dataloader_num_workers", "1")
    a, b = load_file(whole / "model.safetensors"), load_file(resumed / "model.safetensors")
    assert a.keys() == b.keys()
    for key in a:
        torch.testing.assert_close(a[key], b[key], rtol=0, atol=0, msg=key)
    resumed_shadow = load_file(resumed / "checkpoint-8" / EMA_FILE)
    assert all(torch.equal(resumed_shadow[n], shadow[n]) for n in shadow)

    (broken / "model.safetensors").unlink()
    shutil.rmtree(broken / "checkpoint-8")
    (broken / "checkpoint-4" / EMA_FILE).unlink()
    with pytest.raises(RecipeError, match="no ema.safetensors to resume"):
        ema_run(
            synth, broken, "--dataloader_num_workers", "1", "--resume_from_checkpoint", str(broken / "checkpoint-4")
        )


@pytest.mark.slow
def test_ema_and_mixing_in_two_ddp_processes(synth, tmp_path):  # noqa: F811
    from test_train_launch import _trained, launch

    out = tmp_path / "ddp"
    done = launch("accelerate_configs/cpu_2proc.yaml", synth, out, "--ema_decay", "0.5", "--mixup_alpha", "0.8",
                  "--cutmix_alpha", "1.0", "--load_best_model_at_end", "false")  # fmt: skip
    assert _trained(out, done)["global_step"] == 2
    assert_saved_model_is_the_average(out, "checkpoint-2")


def test_ema_refuses_what_it_cannot_average(synth, tmp_path, monkeypatch):  # noqa: F811
    with pytest.raises(RecipeError, match="ema_decay: load_best_model_at_end"):
        run(synth, tmp_path / "run", "--ema_decay", "0.9")  # the demo recipe selects the best checkpoint
    assert not (tmp_path / "run").exists()
    args = VideoTrainingArguments(output_dir=str(tmp_path), use_cpu=True, report_to="none", ema_decay=0.9)
    check_ema(args)
    with pytest.raises(RecipeError, match="ZeRO-3 shards the parameters"):
        check_ema(args, zero_stage=3)
    check_ema(args, zero_stage=2)
    zero3 = {"zero_optimization": {"stage": 3}, "train_micro_batch_size_per_gpu": "auto"}
    try:
        with pytest.raises(RecipeError, match="ZeRO-3"):  # read from the recipe's DeepSpeed config
            check_ema(
                VideoTrainingArguments(output_dir=str(tmp_path), report_to="none", ema_decay=0.9, deepspeed=zero3)
            )
    finally:
        unset_hf_deepspeed_config()  # the config registers itself globally; model loading elsewhere reads it
    with pytest.raises(RecipeError, match="FSDP shards the parameters"):
        check_ema(args, fsdp=True)
    monkeypatch.setenv("ACCELERATE_USE_FSDP", "true")
    with pytest.raises(RecipeError, match="FSDP"):
        check_ema(args)


# Stochastic depth


def drop_probs(model):
    return {name: module.drop_prob for name, module in model.named_modules() if hasattr(module, "drop_prob")}


@pytest.mark.parametrize("arch", ["timesformer", "videomae", "vivit"])
def test_drop_path_rates_rise_linearly_over_the_layers(arch):
    config = AutoConfig.for_model(arch, hidden_size=32, num_hidden_layers=5, num_attention_heads=2,
                                  intermediate_size=64, image_size=32, num_frames=4, patch_size=16)  # fmt: skip
    model = apply_drop_path(AutoModelForVideoClassification.from_config(config), 0.2)
    per_layer = {"timesformer": 1, "videomae": 2, "vivit": 1}[arch]  # ViViT's one dropout serves both branches
    layers = {}
    for name, prob in drop_probs(model).items():
        layers.setdefault(int(name.split(".")[2 if arch == "vivit" else 3]), []).append(prob)
    assert sorted(layers) == [1, 2, 3, 4]  # layer 0 keeps every branch: no module there
    for i, probs in layers.items():
        assert probs == [pytest.approx(0.2 * i / 4)] * per_layer, i
    assert drop_path_rates(0.2, 5) == pytest.approx([0, 0.05, 0.1, 0.15, 0.2])


@pytest.mark.parametrize("arch", ["timesformer", "videomae", "vivit"])
def test_drop_path_is_identity_in_eval_and_random_in_training(arch):
    plain, _, _ = load_model_for_training(ModelArguments(f"tiny-{arch}"), LABELS, ID2LABEL)
    model, _, _ = load_model_for_training(ModelArguments(f"tiny-{arch}", drop_path_rate=0.5), LABELS, ID2LABEL)
    model.load_state_dict(plain.state_dict())
    assert model.state_dict().keys() == plain.state_dict().keys()
    x = clips(batch=8, frames=8, size=(32, 32))
    with torch.no_grad():
        reference = plain.eval()(pixel_values=x).logits
        assert torch.equal(model.eval()(pixel_values=x).logits, reference)
        assert torch.equal(plain.train()(pixel_values=x).logits, reference)  # tiny models have no dropout
        model.train()
        torch.manual_seed(0)
        first = model(pixel_values=x).logits
        torch.manual_seed(1)
        second = model(pixel_values=x).logits
    assert not torch.allclose(first, reference) and not torch.allclose(first, second)
    same_clip = [torch.allclose(first[i], reference[i]) for i in range(8)]
    assert not all(same_clip)  # whole clips lose a branch, independently of one another


@pytest.mark.parametrize("arch", ["timesformer", "videomae", "vivit"])
def test_checkpoint_with_drop_path_loads_in_plain_transformers(arch, tmp_path):
    model, settings, _ = load_model_for_training(ModelArguments(f"tiny-{arch}", drop_path_rate=0.2), LABELS, ID2LABEL)
    model.save_pretrained(tmp_path)
    settings.save_pretrained(tmp_path)
    reloaded, info = AutoModelForVideoClassification.from_pretrained(tmp_path, output_loading_info=True)
    assert not info["missing_keys"] and not info["unexpected_keys"] and not info["mismatched_keys"], info
    assert reloaded.state_dict().keys() == model.state_dict().keys()
    x = clips(batch=2, frames=8, size=(32, 32))
    with torch.no_grad():
        torch.testing.assert_close(reloaded.eval()(pixel_values=x).logits, model.eval()(pixel_values=x).logits)
    saved = json.loads((Path(tmp_path) / "config.json").read_text())
    if arch == "timesformer":  # transformers types drop_path_rate int and refuses a float: the float goes beside it
        assert saved["drop_path_rate"] == 0 and saved["stochastic_depth_rate"] == 0.2
        assert isinstance(reloaded.config.stochastic_depth_rate, float)
    else:
        assert saved["drop_path_rate"] == 0.2
    again, _, _ = load_model_for_training(ModelArguments(str(tmp_path)), LABELS, ID2LABEL)
    assert list(drop_probs(again).values()) == list(drop_probs(model).values())  # unset: the checkpoint's own
    assert list(drop_probs(again).values())[-1] == pytest.approx(0.2)
    off, _, _ = load_model_for_training(ModelArguments(str(tmp_path), drop_path_rate=0.0), LABELS, ID2LABEL)
    assert drop_probs(off) == {}


# Dropout before the head


@pytest.mark.parametrize("arch", ["timesformer", "videomae", "vivit"])
def test_head_dropout_drops_the_classifiers_input_while_training_and_is_reloaded(arch, tmp_path):
    plain, _, _ = load_model_for_training(ModelArguments(f"tiny-{arch}"), LABELS, ID2LABEL)
    model, settings, _ = load_model_for_training(ModelArguments(f"tiny-{arch}", head_dropout=0.5), LABELS, ID2LABEL)
    model.load_state_dict(plain.state_dict())
    assert model.state_dict().keys() == plain.state_dict().keys() and model.config.classifier_dropout == 0.5
    seen = []
    model.classifier.register_forward_hook(lambda module, args, out: seen.append(args[0].clone()))
    x = clips(batch=4, frames=8, size=(32, 32))
    with torch.no_grad():
        reference = plain.eval()(pixel_values=x).logits
        assert torch.equal(model.eval()(pixel_values=x).logits, reference)  # evaluation: no dropout
        model.train()
        torch.manual_seed(0)
        trained = model(pixel_values=x).logits
    features = seen[-1]  # what the classifier got while training: half the features zeroed, the rest doubled
    assert 0.4 < (features == 0).float().mean().item() < 0.6 and not torch.allclose(trained, reference)
    model.save_pretrained(tmp_path)
    settings.save_pretrained(tmp_path)
    assert json.loads((tmp_path / "config.json").read_text())["classifier_dropout"] == 0.5
    again, _, _ = load_model_for_training(ModelArguments(str(tmp_path)), LABELS, ID2LABEL)
    hooks = again.classifier._forward_pre_hooks
    assert len(hooks) == 1 and again.config.classifier_dropout == 0.5  # unset: the checkpoint's own
    off, _, _ = load_model_for_training(ModelArguments(str(tmp_path), head_dropout=0.0), LABELS, ID2LABEL)
    assert not off.classifier._forward_pre_hooks and off.config.classifier_dropout == 0.0


def test_drop_path_module_and_unknown_architectures():
    layer = DropPath(0.25).train()
    torch.manual_seed(0)
    out = layer(torch.ones(4000, 3))
    assert out[:, 0].unique().tolist() == [0.0, pytest.approx(1 / 0.75)]  # dropped, or kept and scaled by 1/keep
    assert out.eq(out[:, :1]).all()  # per sample, never per element
    assert (out[:, 0] == 0).float().mean().item() == pytest.approx(0.25, abs=0.03)
    assert torch.equal(layer.eval()(torch.ones(3, 2)), torch.ones(3, 2))

    class Other(torch.nn.Module):
        config = type("Config", (), {"model_type": "x_clip", "num_hidden_layers": 2})()

    with pytest.raises(RecipeError, match="drop_path_rate: stochastic depth is implemented for"):
        apply_drop_path(Other(), 0.1)
