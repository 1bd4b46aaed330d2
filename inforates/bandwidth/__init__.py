"""A video's temporal bandwidth: how fast it moves, so where sparser sampling should start to alias it.

:mod:`.estimate` (pure: frames -> dominant motion frequency, cutoff, confidence) and :mod:`.run` (every video of a
dataset -> ``bandwidth.csv``). The prediction it makes, ``x = f * spacing / fps`` turns per step, follows the
aliasing rule of :mod:`inforates.aliasing`. See docs/bandwidth.md.
"""
