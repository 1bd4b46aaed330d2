"""Faults of the user's environment during training, told in one line instead of a traceback.

    with user_faults(out, checkpoint, needed_bytes):
        trainer.train(resume_from_checkpoint=checkpoint)

A full disk (``ENOSPC``, or the same error as torch's and safetensors' writers word it) becomes an
:class:`~inforates.errors.OutputError` naming the folder and the space a checkpoint needs; the checkpoint it
interrupted has no completion record, so the rerun skips it
(:func:`~inforates.training.run_dir.last_complete_checkpoint`). A checkpoint file that a safe load refuses
(``torch.load(weights_only=True)``: a pickle holding code) becomes one line naming the checkpoint. Anything else
is a bug and keeps its traceback.
"""

from __future__ import annotations

import contextlib
import errno
import pickle
from pathlib import Path

from ..errors import OutputError


_FULL_DISK = ("no space left on device", "file write failed", "disk quota exceeded")


def is_full_disk(err: BaseException) -> bool:
    """Whether ``err`` is a full disk (or quota), however the writing library worded it."""
    if isinstance(err, OSError) and err.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    return isinstance(err, (OSError, RuntimeError)) and any(words in str(err).lower() for words in _FULL_DISK)


def checkpoint_bytes(model) -> int:
    """What one checkpoint of ``model`` takes, about: its weights and AdamW's two moments, in float32."""
    return 3 * 4 * sum(p.numel() for p in model.parameters())


def _size(n_bytes: int) -> str:
    return f"{n_bytes / 2**30:.1f} GiB" if n_bytes >= 2**30 else f"{max(n_bytes / 2**20, 0.1):.1f} MiB"


@contextlib.contextmanager
def user_faults(out: Path, checkpoint: str | None, needed_bytes: int):
    """Turn a full disk and a refused checkpoint file into one-line errors (see the module's docstring)."""
    try:
        yield
    except pickle.UnpicklingError as err:
        where = checkpoint or out
        reason = str(err).strip().splitlines()[0] if str(err).strip() else "unreadable"
        raise OutputError(f"{where}: a file of this checkpoint is refused by a safe load ({reason[:120]}); resume "
                          "from another checkpoint (--resume_from_checkpoint) or remove this one") from None  # fmt: skip
    except (OSError, RuntimeError) as err:
        if not is_full_disk(err):
            raise
        raise OutputError(f"{out}: no space left on the device while saving; free at least {_size(needed_bytes)} "
                          "there (one checkpoint) and rerun: the interrupted save is skipped") from None  # fmt: skip
