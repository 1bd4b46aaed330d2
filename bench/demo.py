"""Wall time of the whole demo from scratch (synthetic benchmark included; pretraining excluded), against its
4-minute target.

    python bench/demo.py                 # a fresh demo in a temporary folder; prints stage times and the total
    python bench/demo.py --keep out/     # keep the outputs there instead

Runs ``inforates demo --fresh`` in a subprocess exactly as ``make demo`` does (after install), so the time includes
interpreter start-up and imports. The machine is shared: compare runs made side by side, not across days.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path


TARGET_SECONDS = 240.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--keep", default=None, help="write the demo here instead of a temporary folder")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="inforates-demo-bench-") as tmp:
        root = Path(args.keep or tmp)
        command = [sys.executable, "-m", "inforates.cli", "demo", "--fresh"]
        command += ["--out", str(root / "outputs"), "--data", str(root / "synthetic")]
        start = time.perf_counter()
        proc = subprocess.run(command, capture_output=True, text=True)
        seconds = time.perf_counter() - start
    summary = proc.stdout[proc.stdout.rfind("=== summary ===") :] if "=== summary ===" in proc.stdout else ""
    print(summary.strip() or proc.stdout[-2000:] + proc.stderr[-2000:])
    print(f"demo wall time: {seconds:.0f} s (target {TARGET_SECONDS:.0f} s; ratio {seconds / TARGET_SECONDS:.2f})")
    print(f"demo exit status: {proc.returncode} ({'Nyquist check PASS' if proc.returncode == 0 else 'see above'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
