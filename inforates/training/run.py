"""The training stage as one call: a parsed recipe in, the trained run's folder out.

    from inforates.configs import parse_recipe
    from inforates.training.run import train
    out = train(parse_recipe(["--config", "recipes/demo/videomae.yaml", "--max_steps", "2"]))

``inforates train`` (:mod:`inforates.commands.train`) parses the recipe and calls :func:`train`; the study, the
demo and ``inforates pretrain-demo`` call it with recipes they parsed themselves. The output folder gets the model
(safetensors), its processor config, the resolved recipe (``recipe.yaml``), ``train_results.json`` /
``eval_results.json`` and a model card; with ``ema_decay`` the saved model and ``eval_results.json`` are those of
the weights' moving average (``eval_ema_decay`` says so). A run resumes from the last checkpoint in its
``output_dir``; a folder holding a different run is refused unless ``overwrite_output_dir``.
"""

from __future__ import annotations

import logging
from pathlib import Path

from transformers import set_seed

from ..configs import Recipe
from ..data.skips import SkipLog
from ..data.sources import load_video_dataset, undecoded
from ..errors import RecipeError, ensure_writable
from ..files import crash_point, write_text
from ..hub import model_card, push_checkpoint
from ..models import load_model_for_training
from .ema import check_ema
from .faults import checkpoint_bytes, user_faults
from .launch import (
    check_classes,
    check_launch,
    check_model_selection,
    set_cpu_threads,
    set_up_trackers,
    setup_logging,
)
from .run_dir import (
    check_output_dir,
    check_resume_from,
    claim_output_dir,
    is_finished,
    is_run_output,
    mark_finished,
    save_recipe,
)
from .trainer import VideoTrainer, make_collators, make_compute_metrics


logger = logging.getLogger(__name__)


def train(recipe: Recipe) -> Path:
    """Fine-tune the recipe's model on its dataset; returns ``output_dir``. Bad values raise ``RecipeError``."""
    model_args, data_args, training_args = recipe.model, recipe.data, recipe.training

    # Setup: everything that can be checked is checked before output_dir is claimed
    setup_logging(recipe)
    check_launch(recipe)
    check_model_selection(recipe)
    check_ema(training_args)
    set_cpu_threads(recipe)
    out = Path(training_args.output_dir)
    if not training_args.overwrite_output_dir and is_finished(recipe):
        if training_args.process_index == 0:
            print(f"{out}: this run is already finished (unchanged); to train further raise max_steps or "
                  "num_train_epochs, to train again pass --overwrite_output_dir true", flush=True)  # fmt: skip
        return out
    last_checkpoint = check_output_dir(recipe)
    check_resume_from(training_args.resume_from_checkpoint)
    ensure_writable(training_args.output_dir, "output_dir")
    set_up_trackers(recipe)
    logger.info("recipe: %s; output_dir: %s", recipe.config_path, training_args.output_dir)
    set_seed(training_args.seed)

    # Data
    skip_log = SkipLog(spool=Path(training_args.output_dir) / "skipped.spool.csv")
    with training_args.main_process_first(desc="loading the dataset"):  # the main process generates/caches first
        dataset = load_video_dataset(data_args, seed=training_args.seed, skip_log=skip_log)
    for split in (data_args.train_split, data_args.validation_split):
        if split not in dataset:
            raise RecipeError(f"the dataset has no split {split!r} (it has {', '.join(dataset)})")
    class_names = check_classes(dataset, data_args)
    id2label = dict(enumerate(class_names))
    label2id = {name: i for i, name in id2label.items()}
    logger.info("%d classes; %s", len(class_names), {k: len(v) for k, v in dataset.items()})

    # Model
    model, settings, clip_len = load_model_for_training(model_args, label2id, id2label)
    if training_args.should_save:
        claim_output_dir(recipe)

    # Trainer (the Hub token stays in memory: it never reaches training_args.bin, recipe.yaml or run records)
    push, training_args.push_to_hub = training_args.push_to_hub, False
    token, training_args.hub_token = training_args.hub_token, None
    train_rows = undecoded(dataset[data_args.train_split])
    train_collator, eval_collator = make_collators(
        settings, clip_len, recipe.sampling, data_args, training_args.seed, skip_log, train_rows
    )
    trainer = VideoTrainer(
        model=model,
        args=training_args,
        train_dataset=train_rows,
        eval_dataset=undecoded(dataset[data_args.validation_split]),
        data_collator=train_collator,
        eval_collator=eval_collator,
        processing_class=settings,  # saved beside every checkpoint as preprocessor_config.json
        compute_metrics=make_compute_metrics(),
    )

    # Train
    checkpoint = training_args.resume_from_checkpoint or last_checkpoint
    with user_faults(out, checkpoint, checkpoint_bytes(model)):
        train_result = trainer.train(resume_from_checkpoint=checkpoint)
        trainer.log_metrics("train", train_result.metrics)
        trainer.save_metrics("train", train_result.metrics)
        trainer.save_state()

        # Save (with ema_decay, train() has put the weights' average in the model: it is what is saved and evaluated)
        trainer.save_model(training_args.output_dir)
        eval_metrics = trainer.evaluate()
        if training_args.ema_decay is not None:
            eval_metrics["eval_ema_decay"] = training_args.ema_decay
        trainer.log_metrics("eval", eval_metrics)
        trainer.save_metrics("eval", eval_metrics)
        image_size = settings.output_size[0] if settings.output_size else model_args.image_size
        if trainer.is_world_process_zero():
            save_recipe(recipe, out / "recipe.yaml", clip_len, image_size)
            skip_log.write(out / "skipped.csv")
            Path(skip_log.spool).unlink(missing_ok=True)
            metrics = {**train_result.metrics, **eval_metrics}
            card = model_card(recipe, clip_len, image_size, metrics, repo_id=training_args.hub_model_id)
            write_text(out / "README.md", card)
            crash_point("finish-before-record")
            mark_finished(recipe, [p.name for p in sorted(out.iterdir()) if is_run_output(p)])
            logger.info("saved the model, its processor config and recipe.yaml to %s", out)

    # Push (once, at the end, with the model card; the Trainer's own pushes are turned off above)
    if push and trainer.is_world_process_zero():
        repo_id = training_args.hub_model_id or out.name
        url = push_checkpoint(out, repo_id, private=training_args.hub_private_repo, token=token)
        logger.info("pushed to %s", url)
    return out
