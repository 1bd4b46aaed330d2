"""``inforates evaluate`` in parts: which checkpoints, decode-once clips of the grid, prediction through the
Trainer, resumable result files, and the tables computed from them. See docs/evaluation.md."""
