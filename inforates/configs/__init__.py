"""Recipe parsing: one flat YAML recipe + CLI overrides -> typed argument dataclasses.

TRL's semantics on top of ``HfArgumentParser``: ``--config recipe.yaml`` supplies the defaults, any
``--field value`` on the command line overrides them, and a YAML key that no dataclass knows fails with one line
naming the key, the file and the closest valid keys. Values are validated in ``__post_init__`` before any heavy work.

    >>> recipe = parse_recipe(["--config", "recipes/demo/videomae.yaml", "--learning_rate", "1e-3"])
    >>> recipe.training.learning_rate, recipe.model.model_name_or_path
    (0.001, 'demo-videomae')

One module per dataclass: ``model`` (:class:`ModelArguments`), ``data`` (:class:`DataArguments`: videos, splits,
clip augmentation), ``sampling`` (:class:`SamplingArguments`), ``evaluation`` (:class:`EvaluationArguments`: grid
runs and multi-view testing), ``training`` (:class:`VideoTrainingArguments`: ``TrainingArguments`` plus the
fine-tuning options) and ``parser`` (:class:`RecipeParser`, :class:`Recipe`).
"""

from ..errors import RecipeError
from .data import DATASET_SOURCES, DataArguments
from .evaluation import EvaluationArguments
from .model import ModelArguments
from .parser import ARGUMENT_CLASSES, Recipe, RecipeParser, parse_recipe
from .sampling import SamplingArguments
from .training import VideoTrainingArguments


__all__ = [
    "ARGUMENT_CLASSES",
    "DATASET_SOURCES",
    "DataArguments",
    "EvaluationArguments",
    "ModelArguments",
    "Recipe",
    "RecipeError",
    "RecipeParser",
    "SamplingArguments",
    "VideoTrainingArguments",
    "parse_recipe",
]
