"""``inforates doctor``: check this machine (and a recipe) before a long run.

    inforates doctor                                   # the machine: torch, GPUs, FFmpeg decode, libraries
    inforates doctor --config recipes/videomae/ucf101.yaml   # + the recipe, its dataset and its model

One line per check, ``OK`` or ``FAIL`` with the fix; exits 1 when any check fails.
"""

from __future__ import annotations

import importlib.metadata
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .arguments import CommandParser


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""

    def line(self) -> str:
        text = f"{'OK  ' if self.ok else 'FAIL'}  {self.name:<12} {self.detail}"
        return text if self.ok or not self.fix else f"{text}\n      fix: {self.fix}"


def check_torch() -> Check:
    import torch

    gpus = torch.cuda.device_count() if torch.cuda.is_available() else 0
    device = f"CUDA {torch.version.cuda}, {gpus} GPU(s): {torch.cuda.get_device_name(0)}" if gpus else "CPU only"
    return Check("torch", True, f"{torch.__version__} ({device})")


def check_decode() -> Check:
    """Encode a small clip with torchcodec and decode it back: proves FFmpeg's libraries and torchcodec agree."""
    try:
        import torch
        from torchcodec.decoders import VideoDecoder
        from torchcodec.encoders import VideoEncoder

        frames = torch.randint(0, 255, (12, 3, 32, 32), dtype=torch.uint8)
        with tempfile.TemporaryDirectory() as tmp:
            path = str(Path(tmp) / "doctor.mp4")
            VideoEncoder(frames, frame_rate=12).to_file(path)
            decoder = VideoDecoder(path, seek_mode="exact")
            got = decoder.get_frames_at([0, 11]).data.shape
            count = decoder.metadata.num_frames
        version = importlib.metadata.version("torchcodec")
        return Check("decode", count == 12, f"torchcodec {version}: encoded + decoded 12 frames ({tuple(got)})")
    except Exception as err:  # any failure here is the finding
        return Check(
            "decode",
            False,
            f"{type(err).__name__}: {str(err).splitlines()[0][:160]}",
            "install FFmpeg 4-7 shared libraries (`make ffmpeg` or apt-get install ffmpeg) and the torchcodec "
            "release that matches your torch (CPU torch 2.13 -> torchcodec 0.13)",
        )


def check_libraries() -> Check:
    names = ("transformers", "accelerate", "datasets", "evaluate", "deepspeed", "huggingface_hub")
    versions, missing = [], []
    for name in names:
        try:
            versions.append(f"{name} {importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            missing.append(name)
    if missing:
        return Check("libraries", False, f"missing: {', '.join(missing)}", "run `make install`")
    return Check("libraries", True, ", ".join(versions))


def check_disk(output_dir: str, need_gb: float = 5.0) -> Check:
    path = Path(output_dir).resolve()
    existing = next(p for p in (path, *path.parents) if p.exists())
    free_gb = shutil.disk_usage(existing).free / 2**30
    return Check(
        "disk",
        free_gb >= need_gb,
        f"{free_gb:.1f} GiB free for {output_dir}",
        f"free at least {need_gb:g} GiB or point output_dir elsewhere",
    )


def check_recipe(config: str) -> tuple[Check, object | None]:
    from ..configs import RecipeError, parse_recipe

    try:
        recipe = parse_recipe(["--config", config])
    except RecipeError as err:
        try:  # a recipe sized for GPUs (bf16) on a machine without one: still check its keys, data and model
            recipe = parse_recipe(["--config", config, "--use_cpu", "true"])
        except RecipeError:
            return Check("recipe", False, str(err), "fix the key named above"), None
        return Check("recipe", False, str(err), "the dataset and model checks below ran with --use_cpu true"), recipe
    return Check("recipe", True, f"{config} parses"), recipe


def check_dataset(recipe) -> Check:
    data = recipe.data
    if data.dataset_source == "synthetic" and not (data.dataset_dir and Path(data.dataset_dir).exists()):
        return Check("dataset", True, f"synthetic benchmark will be generated in {data.dataset_dir}")
    try:
        from ..data.skips import SkipLog
        from ..data.sources import load_video_dataset

        skipped = SkipLog()
        splits = load_video_dataset(data, seed=recipe.training.seed, skip_log=skipped)
    except Exception as err:
        where = data.dataset_dir or data.dataset_name or data.manifest_path
        return Check("dataset", False, f"{where}: {str(err).splitlines()[0][:200]}", "see docs/data.md for layouts")
    counts = ", ".join(f"{name} {len(split)}" for name, split in splits.items())
    label = next(iter(splits.values())).features.get("label")
    classes = f", {len(label.names)} classes" if hasattr(label, "names") else ""
    detail = f"{data.dataset_source}: {counts} videos{classes}"
    if len(skipped):  # listed but not on disk: training runs without them, so a note rather than a failure
        example = Path(skipped.rows[0]["path"]).name
        detail += f"; {len(skipped)} listed videos are missing and left out (e.g. {example})"
    return Check("dataset", True, detail)


def hub_reachable(timeout: float = 3.0) -> tuple[bool, str]:
    """Whether the Hub can be reached now: ``HF_HUB_OFFLINE`` set, or one quick connection to its endpoint."""
    import os
    import socket
    from urllib.parse import urlparse

    if os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes", "on"):
        return False, "HF_HUB_OFFLINE is set"
    endpoint = os.environ.get("HF_ENDPOINT", "https://huggingface.co")
    url = urlparse(endpoint)
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        socket.create_connection((url.hostname, port), timeout=timeout).close()
    except OSError as err:
        return False, f"{url.hostname}:{port} cannot be reached ({err.strerror or err})"
    return True, f"{url.hostname} reachable"


def check_model(recipe) -> Check:
    from ..model_registry import resolve

    name = recipe.model.model_name_or_path
    if name is None:
        return Check("model", True, "no model_name_or_path (evaluation checkpoints are checked when loaded)")
    resolved = resolve(name, recipe.model.random_init)
    if resolved.from_config and resolved.spec is not None:
        return Check("model", True, f"{name}: built from its config with random weights (no download)")
    target = resolved.source
    if resolved.local:
        ok = (Path(target) / "config.json").is_file()
        return Check("model", ok, f"{target}: local checkpoint", "the folder needs a config.json")
    from transformers import AutoConfig

    online, why = hub_reachable()
    revision = recipe.model.model_revision
    fetch = f"hf download {target}" + (f" --revision {revision}" if revision != "main" else "")
    try:
        AutoConfig.from_pretrained(target, revision=revision, local_files_only=not online)
    except Exception as err:
        reason = " ".join(str(err).split())[:160] or type(err).__name__
        if not online:
            return Check(
                "model",
                False,
                f"{target}: not in the local Hugging Face cache, and the Hub is out of reach ({why})",
                f"on a machine with internet run `{fetch}` (then copy ~/.cache/huggingface here), or point "
                "model_name_or_path at a saved checkpoint folder",
            )
        return Check("model", False, f"{target}: {reason}", f"check the name and revision; `{fetch}` shows the error")
    where = "the Hub" if online else f"the local cache ({why})"
    return Check("model", True, f"{target}: config found in {where}")


def run_checks(config: str | None, output_dir: str | None) -> list[Check]:
    steps: list[Callable[[], Check]] = [check_torch, check_decode, check_libraries]
    checks = [step() for step in steps]
    recipe = None
    if config:
        check, recipe = check_recipe(config)
        checks.append(check)
    if recipe is not None:
        checks += [check_dataset(recipe), check_model(recipe)]
        output_dir = output_dir or recipe.training.output_dir
    checks.append(check_disk(output_dir or "."))
    return checks


def main(argv: list[str] | None = None) -> int:
    parser = CommandParser(prog="inforates doctor", description=__doc__.split("\n")[0])
    parser.add_argument("--config", help="a recipe to check: it parses, its dataset is found, its model reachable")
    parser.add_argument("--output_dir", help="where the run will write (default: the recipe's output_dir or .)")
    args = parser.parse_args(argv)
    checks = run_checks(args.config, args.output_dir)
    for check in checks:
        print(check.line())
    failed = [c.name for c in checks if not c.ok]
    print(f"\n{len(checks) - len(failed)} OK, {len(failed)} FAIL" + (f" ({', '.join(failed)})" if failed else ""))
    return 1 if failed else 0
