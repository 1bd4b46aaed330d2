"""``inforates study``: several recipes trained, evaluated and compared in one command (docs/study.md).

``plan`` (the recipes, their folders and every check made before any work), ``runner`` (each model's train and
evaluate stages, one after another or several at once), ``run`` (:func:`~inforates.study.run.run_study` and the
steps it is made of), ``summary`` (the same-inputs check and ``study_summary.json``). The command itself:
:mod:`inforates.commands.study`.
"""
