"""Wall time of `dnallm-zoo list --json` as a ratio to `python -c "import torch"` (goal <= 0.3).

Both run as fresh subprocesses, interleaved, after one warm-up each; the median of --runs is used.
Whatever plugins are installed take part. Prints figures only (no asserts).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

GOAL = 0.3


def list_command() -> list[str]:
    """The console script next to this interpreter, else `python -m dnallm_zoo`."""
    script = Path(sys.executable).with_name("dnallm-zoo")
    if script.is_file():
        return [str(script)]
    found = shutil.which("dnallm-zoo")
    return [found] if found else [sys.executable, "-m", "dnallm_zoo"]


def wall(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs of each command")
    args = parser.parse_args()
    listing = [*list_command(), "list", "--json"]
    torch_import = [sys.executable, "-c", "import torch"]
    out = subprocess.run(listing, check=True, capture_output=True, text=True).stdout
    n_models = len(json.loads(out)["models"])
    wall(listing), wall(torch_import)  # warm the file cache
    times: dict[str, list[float]] = {"list": [], "torch": []}
    for _ in range(args.runs):
        times["list"].append(wall(listing))
        times["torch"].append(wall(torch_import))
    t_list = statistics.median(times["list"])
    t_torch = statistics.median(times["torch"])
    ratio = t_list / t_torch
    print(f"command            : {' '.join(listing)}")
    print(f"models listed      : {n_models}")
    print(f"runs               : {args.runs} each, interleaved, median")
    print(f"dnallm-zoo list    : {t_list * 1000:8.1f} ms  (min {min(times['list']) * 1000:.1f})")
    print(f"import torch       : {t_torch * 1000:8.1f} ms  (min {min(times['torch']) * 1000:.1f})")
    print(f"ratio list / torch : {ratio:8.3f}  (goal <= {GOAL}: {'met' if ratio <= GOAL else 'NOT met'})")


if __name__ == "__main__":
    main()
