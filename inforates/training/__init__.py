"""The training stage: ``inforates train`` (``inforates/train.py``) runs these in order.

- ``launch.py``: checks and settings before a run (logging, launch set-up, CPU threads, model selection, classes);
- ``run_dir.py``: the run's ``output_dir`` (fingerprint, resume, claim, finished);
- ``trainer.py``: ``VideoTrainer`` (a ``transformers.Trainer``), its collators, metrics and throughput logging;
- what ``VideoTrainer`` and the model factory apply when a recipe asks: ``layer_decay.py`` (per-layer learning
  rates), ``mixup.py`` (mixup/CutMix with soft targets), ``ema.py`` (the weights' moving average),
  ``drop_path.py`` (stochastic depth for VideoMAE and ViViT).
"""
