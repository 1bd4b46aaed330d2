"""``evaluate`` metric modules shipped with the package, loaded by path so that nothing needs the Hub."""

from __future__ import annotations

from pathlib import Path


METRICS_DIR = Path(__file__).resolve().parent


def load_video_metric(**kwargs):
    """The top-1 / top-5 / mean class accuracy metric (``video_accuracy.py``) as an ``evaluate.EvaluationModule``."""
    import evaluate

    return evaluate.load(str(METRICS_DIR / "video_accuracy.py"), **kwargs)
