"""``inforates compare``'s analyses: loading runs, the statistics, the analysis registry, figures and the report.

``inputs`` (runs to compare) and ``reference_tables`` (the 2025 study's tables) -> the statistics (``accuracy``,
``paired``, ``robustness``, ``paper``, ``nyquist``: pure pandas/scipy/statsmodels) -> ``registry`` (which analyses
the inputs allow, ``entries`` says what each one needs, computes and writes) -> ``outputs``, ``plots``, ``report``.
See docs/statistics.md and docs/design.md.
"""
