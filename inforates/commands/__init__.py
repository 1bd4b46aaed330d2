"""The ``inforates`` subcommands: one module each, with its parser and ``main(argv) -> int``.

Each module only parses; the work is a function of the stage it belongs to, called with parsed objects
(``train(recipe)`` in :mod:`inforates.training.run`, ``evaluate(recipe)`` in :mod:`inforates.evaluation.run`,
``compare(runs, out, ...)`` in :mod:`inforates.analysis.compare`, ``run_study(...)`` in :mod:`inforates.study.run`,
``run_demo(...)`` in :mod:`inforates.demo.pipeline`). :data:`COMMANDS` is the registry ``inforates`` dispatches on
(:mod:`inforates.cli`): adding a command is one module here and one entry.

    >>> list(COMMANDS)[:3]
    ['sample', 'synth', 'train']
"""

from __future__ import annotations


# name -> (module with main(argv), one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "sample": ("inforates.commands.sample", "print the frame indices and facts of one sampling variant"),
    "synth": ("inforates.commands.synth", "generate the synthetic rotating-shape aliasing benchmark"),
    "train": ("inforates.commands.train", "fine-tune a video model from a recipe"),
    "evaluate": ("inforates.commands.evaluate", "evaluate checkpoints over the sampling grid"),
    "bandwidth": ("inforates.commands.bandwidth", "measure every video's temporal bandwidth (bandwidth.csv)"),
    "compare": ("inforates.commands.compare", "statistics, plots and a report across evaluation runs"),
    "study": ("inforates.commands.study", "train, evaluate and compare several recipes in one command"),
    "demo": ("inforates.commands.demo", "the whole pipeline on the synthetic benchmark, CPU-sized"),
    "pretrain-demo": ("inforates.commands.pretrain_demo", "pretrain the demo's tiny checkpoints on another task"),
    "push": ("inforates.commands.push", "push a trained run (and its evaluated grid) to the Hub with its card"),
    "recipes": ("inforates.commands.recipes", "list the shipped recipes, or copy one out to edit"),
    "doctor": ("inforates.commands.doctor", "check this machine (and a recipe) before a long run"),
}
