"""Classification accuracy from class scores, in one place: the ``evaluate`` metric the Trainer reports
(:mod:`.video_accuracy`), evaluation's prediction rows and the results tables all count hits with these.

    >>> correct, top_k = top_k_hits(np.array([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]]), np.array([1, 0, 0]))
    >>> correct.tolist(), top_k.tolist()
    ([True, True, False], [True, True, True])
    >>> mean_class_accuracy(correct, np.array([1, 0, 0]))  # class 1: 1/1, class 0: 1/2
    0.75
"""

from __future__ import annotations

import numpy as np


def top_k_hits(scores: np.ndarray, labels: np.ndarray, k: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """Per example (rows of ``scores``, shape ``(N, classes)``): whether the highest score is the true class, and
    whether the true class is among the ``min(k, classes)`` highest (ties in the order of the classes). A label
    of -1 (a class the model has no output for) is never a hit."""
    scores, labels = np.asarray(scores), np.asarray(labels, dtype=np.int64)
    k = min(k, scores.shape[-1])
    top = np.argsort(-scores, axis=-1, kind="stable")[..., :k]
    hits = top == labels[..., None]
    return hits[..., 0], hits.any(axis=-1)


def mean_class_accuracy(correct: np.ndarray, labels: np.ndarray) -> float:
    """The unweighted mean over the classes present in ``labels`` of each class's share of ``correct``."""
    correct, labels = np.asarray(correct, dtype=np.float64), np.asarray(labels)
    classes, inverse = np.unique(labels, return_inverse=True)
    return float(np.mean(np.bincount(inverse, correct, len(classes)) / np.bincount(inverse, minlength=len(classes))))
