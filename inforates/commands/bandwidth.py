"""``inforates bandwidth``: every video's temporal bandwidth (dominant motion frequency, cutoff, critical spacing).

    inforates bandwidth --config recipes/demo/videomae.yaml                      # -> <output_dir>/bandwidth.csv
    inforates bandwidth --config recipes/videomae/ucf101.yaml --dataloader_num_workers 8 --bandwidth_max_frames 64

Any recipe key can be overridden on the command line. Parsing only: :func:`inforates.bandwidth.run.measure_bandwidth`
does the work (docs/bandwidth.md).
"""

from __future__ import annotations

from ..configs import parse_recipe


def main(argv: list[str] | None = None) -> int:
    from ..bandwidth.run import measure_bandwidth

    measure_bandwidth(parse_recipe(argv, prog="inforates bandwidth"))
    return 0
