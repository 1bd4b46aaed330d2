"""Video data: sources -> decoding -> transforms -> collator (see docs/design.md).

    >>> from inforates.data import VideoCollator, ProcessorSettings, load_video_dataset

Names are imported on first use, so ``import inforates.data.synthetic`` (``inforates synth``) loads no torch.
"""

from __future__ import annotations

import importlib


_EXPORTS = {
    "VideoReader": "decoding",
    "VideoDecodeError": "decoding",
    "DECODE_STATS": "decoding",
    "reset_decode_stats": "decoding",
    "video_source": "decoding",
    "open_video": "decoding",
    "SkipLog": "skips",
    "ProcessorSettings": "processor",
    "eval_transform": "transforms",
    "train_transform": "transforms",
    "VideoCollator": "collator",
    "load_video_dataset": "sources",
    "generate_synthetic": "synthetic",
}

__all__ = list(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(list(globals()) + __all__)
