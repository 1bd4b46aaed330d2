"""Video classification accuracy as an ``evaluate`` metric: top-1, top-5 and mean class accuracy.

Shipped inside the package and loaded offline by path (``inforates.metrics.load_video_metric()``). One import per
line: ``evaluate``'s import scanner reads this file line by line.

    >>> from inforates.metrics import load_video_metric
    >>> metric = load_video_metric()
    >>> metric.compute(predictions=[[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]], references=[1, 0, 0])
    {'accuracy': 0.6666666666666666, 'top5': 1.0, 'mean_class_accuracy': 0.75}
"""

import datasets
import evaluate
import numpy as np

from inforates.metrics.accuracy import mean_class_accuracy, top_k_hits


_DESCRIPTION = """Top-1 accuracy, top-5 accuracy (top-k with k = min(5, number of classes)) and mean class accuracy
(the unweighted mean over the classes present in the references of each class's top-1 recall)."""

_KWARGS_DESCRIPTION = """
Args:
    predictions: per-example class scores (logits or probabilities), shape (N, num_classes).
    references: true class ids, shape (N,).
Returns:
    accuracy: share of examples whose highest score is the true class.
    top5: share of examples whose true class is among the five highest scores.
    mean_class_accuracy: mean over classes of the per-class top-1 accuracy.
"""


class VideoAccuracy(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation="",
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features(
                {"predictions": datasets.Sequence(datasets.Value("float32")), "references": datasets.Value("int64")}
            ),
        )

    def _compute(self, predictions, references):
        scores = np.asarray(predictions, dtype=np.float64)
        labels = np.asarray(references, dtype=np.int64)
        if scores.ndim != 2 or len(scores) != len(labels) or len(labels) == 0:
            raise ValueError(f"predictions must be (N, num_classes) scores for N={len(labels)} references")
        if labels.min() < 0 or labels.max() >= scores.shape[1]:
            raise ValueError(
                f"references must be class ids in [0, {scores.shape[1]}), got {labels.min()}..{labels.max()}"
            )
        correct, top5 = top_k_hits(scores, labels, k=5)
        return {
            "accuracy": float(correct.mean()),
            "top5": float(top5.mean()),
            "mean_class_accuracy": mean_class_accuracy(correct, labels),
        }
