"""``inforates demo`` and ``inforates pretrain-demo``: the whole workflow in miniature on the synthetic benchmark.

``pipeline`` (the study of the demo recipes plus the benchmark's checks: a validation pass that decides who joins
the Nyquist check), ``summary`` (the demo's last lines and ``demo_summary.json``), ``pretrain`` (the tiny pretrained
checkpoints the demo fine-tunes, ``inforates/checkpoints/demo/<model>``). The commands themselves:
:mod:`inforates.commands.demo`, :mod:`inforates.commands.pretrain_demo`.
"""
